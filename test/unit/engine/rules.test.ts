/** Pure rules: names (R3, R4, R14), sizes (section 1), lifecycle table, type choice (R2, R8-R10), wildcards (R24). */
import * as assert from 'node:assert/strict';
import {
  automaticCheckpointName,
  chooseCheckpoint,
  defaultCheckpointName,
  matchesPattern,
  nextState,
  parseDiskSize,
  parseMemorySize,
  validateName,
} from '../../../src/engine/rules';
import type { VmState } from '../../../src/engine/model';

describe('engine rules (pure)', () => {
  it('R3: default name is "<VM> - (M/d/yyyy - h:mm:ss AM|PM)" in local time with plain spaces', () => {
    assert.equal(defaultCheckpointName('web-01', new Date(2026, 10, 21, 21, 58, 1)), 'web-01 - (11/21/2026 - 9:58:01 PM)');
    assert.equal(defaultCheckpointName('a', new Date(2026, 0, 5, 0, 7, 9)), 'a - (1/5/2026 - 12:07:09 AM)');
    assert.equal(defaultCheckpointName('a', new Date(2026, 0, 5, 12, 0, 0)), 'a - (1/5/2026 - 12:00:00 PM)');
    assert.ok(!/[\u00a0\u202f]/.test(defaultCheckpointName('a', new Date())), 'no non-breaking spaces');
  });

  it('R14: automatic checkpoint name is "Automatic Checkpoint - <VM> - (<date time>)"', () => {
    assert.equal(automaticCheckpointName('web-01', new Date(2026, 10, 21, 9, 5, 0)), 'Automatic Checkpoint - web-01 - (11/21/2026 - 9:05:00 AM)');
  });

  it('R4: names are 1-100 characters after trimming, no control characters', () => {
    assert.equal(validateName('  x  '), 'x');
    assert.equal(validateName('x'.repeat(100)), 'x'.repeat(100));
    for (const bad of ['', '   ', 'x'.repeat(101)]) assert.throws(() => validateName(bad), { message: 'The name must be between 1 and 100 characters.' });
    assert.throws(() => validateName('a\u0007b'), /control characters/);
  });

  it('R3/R4: a default name never exceeds 100 characters, even for a 100-character VM name', () => {
    assert.ok(defaultCheckpointName('v'.repeat(100), new Date()).length <= 100);
    assert.ok(automaticCheckpointName('v'.repeat(100), new Date()).length <= 100);
  });

  it('section 1: 4GiB, 4GB and 4 all mean 4 GiB; bad sizes do not parse', () => {
    assert.equal(parseDiskSize('4GiB'), 4);
    assert.equal(parseDiskSize('4GB'), 4);
    assert.equal(parseDiskSize('4'), 4);
    assert.equal(parseMemorySize('512MiB'), 512 * 1024 ** 2);
    assert.equal(parseMemorySize('1GB'), 1024 ** 3);
    for (const bad of ['-1GiB', '12XB', '', 'GiB', '1..2GB']) assert.throws(() => parseDiskSize(bad), (e: { code: string }) => e.code === 'InvalidSize');
  });

  it('section 2: the lifecycle table, and every other pair fails with the SPEC message', () => {
    const valid: Record<string, VmState> = {
      'Off start': 'Running',
      'Saved start': 'Running',
      'Running pause': 'Paused',
      'Paused resume': 'Running',
      'Running save': 'Saved',
      'Paused save': 'Saved',
      'Running shutDown': 'Off',
      'Running turnOff': 'Off',
      'Paused turnOff': 'Off',
      'Saved removeSavedState': 'Off',
    };
    const states: VmState[] = ['Off', 'Running', 'Paused', 'Saved'];
    const actions = ['start', 'pause', 'resume', 'save', 'shutDown', 'turnOff', 'removeSavedState'] as const;
    for (const state of states) {
      for (const action of actions) {
        const key = `${state} ${action}`;
        if (key in valid) assert.equal(nextState('vm', state, action), valid[key], key);
        else assert.throws(() => nextState('vm', state, action), { message: `The operation cannot be performed while the virtual machine 'vm' is in the ${state} state.` }, key);
      }
    }
  });

  it('R2, R8-R10: the checkpoint type chosen per setting and state', () => {
    const vm = (type: 'Disabled' | 'Production' | 'ProductionOnly' | 'Standard', backup = true) => ({ Name: 'v', CheckpointType: type, BackupIntegration: backup });
    assert.throws(() => chooseCheckpoint(vm('Disabled'), 'Off'), { message: "Checkpoint operation failed. Checkpoints have been disabled for 'v'." });
    assert.deepEqual(chooseCheckpoint(vm('Production'), 'Off'), { type: 'Production', hasSavedState: false });
    assert.deepEqual(chooseCheckpoint(vm('Production'), 'Running'), { type: 'Production', hasSavedState: false });
    const fallback = chooseCheckpoint(vm('Production', false), 'Running');
    assert.equal(fallback.type, 'Standard');
    assert.equal(fallback.hasSavedState, true);
    assert.match(fallback.notice!, /^Standard checkpoint created because a production checkpoint could not be created: /);
    for (const state of ['Paused', 'Saved'] as const) assert.equal(chooseCheckpoint(vm('Production'), state).type, 'Standard');
    for (const state of ['Paused', 'Saved'] as const) {
      assert.throws(() => chooseCheckpoint(vm('ProductionOnly'), state), { message: "Checkpoint operation failed. Production checkpoints cannot be created for 'v'." });
    }
    assert.deepEqual(chooseCheckpoint(vm('Standard'), 'Off'), { type: 'Standard', hasSavedState: false });
    assert.deepEqual(chooseCheckpoint(vm('Standard'), 'Saved'), { type: 'Standard', hasSavedState: true });
  });

  it('R24: wildcards * and ? match case-insensitively, other characters literally', () => {
    assert.ok(matchesPattern('Before Upgrade', 'before*'));
    assert.ok(matchesPattern('v1.2', 'V?.2'));
    assert.ok(!matchesPattern('v1x2', 'v1.2'));
    assert.ok(!matchesPattern('abc', 'a?'));
    assert.ok(matchesPattern('a(b)[c]', 'a(b)[c]'));
  });
});
