import { strict as assert } from 'node:assert';
import { fieldMessages, fieldOfEngineError, parsePageMessage, toVmChanges, type ParseResult } from '../../../src/webview/validation';
import type { PageMessage } from '../../../src/webview/protocol';

function accepted(raw: unknown): PageMessage {
  const result = parsePageMessage(raw);
  assert.ok(result.ok, `accepted ${JSON.stringify(raw)}: ${result.ok ? '' : result.reason}`);
  return result.message;
}

function refused(raw: unknown, reason: RegExp): Extract<ParseResult, { ok: false }> {
  const result = parsePageMessage(raw);
  assert.equal(result.ok, false, `refused ${JSON.stringify(raw)}`);
  if (result.ok) throw new Error('unreachable');
  assert.match(result.reason, reason);
  return result;
}

const apply = (changes: unknown, extra: Record<string, unknown> = {}) => ({ type: 'apply', requestId: 7, changes, close: false, ...extra });

describe('Settings page: host-side validation of page messages', () => {
  it('accepts every well-formed message', () => {
    assert.deepEqual(accepted({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(accepted({ type: 'cancel' }), { type: 'cancel' });
    assert.deepEqual(accepted({ type: 'browse', requestId: 3, current: '/tmp' }), { type: 'browse', requestId: 3, current: '/tmp' });
    const full = {
      name: ' web-02 ',
      notes: 'line 1\nline 2',
      checkpoints: { enabled: true, kind: 'Standard', fallbackToStandard: false },
      snapshotFileLocation: '/srv/checkpoints',
      automaticCheckpoints: true,
      backup: false,
      shutdown: true,
      guestServices: false,
      memoryMiB: 2048,
    };
    assert.deepEqual(accepted(apply(full, { close: true })), { type: 'apply', requestId: 7, changes: full, close: true });
    assert.deepEqual(accepted(apply({})), { type: 'apply', requestId: 7, changes: {}, close: false });
  });

  it('refuses what is not a message object, and unknown types', () => {
    for (const raw of [null, undefined, 42, 'apply', [], [{ type: 'ready' }]]) refused(raw, /must be an object/);
    refused({}, /needs a string type/);
    refused({ type: 7 }, /needs a string type/);
    refused({ type: 'delete-vm', vm: 'web-01' }, /unknown message type 'delete-vm'/);
    refused({ type: 'APPLY', requestId: 1, changes: {}, close: false }, /unknown message type/);
    refused({ type: '__proto__' }, /unknown message type/);
  });

  it('refuses unknown keys and fields, even on simple messages', () => {
    refused({ type: 'ready', extra: 1 }, /unknown keys: extra/);
    refused({ type: 'cancel', force: true }, /unknown keys: force/);
    refused(apply({ generation: 1 }), /unknown fields: generation/);
    refused(apply({ checkpointType: 'Disabled' }), /unknown fields: checkpointType/);
    refused(apply({ checkpoints: { enabled: true, kind: 'Production', fallbackToStandard: true, type: 'Standard' } }), /checkpoints has unknown keys: type/);
    refused(apply({}, { vmId: 'other' }), /unknown keys: vmId/);
  });

  it('refuses missing and wrongly typed fields', () => {
    refused({ type: 'apply', changes: {}, close: false }, /requestId must be a non-negative integer/);
    refused({ type: 'apply', requestId: -1, changes: {}, close: false }, /requestId/);
    refused({ type: 'apply', requestId: 1.5, changes: {}, close: false }, /requestId/);
    refused({ type: 'apply', requestId: '1', changes: {}, close: false }, /requestId/);
    refused({ type: 'apply', requestId: 1, changes: {} }, /close must be a boolean/);
    refused({ type: 'apply', requestId: 1, close: true }, /changes must be an object, not undefined/);
    refused(apply([]), /changes must be an object, not an array/);
    refused(apply({ name: 42 }), /name must be a string, not number/);
    refused(apply({ notes: null }), /notes must be a string, not null/);
    refused(apply({ backup: 'true' }), /backup must be a boolean, not string/);
    refused(apply({ automaticCheckpoints: 1 }), /automaticCheckpoints must be a boolean/);
    refused(apply({ memoryMiB: '1024' }), /memoryMiB must be a number, not string/);
    refused(apply({ snapshotFileLocation: ['/tmp'] }), /snapshotFileLocation must be a string, not an array/);
    refused(apply({ checkpoints: true }), /checkpoints must be an object/);
    refused(apply({ checkpoints: { enabled: 'yes', kind: 'Production', fallbackToStandard: true } }), /checkpoints.enabled must be a boolean/);
    refused(apply({ checkpoints: { enabled: true, kind: 'ProductionOnly', fallbackToStandard: true } }), /kind must be Production or Standard/);
    refused(apply({ checkpoints: { enabled: true, kind: 'Production' } }), /fallbackToStandard must be a boolean/);
    refused({ type: 'browse', requestId: 1 }, /browse.current must be a string/);
    refused({ type: 'browse', current: '/tmp' }, /browse.requestId/);
    refused({ type: 'browse', requestId: 1, current: `/${'x'.repeat(5000)}` }, /too long/);
  });

  it('refuses values out of range, per field, with the message the page shows next to the field', () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ memoryMiB: 31 }, 'memoryMiB', fieldMessages.memoryRange],
      [{ memoryMiB: 65537 }, 'memoryMiB', fieldMessages.memoryRange],
      [{ memoryMiB: 1024.5 }, 'memoryMiB', fieldMessages.memoryNumber],
      [{ memoryMiB: Number.NaN }, 'memoryMiB', fieldMessages.memoryNumber],
      [{ memoryMiB: Number.POSITIVE_INFINITY }, 'memoryMiB', fieldMessages.memoryNumber],
      [{ snapshotFileLocation: 'relative/folder' }, 'snapshotFileLocation', fieldMessages.locationRelative],
      [{ snapshotFileLocation: './here' }, 'snapshotFileLocation', fieldMessages.locationRelative],
      [{ snapshotFileLocation: '   ' }, 'snapshotFileLocation', fieldMessages.locationEmpty],
      [{ snapshotFileLocation: '/tmp/a\0b' }, 'snapshotFileLocation', fieldMessages.locationNul],
      [{ snapshotFileLocation: `/${'x'.repeat(4096)}` }, 'snapshotFileLocation', fieldMessages.locationTooLong],
      [{ name: '' }, 'name', fieldMessages.nameLength],
      [{ name: '   ' }, 'name', fieldMessages.nameLength],
      [{ name: 'x'.repeat(101) }, 'name', fieldMessages.nameLength],
      [{ name: 'web\u000701' }, 'name', fieldMessages.nameControl],
      [{ notes: 'n'.repeat(65_537) }, 'notes', fieldMessages.notesLength],
    ];
    for (const [changes, field, message] of cases) {
      const result = refused(apply(changes), /values out of range/);
      assert.equal(result.requestId, 7);
      assert.deepEqual(result.fieldErrors, { [field]: message }, JSON.stringify(changes).slice(0, 80));
    }
    // the boundaries themselves are fine
    accepted(apply({ memoryMiB: 32, name: 'x'.repeat(100), notes: 'n'.repeat(65_536) }));
    accepted(apply({ memoryMiB: 65536, name: '  padded  ' }));
    // several bad fields are all reported
    const several = refused(apply({ memoryMiB: 1, name: '' }), /out of range/);
    assert.deepEqual(Object.keys(several.fieldErrors ?? {}).sort(), ['memoryMiB', 'name']);
  });

  it('maps a valid edit to the engine changes (memory MB -> bytes, controls -> CheckpointType, trimmed text)', () => {
    assert.deepEqual(
      toVmChanges({
        name: '  web-02 ',
        notes: ' keep spaces ',
        checkpoints: { enabled: true, kind: 'Production', fallbackToStandard: false },
        snapshotFileLocation: ' /srv/cp ',
        automaticCheckpoints: false,
        backup: true,
        shutdown: false,
        guestServices: true,
        memoryMiB: 512,
      }),
      {
        name: 'web-02',
        notes: ' keep spaces ',
        checkpointType: 'ProductionOnly',
        snapshotFileLocation: '/srv/cp',
        automaticCheckpointsEnabled: false,
        backupIntegration: true,
        shutdownIntegration: false,
        guestServicesIntegration: true,
        memoryStartupBytes: 512 * 1024 * 1024,
      },
    );
    assert.deepEqual(toVmChanges({}), {});
    assert.deepEqual(toVmChanges({ checkpoints: { enabled: false, kind: 'Standard', fallbackToStandard: true } }), { checkpointType: 'Disabled' });
  });

  it('puts engine errors next to the field they concern', () => {
    assert.equal(fieldOfEngineError('VmNameInUse', "A virtual machine named 'x' already exists."), 'name');
    assert.equal(fieldOfEngineError('InvalidName', 'The name must be between 1 and 100 characters.'), 'name');
    assert.equal(fieldOfEngineError('SnapshotLocationLocked', 'The checkpoint file location cannot be changed while the virtual machine has checkpoints.'), 'snapshotFileLocation');
    assert.equal(fieldOfEngineError('SnapshotLocationInvalid', "The checkpoint file location '/x' is not a writable folder."), 'snapshotFileLocation');
    assert.equal(fieldOfEngineError('InvalidState', 'The operation cannot be performed ...', { memoryMiB: 64 }), 'memoryMiB');
    assert.equal(fieldOfEngineError('InvalidState', 'The operation cannot be performed ...', { name: 'x' }), undefined);
    assert.equal(fieldOfEngineError('LabBusy', 'The lab store is in use by another process.'), undefined);
  });
});
