/** SPEC section 1 (VM settings, guest write rules) and section 2 (the lifecycle table) through the facade. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Lab } from '../../../src/engine';
import { cleanup, failsAndChangesNothing, openLab, rejectsWith, scratch, TestClock } from './helpers';

describe('engine: VMs and lifecycle (SPEC sections 1-2)', function () {
  this.timeout(60_000);
  let root: string;
  let lab: Lab;
  const clock = new TestClock();
  let counter = 0;
  const fresh = async (settings: Parameters<Lab['setVm']>[1] = {}): Promise<string> => {
    const name = `vm-${++counter}`;
    await lab.createVm({ name, diskSizeGiB: 1 });
    if (Object.keys(settings).length > 0) await lab.setVm(name, settings);
    return name;
  };

  before(async () => {
    root = scratch();
    lab = await openLab(root, { now: clock.now });
  });
  after(async () => {
    await lab.close();
    cleanup(root);
  });

  it('section 1: new VM defaults (generation 2, linux, 1 GiB memory, Production, automatic off, all integration services on, Off)', async () => {
    const vm = await lab.createVm({ name: '  defaults  ', diskSizeGiB: 1 });
    assert.equal(vm.Name, 'defaults');
    assert.deepEqual(
      { ...vm, Id: undefined },
      {
        Id: undefined,
        Name: 'defaults',
        State: 'Off',
        Status: 'Ok',
        Generation: 2,
        GuestOs: 'linux',
        MemoryStartupBytes: 1024 ** 3,
        DiskSizeBytes: 1024 ** 3,
        CheckpointType: 'Production',
        SnapshotFileLocation: path.join(root, 'Snapshots'),
        AutomaticCheckpointsEnabled: false,
        BackupIntegration: true,
        ShutdownIntegration: true,
        GuestServicesIntegration: true,
        ParentCheckpointId: null,
        ParentCheckpointName: null,
        Notes: '',
      },
    );
    assert.match(vm.Id, /^[0-9a-f-]{36}$/);
    // the disk holds ext4: the root lists lost+found
    assert.deepEqual((await lab.listFiles('defaults')).map((f) => f.Path), ['/lost+found']);
  });

  it('section 1: names are unique case-insensitively, 1-100 characters (R4); bad settings change nothing', async () => {
    await lab.createVm({ name: 'Unique-Name', diskSizeGiB: 1 });
    await failsAndChangesNothing(root, () => lab.createVm({ name: 'unique-name', diskSizeGiB: 1 }), "A virtual machine named 'unique-name' already exists.");
    await failsAndChangesNothing(root, () => lab.createVm({ name: '', diskSizeGiB: 1 }), 'The name must be between 1 and 100 characters.');
    await failsAndChangesNothing(root, () => lab.createVm({ name: 'x'.repeat(101), diskSizeGiB: 1 }), 'The name must be between 1 and 100 characters.');
    await failsAndChangesNothing(root, () => lab.createVm({ name: 'big', diskSizeGiB: 65 }), /whole number of GiB from 1 to 64/);
    await failsAndChangesNothing(root, () => lab.createVm({ name: 'small', memoryStartupBytes: 16 * 1024 ** 2 }), /between 32 MiB and 64 GiB/);
    await failsAndChangesNothing(root, () => lab.setVm('Unique-Name', { name: 'DEFAULTS' }), "A virtual machine named 'DEFAULTS' already exists.");
  });

  it('section 1: VMs are found by name (case-insensitive) or Id; unknown names give the SPEC error', async () => {
    const vm = await lab.getVm('UNIQUE-name');
    assert.equal((await lab.getVm(vm.Id)).Name, 'Unique-Name');
    await rejectsWith(lab.getVm('nope'), "No virtual machine named 'nope' was found.");
    await rejectsWith(lab.start('nope'), "No virtual machine named 'nope' was found.");
  });

  it('section 2: Off -> Start -> Running with a new boot id and an empty /run', async () => {
    const name = await fresh();
    const vm = await lab.start(name);
    assert.equal(vm.State, 'Running');
    const details = await lab.getVmDetails(name);
    assert.match(details.BootId!, /^[0-9a-f-]{36}$/);
    assert.deepEqual(await lab.listFiles(name, '/run'), []);
    await lab.turnOff(name);
    await lab.start(name);
    assert.notEqual((await lab.getVmDetails(name)).BootId, details.BootId, 'a new boot id every start from Off');
  });

  it('section 2: Running -> Pause -> Paused -> Resume -> Running; uptime stops while paused', async () => {
    const name = await fresh();
    await lab.start(name);
    assert.equal((await lab.pause(name)).State, 'Paused');
    const paused = (await lab.getVmDetails(name)).UptimeMs!;
    clock.advance(5000);
    assert.equal((await lab.getVmDetails(name)).UptimeMs, paused, 'the clock does not run while Paused');
    assert.equal((await lab.resume(name)).State, 'Running');
    clock.advance(2000);
    assert.equal((await lab.getVmDetails(name)).UptimeMs, paused + 2000);
  });

  it('section 2: Running or Paused -> Save -> Saved; Saved -> Start resumes the same boot id and /run', async () => {
    for (const paused of [false, true]) {
      const name = await fresh();
      await lab.start(name);
      await lab.writeFile(name, '/run/state.txt', 'in memory');
      const boot = (await lab.getVmDetails(name)).BootId;
      if (paused) await lab.pause(name);
      assert.equal((await lab.save(name)).State, 'Saved');
      assert.ok(fs.existsSync(path.join(root, 'Virtual Machines', `${(await lab.getVm(name)).Id}.vmrs`)), 'memory kept in <VM Id>.vmrs');
      assert.equal((await lab.start(name)).State, 'Running');
      assert.equal((await lab.getVmDetails(name)).BootId, boot);
      assert.equal((await lab.readFile(name, '/run/state.txt')).toString(), 'in memory');
    }
  });

  it('section 2: Saved -> Delete Saved State -> Off, memory discarded', async () => {
    const name = await fresh();
    await lab.start(name);
    await lab.writeFile(name, '/run/x', '1');
    await lab.save(name);
    const vm = await lab.removeSavedState(name);
    assert.equal(vm.State, 'Off');
    assert.ok(!fs.existsSync(path.join(root, 'Virtual Machines', `${vm.Id}.vmrs`)));
    await rejectsWith(lab.readFile(name, '/run/x'), /does not exist: 'vm-\d+' is Off/);
  });

  it('section 2: Running -> Shut Down -> Off needs the Shutdown integration service', async () => {
    const name = await fresh({ shutdownIntegration: false });
    await lab.start(name);
    await failsAndChangesNothing(root, () => lab.shutDown(name), `The virtual machine '${name}' cannot be shut down: the Shutdown integration service is not available.`);
    await lab.setVm(name, { shutdownIntegration: true });
    await lab.writeFile(name, '/run/x', '1');
    await lab.writeFile(name, '/disk.txt', 'kept');
    assert.equal((await lab.shutDown(name)).State, 'Off');
    assert.equal((await lab.readFile(name, '/disk.txt')).toString(), 'kept');
    await rejectsWith(lab.readFile(name, '/run/x'), /is Off/);
  });

  it('section 2: Running or Paused -> Turn Off -> Off, memory lost', async () => {
    for (const pause of [false, true]) {
      const name = await fresh();
      await lab.start(name);
      await lab.writeFile(name, '/run/x', '1');
      if (pause) await lab.pause(name);
      assert.equal((await lab.turnOff(name)).State, 'Off');
      await lab.start(name);
      assert.deepEqual(await lab.listFiles(name, '/run'), []);
    }
  });

  it('section 2: any other pair fails with "The operation cannot be performed while ..." and changes nothing', async () => {
    const name = await fresh();
    const msg = (state: string) => `The operation cannot be performed while the virtual machine '${name}' is in the ${state} state.`;
    for (const op of [lab.pause, lab.resume, lab.save, lab.shutDown, lab.turnOff, lab.removeSavedState]) {
      await failsAndChangesNothing(root, () => op.call(lab, name), msg('Off'));
    }
    await lab.start(name);
    for (const op of [lab.start, lab.resume, lab.removeSavedState]) await failsAndChangesNothing(root, () => op.call(lab, name), msg('Running'));
    await lab.pause(name);
    for (const op of [lab.start, lab.pause, lab.shutDown, lab.removeSavedState]) await failsAndChangesNothing(root, () => op.call(lab, name), msg('Paused'));
    await lab.save(name);
    for (const op of [lab.pause, lab.resume, lab.save, lab.shutDown, lab.turnOff]) await failsAndChangesNothing(root, () => op.call(lab, name), msg('Saved'));
  });

  it('section 2: memory and generation change only while Off; name, notes, integration and checkpoint settings in any state', async () => {
    const name = await fresh();
    await lab.start(name);
    await failsAndChangesNothing(root, () => lab.setVm(name, { memoryStartupBytes: 2 * 1024 ** 3 }), `The operation cannot be performed while the virtual machine '${name}' is in the Running state.`);
    await failsAndChangesNothing(root, () => lab.setVm(name, { generation: 1 }), `The operation cannot be performed while the virtual machine '${name}' is in the Running state.`);
    const changed = await lab.setVm(name, { notes: 'n', checkpointType: 'Standard', automaticCheckpointsEnabled: true, backupIntegration: false, guestServicesIntegration: false, name: `${name}-renamed` });
    assert.deepEqual([changed.Notes, changed.CheckpointType, changed.AutomaticCheckpointsEnabled, changed.BackupIntegration, changed.GuestServicesIntegration, changed.Name], ['n', 'Standard', true, false, false, `${name}-renamed`]);
    await lab.turnOff(changed.Id);
    const off = await lab.setVm(changed.Id, { memoryStartupBytes: 2 * 1024 ** 3, generation: 1 });
    assert.equal(off.MemoryStartupBytes, 2 * 1024 ** 3);
    assert.equal(off.Generation, 1);
  });

  it('section 2: Remove VM refuses Running or Paused ("Turn off \'<VM>\' first.") and deletes the VM\'s files', async () => {
    const name = await fresh();
    const vm = await lab.start(name);
    const { checkpoint } = await lab.checkpoint(name);
    await failsAndChangesNothing(root, () => lab.removeVm(name), `Turn off '${name}' first.`);
    await lab.pause(name);
    await failsAndChangesNothing(root, () => lab.removeVm(name), `Turn off '${name}' first.`);
    await lab.save(name);
    await lab.removeVm(name);
    await rejectsWith(lab.getVm(name), `No virtual machine named '${name}' was found.`);
    assert.ok(!fs.existsSync(path.join(root, 'Virtual Hard Disks', vm.Id)));
    assert.ok(!fs.readdirSync(path.join(root, 'Virtual Machines')).some((n) => n.startsWith(vm.Id)));
    assert.deepEqual(fs.readdirSync(path.join(root, 'Snapshots')).filter((n) => n.startsWith(checkpoint.Id)), []);
    assert.deepEqual((await lab.verify()).Problems, []);
  });

  it('section 1 (the guest): Paused and Saved disks cannot be changed; reading works in every state', async () => {
    const name = await fresh();
    await lab.writeFile(name, '/a.txt', 'a');
    await lab.start(name);
    for (const state of ['Paused', 'Saved'] as const) {
      if (state === 'Paused') await lab.pause(name);
      else await lab.save(name);
      await failsAndChangesNothing(root, () => lab.writeFile(name, '/a.txt', 'b'), `The virtual machine '${name}' is ${state}; its disks cannot be changed in that state.`);
      await failsAndChangesNothing(root, () => lab.removeFile(name, '/a.txt'), `The virtual machine '${name}' is ${state}; its disks cannot be changed in that state.`);
      assert.equal((await lab.readFile(name, '/a.txt')).toString(), 'a');
    }
  });

  it('section 1 (the guest): Off writes the disk only; /run does not exist', async () => {
    const name = await fresh();
    await lab.writeFile(name, '/etc/app.conf', 'x', { createParents: true });
    assert.equal((await lab.readFile(name, '/etc/app.conf')).toString(), 'x');
    await failsAndChangesNothing(root, () => lab.writeFile(name, '/run/x', 'y'), /'\/run\/x' does not exist: 'vm-\d+' is Off/);
  });

  it('section 1 (the guest): copy-vmfile into a Running VM needs GuestServices; into an Off VM it is an offline copy', async () => {
    const name = await fresh({ guestServicesIntegration: false });
    const host = path.join(root, 'host.txt');
    fs.writeFileSync(host, 'from host');
    await lab.copyFileIn(name, host, '/copied.txt');
    assert.equal((await lab.readFile(name, '/copied.txt')).toString(), 'from host');
    await lab.start(name);
    await failsAndChangesNothing(root, () => lab.copyFileIn(name, host, '/copied2.txt'), `The Guest Service Interface integration service is not enabled for '${name}'.`);
    await lab.setVm(name, { guestServicesIntegration: true });
    await lab.copyFileIn(name, host, '/copied2.txt');
    assert.equal((await lab.readFile(name, '/copied2.txt')).toString(), 'from host');
  });

  it('section 1 (the guest): a write is durable when it returns (a second Lab on the store reads it)', async () => {
    const name = await fresh();
    await lab.writeFile(name, '/durable.txt', 'yes');
    const other = await openLab(root);
    try {
      assert.equal((await other.readFile(name, '/durable.txt')).toString(), 'yes');
    } finally {
      await other.close();
    }
  });

  it('section 2 (lab rule): saveAllRunning saves every Running or Paused VM', async () => {
    const a = await fresh();
    const b = await fresh();
    await lab.start(a);
    await lab.start(b);
    await lab.pause(b);
    const saved = await lab.saveAllRunning();
    assert.ok(saved.some((v) => v.Name === a) && saved.some((v) => v.Name === b));
    assert.equal((await lab.getVm(a)).State, 'Saved');
    assert.equal((await lab.getVm(b)).State, 'Saved');
  });
});
