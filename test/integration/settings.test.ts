/**
 * The Settings page inside the real VS Code host: the command opens one panel per VM, the
 * real page loads and says 'ready', and the tests then play the page through the panel's
 * message handler (the same entry point webview messages take), checking the engine.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointLabApi } from '../../src/extension';
import type { Lab, VmInfo } from '../../src/engine';
import type { SettingsPanel } from '../../src/webview/settingsPanel';
import type { HostMessage } from '../../src/webview/protocol';
import { choosePath, getApi, runWith, ScriptedPrompter, unique, waitFor } from './helpers';

const SETTINGS = 'checkpointLab.vm.settings';

async function open(vm: VmInfo): Promise<SettingsPanel> {
  const panel = (await vscode.commands.executeCommand(SETTINGS, vm.Id)) as SettingsPanel | undefined;
  assert.ok(panel, 'Settings... resolves with the panel');
  return panel;
}

/** Waits for the page's first 'vm' message: the real page loaded and asked for the VM. */
async function loaded(panel: SettingsPanel): Promise<Extract<HostMessage, { type: 'vm' }>> {
  await waitFor(() => panel.posted.some((m) => m.type === 'vm'), 30_000, 'the settings page to load and get the VM');
  return panel.posted.find((m) => m.type === 'vm') as Extract<HostMessage, { type: 'vm' }>;
}

function last<T extends HostMessage['type']>(panel: SettingsPanel, type: T): Extract<HostMessage, { type: T }> | undefined {
  return [...panel.posted].reverse().find((m) => m.type === type) as Extract<HostMessage, { type: T }> | undefined;
}

describe('Settings page (real VS Code host)', () => {
  let api: CheckpointLabApi;
  let lab: Lab;

  before(async () => {
    api = await getApi();
    lab = await api.lab();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens one panel per VM; the page loads and is shown the VM; opening again reveals the same panel', async () => {
    const vm = await lab.createVm({ name: unique('settings-open') });
    const other = await lab.createVm({ name: unique('settings-other') });
    const panel = await open(vm);
    const first = await loaded(panel);
    assert.equal(first.cause, 'open');
    assert.equal(first.vm.name, vm.Name);
    assert.deepEqual(first.form.checkpoints, { enabled: true, kind: 'Production', fallbackToStandard: true });
    assert.equal(first.form.memoryMiB, 1024);
    assert.equal(panel.panel.title, `Settings: ${vm.Name}`);
    assert.equal(await open(vm), panel, 'the same panel');
    const second = await open(other);
    assert.notEqual(second, panel);
    await loaded(second);
    assert.equal(await open(vm), panel);
    await waitFor(() => panel.panel.active, 5_000, 'the first panel to be revealed');
  });

  it('Apply sends the edited settings to the engine (type, memory, integration services, notes, name)', async () => {
    const vm = await lab.createVm({ name: unique('settings-apply') });
    const panel = await open(vm);
    await loaded(panel);
    const newName = unique('settings-renamed');
    const outcome = await panel.handleMessage({
      type: 'apply',
      requestId: 1,
      close: false,
      changes: {
        name: newName,
        notes: 'set from the settings page',
        checkpoints: { enabled: true, kind: 'Standard', fallbackToStandard: true },
        memoryMiB: 2048,
        backup: false,
        guestServices: false,
        automaticCheckpoints: true,
      },
    });
    assert.deepEqual(outcome, { accepted: true });
    const now = await lab.getVm({ id: vm.Id });
    assert.equal(now.Name, newName);
    assert.equal(now.Notes, 'set from the settings page');
    assert.equal(now.CheckpointType, 'Standard');
    assert.equal(now.MemoryStartupBytes, 2048 * 1024 * 1024);
    assert.equal(now.BackupIntegration, false);
    assert.equal(now.GuestServicesIntegration, false);
    assert.equal(now.ShutdownIntegration, true, 'untouched');
    assert.equal(now.AutomaticCheckpointsEnabled, true);
    const applied = last(panel, 'applied');
    assert.ok(applied && applied.requestId === 1 && !applied.close);
    assert.equal(applied.form.checkpoints.kind, 'Standard');
    assert.equal(panel.panel.title, `Settings: ${newName}`, 'the tab follows the rename');

    for (const [controls, type] of [
      [{ enabled: true, kind: 'Production', fallbackToStandard: false }, 'ProductionOnly'],
      [{ enabled: true, kind: 'Production', fallbackToStandard: true }, 'Production'],
      [{ enabled: false, kind: 'Production', fallbackToStandard: true }, 'Disabled'],
    ] as const) {
      await panel.handleMessage({ type: 'apply', requestId: 2, close: false, changes: { checkpoints: controls } });
      assert.equal((await lab.getVm({ id: vm.Id })).CheckpointType, type);
    }
  });

  it('malformed messages are refused and change nothing', async () => {
    const vm = await lab.createVm({ name: unique('settings-bad') });
    const panel = await open(vm);
    await loaded(panel);
    const before = await lab.getVm({ id: vm.Id });
    const bad: unknown[] = [
      null,
      'apply',
      { type: 'setVm', changes: { checkpointType: 'Disabled' } },
      { type: 'apply', requestId: 3, close: false, changes: { checkpointType: 'Disabled' } },
      { type: 'apply', requestId: 4, close: false, changes: { memoryMiB: 1 } },
      { type: 'apply', requestId: 5, close: false, changes: { memoryMiB: 10 ** 9 } },
      { type: 'apply', requestId: 6, close: false, changes: { memoryMiB: '2048' } },
      { type: 'apply', requestId: 7, close: false, changes: { snapshotFileLocation: 'relative/dir' } },
      { type: 'apply', requestId: 8, close: false, changes: { name: 'x'.repeat(101) } },
      { type: 'apply', requestId: 9, close: false, changes: { name: '' } },
      { type: 'apply', requestId: 10, close: false, changes: { backup: 'false' } },
      { type: 'apply', requestId: 11, close: false, changes: { checkpoints: { enabled: false } } },
      { type: 'apply', requestId: 12, changes: { notes: 'no close flag' } },
      { type: 'apply', requestId: 13, close: false, changes: { notes: 'ok' }, vmId: 'someone-else' },
      { type: 'cancel', now: true },
    ];
    for (const message of bad) {
      const outcome = await panel.handleMessage(message);
      assert.equal(outcome.accepted, false, JSON.stringify(message));
    }
    assert.deepEqual(await lab.getVm({ id: vm.Id }), before, 'the VM is unchanged');
    assert.equal(panel.isDisposed, false, 'a malformed cancel closes nothing');
    const outOfRange = [...panel.posted].reverse().find((m) => m.type === 'applyFailed' && m.requestId === 4);
    assert.ok(outOfRange && outOfRange.type === 'applyFailed');
    assert.equal(outOfRange.fieldErrors.memoryMiB, 'Startup RAM must be between 32 MB and 65536 MB.');
    assert.ok(panel.posted.some((m) => m.type === 'rejected' && /unknown message type 'setVm'/.test(m.message)));
  });

  it('engine errors come back with their SPEC message, next to their field', async () => {
    const taken = await lab.createVm({ name: unique('settings-taken') });
    const vm = await lab.createVm({ name: unique('settings-errors') });
    await lab.checkpoint({ id: vm.Id });
    const panel = await open(vm);
    const first = await loaded(panel);
    assert.equal(first.vm.locked.snapshotFileLocation, 'The checkpoint file location cannot be changed while the virtual machine has checkpoints.');
    const elsewhere = mkdtempSync(join(tmpdir(), 'settings-location-'));
    await panel.handleMessage({ type: 'apply', requestId: 20, close: true, changes: { snapshotFileLocation: elsewhere } });
    let failed = last(panel, 'applyFailed');
    assert.ok(failed && failed.requestId === 20);
    assert.equal(failed.message, 'The checkpoint file location cannot be changed while the virtual machine has checkpoints.');
    assert.equal(failed.fieldErrors.snapshotFileLocation, failed.message);
    assert.equal(panel.isDisposed, false, 'OK that failed keeps the page open');

    await panel.handleMessage({ type: 'apply', requestId: 21, close: false, changes: { name: taken.Name.toUpperCase() } });
    failed = last(panel, 'applyFailed');
    assert.equal(failed?.requestId, 21);
    assert.equal(failed?.fieldErrors.name, `A virtual machine named '${taken.Name.toUpperCase()}' already exists.`);

    await lab.start({ id: vm.Id });
    await panel.handleMessage({ type: 'apply', requestId: 22, close: false, changes: { memoryMiB: 4096, notes: 'not applied either' } });
    failed = last(panel, 'applyFailed');
    assert.equal(failed?.requestId, 22);
    assert.equal(failed?.fieldErrors.memoryMiB, `The operation cannot be performed while the virtual machine '${vm.Name}' is in the Running state.`);
    const after = await lab.getVm({ id: vm.Id });
    assert.equal(after.Notes, '', 'one atomic change: nothing applied');
    await lab.turnOff({ id: vm.Id });
  });

  it('follows changes made elsewhere (another command, the engine as the CLI uses it), with locks', async () => {
    const vm = await lab.createVm({ name: unique('settings-live') });
    const panel = await open(vm);
    await loaded(panel);
    await lab.setVm({ id: vm.Id }, { notes: 'changed elsewhere', checkpointType: 'ProductionOnly' });
    await waitFor(() => last(panel, 'vm')?.form.notes === 'changed elsewhere', 10_000, 'the page to be told about the change');
    const changed = last(panel, 'vm')!;
    assert.equal(changed.cause, 'changed');
    assert.deepEqual(changed.form.checkpoints, { enabled: true, kind: 'Production', fallbackToStandard: false });
    await lab.checkpoint({ id: vm.Id });
    await waitFor(() => last(panel, 'vm')?.vm.checkpointCount === 1, 10_000, 'the checkpoint count');
    assert.ok(last(panel, 'vm')!.vm.locked.snapshotFileLocation, 'location locked once the VM has a checkpoint');
    await lab.start({ id: vm.Id });
    await waitFor(() => last(panel, 'vm')?.vm.state === 'Running', 10_000, 'the state');
    assert.match(last(panel, 'vm')!.vm.locked.memoryMiB ?? '', /only while the virtual machine is Off/);
    await lab.turnOff({ id: vm.Id });
    await lab.removeVm({ id: vm.Id });
    await waitFor(() => panel.posted.some((m) => m.type === 'vmGone'), 10_000, 'the page to learn the VM is gone');
  });

  it('Disabled remembers the radios; Checkpoint then fails with R2', async () => {
    const vm = await lab.createVm({ name: unique('settings-r2') });
    const panel = await open(vm);
    await loaded(panel);
    await panel.handleMessage({ type: 'apply', requestId: 30, close: false, changes: { checkpoints: { enabled: true, kind: 'Standard', fallbackToStandard: false } } });
    await panel.handleMessage({ type: 'apply', requestId: 31, close: true, changes: { checkpoints: { enabled: false, kind: 'Standard', fallbackToStandard: false } } });
    assert.equal(panel.isDisposed, true, 'OK closes the page');
    assert.equal((await lab.getVm({ id: vm.Id })).CheckpointType, 'Disabled');
    const again = await open(vm);
    assert.notEqual(again, panel);
    const shown = await loaded(again);
    assert.deepEqual(shown.form.checkpoints, { enabled: false, kind: 'Standard', fallbackToStandard: false }, 'the radios as they were');
    const { prompter } = await runWith(api, 'checkpointLab.vm.checkpoint', [], vm.Id);
    assert.deepEqual(prompter.errors, [`Checkpoint operation failed. Checkpoints have been disabled for '${vm.Name}'.`]);
    assert.equal((await lab.listCheckpoints({ vm: { id: vm.Id } })).length, 0);
  });

  it('Browse asks the host for a folder; the location is applied; Cancel closes without applying', async () => {
    const vm = await lab.createVm({ name: unique('settings-browse') });
    const folder = mkdtempSync(join(tmpdir(), 'settings-browse-'));
    const panel = await open(vm);
    await loaded(panel);
    const prompter = new ScriptedPrompter(choosePath(folder));
    api.setPrompter(prompter);
    try {
      assert.deepEqual(await panel.handleMessage({ type: 'browse', requestId: 40, current: vm.SnapshotFileLocation }), { accepted: true });
    } finally {
      api.setPrompter(undefined);
    }
    prompter.assertDone();
    assert.deepEqual(last(panel, 'folderPicked'), { type: 'folderPicked', requestId: 40, path: folder });
    await panel.handleMessage({ type: 'apply', requestId: 41, close: false, changes: { snapshotFileLocation: folder } });
    assert.equal((await lab.getVm({ id: vm.Id })).SnapshotFileLocation, folder);
    await panel.handleMessage({ type: 'cancel' });
    assert.equal(panel.isDisposed, true);
    assert.equal((await lab.getVm({ id: vm.Id })).SnapshotFileLocation, folder);
  });
});
