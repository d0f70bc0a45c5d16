/** SPEC section 3, R1-R25, through the facade. Each test names the rule it covers. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Lab } from '../../../src/engine';
import { cleanup, diskFiles, failsAndChangesNothing, openLab, rejectsWith, scratch, TestClock } from './helpers';

const read = async (lab: Lab, vm: string, p: string, checkpoint?: string): Promise<string> =>
  (await lab.readFile(vm, p, checkpoint === undefined ? {} : { checkpoint })).toString();

describe('engine: checkpoint rules R1-R25', function () {
  this.timeout(120_000);
  let root: string;
  let lab: Lab;
  const clock = new TestClock();
  let counter = 0;
  const fresh = async (settings: Parameters<Lab['setVm']>[1] = {}): Promise<string> => {
    const name = `cp-${++counter}`;
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
  afterEach(function () {
    clock.advance(1000);
  });

  it('R1: checkpoints are allowed Off, Running, Paused and Saved; a Running or Paused VM stays in its state', async () => {
    const name = await fresh();
    await lab.checkpoint(name);
    await lab.start(name);
    await lab.checkpoint(name);
    assert.equal((await lab.getVm(name)).State, 'Running');
    await lab.pause(name);
    await lab.checkpoint(name);
    assert.equal((await lab.getVm(name)).State, 'Paused');
    await lab.save(name);
    await lab.checkpoint(name);
    assert.equal((await lab.getVm(name)).State, 'Saved');
    assert.deepEqual((await lab.listCheckpoints({ vm: name })).map((c) => c.VmState), ['Off', 'Running', 'Paused', 'Saved']);
  });

  it('R2: CheckpointType Disabled fails with the SPEC message and nothing changes', async () => {
    const name = await fresh({ checkpointType: 'Disabled' });
    await failsAndChangesNothing(root, () => lab.checkpoint(name), `Checkpoint operation failed. Checkpoints have been disabled for '${name}'.`);
  });

  it('R3: the default name is "<VM> - (M/d/yyyy - h:mm:ss AM|PM)" in local time', async () => {
    const name = await fresh();
    clock.time = new Date(2026, 10, 21, 21, 58, 1);
    const { checkpoint } = await lab.checkpoint(name);
    assert.equal(checkpoint.Name, `${name} - (11/21/2026 - 9:58:01 PM)`);
    assert.equal(checkpoint.CreationTime, new Date(2026, 10, 21, 21, 58, 1).toISOString());
  });

  it('R4: names of 0 or 101 characters are refused and nothing changes; names are trimmed', async () => {
    const name = await fresh();
    for (const bad of ['', '   ', 'n'.repeat(101)]) {
      await failsAndChangesNothing(root, () => lab.checkpoint(name, { name: bad }), 'The name must be between 1 and 100 characters.');
    }
    assert.equal((await lab.checkpoint(name, { name: '  padded  ' })).checkpoint.Name, 'padded');
  });

  it('R5: at most 50 checkpoints; the 51st fails with the SPEC message and nothing changes', async () => {
    const name = await fresh();
    for (let i = 0; i < 50; i++) await lab.checkpoint(name, { name: `c${i}` });
    await failsAndChangesNothing(root, () => lab.checkpoint(name), `Checkpoint operation failed. '${name}' already has the maximum of 50 checkpoints.`);
    assert.equal((await lab.listCheckpoints({ vm: name })).length, 50);
  });

  it('R6: a new checkpoint\'s parent is ParentCheckpoint; afterwards ParentCheckpoint is the new one', async () => {
    const name = await fresh();
    const a = (await lab.checkpoint(name, { name: 'a' })).checkpoint;
    assert.equal(a.ParentSnapshotId, null);
    assert.equal((await lab.getVm(name)).ParentCheckpointId, a.Id);
    const b = (await lab.checkpoint(name, { name: 'b' })).checkpoint;
    assert.equal(b.ParentSnapshotId, a.Id);
    assert.equal(b.ParentSnapshotName, 'a');
    const vm = await lab.getVm(name);
    assert.equal(vm.ParentCheckpointId, b.Id);
    assert.equal(vm.ParentCheckpointName, 'b');
  });

  it('R7: a checkpoint freezes the disk and Now continues on a new differencing disk disk0_<GUID>.avhdx', async () => {
    const name = await fresh();
    const vm = await lab.getVm(name);
    await lab.writeFile(name, '/f.txt', 'before');
    assert.deepEqual(diskFiles(root, vm.Id), ['disk0.vhdx']);
    const { checkpoint } = await lab.checkpoint(name);
    const files = diskFiles(root, vm.Id);
    assert.equal(files.length, 2);
    assert.match(files[1], /^disk0_[0-9A-F-]{36}\.avhdx$/);
    await lab.writeFile(name, '/f.txt', 'after');
    assert.equal(await read(lab, name, '/f.txt', checkpoint.Id), 'before');
    assert.equal(await read(lab, name, '/f.txt'), 'after');
    await rejectsWith(lab.writeFile(name, '/x', 'y').then(() => lab.readFile(name, '/x', { checkpoint: checkpoint.Id })), /does not exist/);
  });

  it('R8: Production of an Off VM, and of a Running VM with Backup, quiesces and holds no memory', async () => {
    const name = await fresh();
    const off = (await lab.checkpoint(name)).checkpoint;
    assert.deepEqual([off.CheckpointType, off.HasSavedState], ['Production', false]);
    await lab.start(name);
    await lab.writeFile(name, '/data.txt', 'flushed');
    await lab.writeFile(name, '/run/mem.txt', 'memory');
    const result = await lab.checkpoint(name);
    assert.equal(result.notice, undefined);
    assert.deepEqual([result.checkpoint.CheckpointType, result.checkpoint.HasSavedState], ['Production', false]);
    assert.equal(await read(lab, name, '/data.txt', result.checkpoint.Id), 'flushed');
    await rejectsWith(lab.readFile(name, '/run/mem.txt', { checkpoint: result.checkpoint.Id }), /holds no memory/);
  });

  it('R9: Production falls back to Standard with the notice; ProductionOnly fails and nothing changes', async () => {
    const name = await fresh({ backupIntegration: false });
    await lab.start(name);
    const fallback = await lab.checkpoint(name);
    assert.equal(fallback.checkpoint.CheckpointType, 'Standard');
    assert.match(fallback.notice!, /^Standard checkpoint created because a production checkpoint could not be created: .*Backup/);
    await lab.setVm(name, { backupIntegration: true });
    await lab.pause(name);
    const paused = await lab.checkpoint(name);
    assert.equal(paused.checkpoint.CheckpointType, 'Standard');
    assert.match(paused.notice!, /^Standard checkpoint created because a production checkpoint could not be created: /);
    await lab.setVm(name, { checkpointType: 'ProductionOnly' });
    await failsAndChangesNothing(root, () => lab.checkpoint(name), `Checkpoint operation failed. Production checkpoints cannot be created for '${name}'.`);
    await lab.save(name);
    await failsAndChangesNothing(root, () => lab.checkpoint(name), `Checkpoint operation failed. Production checkpoints cannot be created for '${name}'.`);
  });

  it('R10: a Standard checkpoint of a Running, Paused or Saved VM holds its memory; of an Off VM none', async () => {
    const name = await fresh({ checkpointType: 'Standard' });
    assert.equal((await lab.checkpoint(name)).checkpoint.HasSavedState, false);
    await lab.start(name);
    await lab.writeFile(name, '/run/m.txt', 'running');
    const running = (await lab.checkpoint(name)).checkpoint;
    assert.equal(running.HasSavedState, true);
    assert.equal(await read(lab, name, '/run/m.txt', running.Id), 'running');
    await lab.pause(name);
    assert.equal((await lab.checkpoint(name)).checkpoint.HasSavedState, true);
    await lab.save(name);
    const saved = (await lab.checkpoint(name)).checkpoint;
    assert.equal(saved.HasSavedState, true);
    assert.equal(await read(lab, name, '/run/m.txt', saved.Id), 'running');
  });

  it('R11: Apply discards Now, restores hardware config, not checkpoint settings; ParentCheckpoint becomes the applied one', async () => {
    const name = await fresh();
    await lab.writeFile(name, '/f.txt', 'one');
    const one = (await lab.checkpoint(name, { name: 'one' })).checkpoint;
    await lab.checkpoint(name, { name: 'two' });
    await lab.writeFile(name, '/f.txt', 'now');
    await lab.setVm(name, { memoryStartupBytes: 2 * 1024 ** 3, guestServicesIntegration: false, checkpointType: 'Standard', automaticCheckpointsEnabled: true });
    const { vm } = await lab.apply(name, 'one');
    assert.equal(await read(lab, name, '/f.txt'), 'one');
    assert.equal(vm.MemoryStartupBytes, 1024 ** 3);
    assert.equal(vm.GuestServicesIntegration, true);
    assert.equal(vm.CheckpointType, 'Standard', 'checkpoint settings are not restored');
    assert.equal(vm.AutomaticCheckpointsEnabled, true);
    assert.equal(vm.ParentCheckpointId, one.Id);
    // Now continues on a new differencing disk whose parent is the checkpoint's disk: writes do not change 'one'
    await lab.writeFile(name, '/f.txt', 'after apply');
    assert.equal(await read(lab, name, '/f.txt', 'one'), 'one');
  });

  it('R12: after Apply the VM is Saved if the checkpoint has memory (Start resumes it), Off otherwise', async () => {
    const name = await fresh({ checkpointType: 'Standard' });
    await lab.start(name);
    await lab.writeFile(name, '/run/m', 'mem');
    const boot = (await lab.getVmDetails(name)).BootId;
    const withMemory = (await lab.checkpoint(name, { name: 'mem' })).checkpoint;
    await lab.turnOff(name);
    await lab.setVm(name, { checkpointType: 'Production' });
    const off = (await lab.checkpoint(name, { name: 'off' })).checkpoint;
    await lab.start(name);
    assert.equal((await lab.apply(name, withMemory.Id)).vm.State, 'Saved');
    await lab.start(name);
    assert.equal((await lab.getVmDetails(name)).BootId, boot);
    assert.equal(await read(lab, name, '/run/m'), 'mem');
    await lab.writeFile(name, '/prod.txt', 'p');
    const production = (await lab.checkpoint(name, { name: 'prod' })).checkpoint;
    assert.equal(production.CheckpointType, 'Production');
    assert.equal((await lab.apply(name, off.Id)).vm.State, 'Off');
    await lab.start(name);
    assert.equal((await lab.apply(name, production.Id)).vm.State, 'Off', 'production checkpoints hold no memory');
  });

  it('R13: Create Checkpoint and Apply takes a checkpoint of Now first; if that fails nothing is applied', async () => {
    const name = await fresh();
    await lab.writeFile(name, '/f.txt', 'base');
    await lab.checkpoint(name, { name: 'base' });
    await lab.writeFile(name, '/f.txt', 'work');
    const result = await lab.apply(name, 'base', { checkpointFirst: true });
    assert.ok(result.checkpointTaken);
    assert.equal(await read(lab, name, '/f.txt', result.checkpointTaken!.Id), 'work');
    assert.equal(await read(lab, name, '/f.txt'), 'base');
    await lab.writeFile(name, '/f.txt', 'more work');
    await lab.setVm(name, { checkpointType: 'Disabled' });
    await failsAndChangesNothing(root, () => lab.apply(name, 'base', { checkpointFirst: true }), `Checkpoint operation failed. Checkpoints have been disabled for '${name}'.`);
    assert.equal(await read(lab, name, '/f.txt'), 'more work');
  });

  it('R13: Revert applies ParentCheckpoint; without one it fails with the SPEC message', async () => {
    const name = await fresh();
    await failsAndChangesNothing(root, () => lab.revert(name), `'${name}' has no checkpoint to revert to.`);
    await lab.writeFile(name, '/f.txt', 'saved');
    await lab.checkpoint(name);
    await lab.writeFile(name, '/f.txt', 'changed');
    const result = await lab.revert(name, { checkpointFirst: true });
    assert.equal(await read(lab, name, '/f.txt'), 'saved');
    assert.equal(await read(lab, name, '/f.txt', result.checkpointTaken!.Id), 'changed');
  });

  it('R14: Start from Off of a VM with no checkpoints takes an automatic checkpoint; none with checkpoints, from Saved, or when Disabled', async () => {
    const name = await fresh({ automaticCheckpointsEnabled: true });
    clock.time = new Date(2026, 10, 21, 9, 5, 0);
    await lab.start(name);
    const list = await lab.listCheckpoints({ vm: name });
    assert.equal(list.length, 1);
    assert.equal(list[0].Name, `Automatic Checkpoint - ${name} - (11/21/2026 - 9:05:00 AM)`);
    assert.equal(list[0].IsAutomatic, true);
    assert.equal(list[0].VmState, 'Off');
    await lab.save(name);
    await lab.start(name);
    await lab.turnOff(name);
    await lab.start(name);
    assert.equal((await lab.listCheckpoints({ vm: name })).length, 1, 'none from Saved, none when checkpoints exist');
    const disabled = await fresh({ automaticCheckpointsEnabled: true, checkpointType: 'Disabled' });
    await lab.start(disabled);
    assert.equal((await lab.listCheckpoints({ vm: disabled })).length, 0);
  });

  it('R15: a clean Shut Down deletes this run\'s automatic checkpoint, unless it has children; Turn Off keeps it', async () => {
    const name = await fresh({ automaticCheckpointsEnabled: true });
    await lab.writeFile(name, '/f.txt', 'v1');
    await lab.start(name);
    await lab.writeFile(name, '/f.txt', 'v2');
    await lab.shutDown(name);
    assert.equal((await lab.listCheckpoints({ vm: name })).length, 0);
    assert.equal(await read(lab, name, '/f.txt'), 'v2', 'the merge keeps Now');
    assert.deepEqual(diskFiles(root, (await lab.getVm(name)).Id), ['disk0.vhdx']);
    await lab.start(name);
    await lab.turnOff(name);
    assert.equal((await lab.listCheckpoints({ vm: name })).length, 1, 'Turn Off is not a clean shut down');
    await lab.removeCheckpoint(name, '*');
    await lab.start(name);
    await lab.checkpoint(name, { name: 'built on' });
    await lab.shutDown(name);
    assert.deepEqual((await lab.listCheckpoints({ vm: name })).map((c) => c.IsAutomatic), [true, false], 'one the user built on is kept');
  });

  it('R16: Delete moves children and Now up to the parent, removes its files, and merges its disk into the parent\'s file', async () => {
    const name = await fresh({ checkpointType: 'Standard' });
    const vm = await lab.getVm(name);
    await lab.start(name);
    await lab.writeFile(name, '/f.txt', 'a');
    const a = (await lab.checkpoint(name, { name: 'a' })).checkpoint;
    await lab.writeFile(name, '/f.txt', 'b');
    const b = (await lab.checkpoint(name, { name: 'b' })).checkpoint;
    await lab.writeFile(name, '/f.txt', 'c');
    const c = (await lab.checkpoint(name, { name: 'c' })).checkpoint;
    await lab.writeFile(name, '/f.txt', 'now');
    assert.ok(fs.existsSync(path.join(root, 'Snapshots', `${b.Id}.vmcx`)));
    assert.ok(fs.existsSync(path.join(root, 'Snapshots', `${b.Id}.vmrs`)));
    const before = diskFiles(root, vm.Id);
    await lab.removeCheckpoint(name, 'b');
    const list = await lab.listCheckpoints({ vm: name });
    assert.deepEqual(list.map((x) => [x.Name, x.ParentSnapshotName]), [['a', null], ['c', 'a']]);
    assert.ok(!fs.existsSync(path.join(root, 'Snapshots', `${b.Id}.vmcx`)));
    assert.ok(!fs.existsSync(path.join(root, 'Snapshots', `${b.Id}.vmrs`)));
    const after = diskFiles(root, vm.Id);
    assert.equal(after.length, before.length - 1, 'the frozen disk with one child merged');
    assert.ok(after.every((f) => before.includes(f)), 'the pair kept the parent\'s file');
    // Now moves up when its parent is deleted
    await lab.removeCheckpoint(name, 'c');
    assert.equal((await lab.getVm(name)).ParentCheckpointId, a.Id);
    assert.equal(await read(lab, name, '/f.txt'), 'now');
    assert.equal(await read(lab, name, '/f.txt', 'a'), 'a');
    // a frozen disk with two child disks stays (unnamed) until it has fewer
    await lab.apply(name, 'a');
    await lab.checkpoint(name, { name: 'sibling' });
    void c;
    assert.deepEqual((await lab.verify()).Problems, []);
  });

  it('R16: a frozen disk with two or more children stays after its checkpoint is deleted, then merges when one child goes', async () => {
    const name = await fresh();
    const vm = await lab.getVm(name);
    await lab.writeFile(name, '/f.txt', 'root');
    await lab.checkpoint(name, { name: 'root' });
    await lab.writeFile(name, '/f.txt', 'left');
    await lab.checkpoint(name, { name: 'left' });
    await lab.apply(name, 'root');
    await lab.writeFile(name, '/f.txt', 'right');
    await lab.checkpoint(name, { name: 'right' });
    const files = diskFiles(root, vm.Id).length;
    await lab.removeCheckpoint(name, 'root');
    assert.equal(diskFiles(root, vm.Id).length, files, 'the root disk stays: it has two children');
    assert.equal(await read(lab, name, '/f.txt', 'left'), 'left');
    await lab.removeCheckpoint(name, 'left');
    assert.equal(diskFiles(root, vm.Id).length, files - 2, 'left deleted, then the unnamed root merged with its one child');
    assert.equal(await read(lab, name, '/f.txt', 'right'), 'right');
    assert.deepEqual((await lab.verify()).Problems, []);
  });

  it('R17: Delete Subtree removes the checkpoint and its descendants; Now inside survives unchanged under the parent', async () => {
    const name = await fresh();
    await lab.writeFile(name, '/f.txt', 'keep');
    const keep = (await lab.checkpoint(name, { name: 'keep' })).checkpoint;
    await lab.checkpoint(name, { name: 'top' });
    await lab.checkpoint(name, { name: 'mid' });
    await lab.writeFile(name, '/f.txt', 'now data');
    const { removed } = await lab.removeCheckpoint(name, 'top', { includeChildren: true });
    assert.deepEqual(removed.map((c) => c.Name), ['top', 'mid']);
    assert.deepEqual((await lab.listCheckpoints({ vm: name })).map((c) => c.Name), ['keep']);
    assert.equal((await lab.getVm(name)).ParentCheckpointId, keep.Id);
    assert.equal(await read(lab, name, '/f.txt'), 'now data');
  });

  it('R18: deleting never changes what Now or any remaining checkpoint reads', async () => {
    const name = await fresh();
    const expected = new Map<string, string>();
    for (const step of ['s1', 's2', 's3', 's4']) {
      await lab.writeFile(name, '/f.txt', step);
      await lab.writeFile(name, `/${step}.txt`, step);
      await lab.checkpoint(name, { name: step });
      expected.set(step, step);
    }
    await lab.apply(name, 's2');
    await lab.writeFile(name, '/f.txt', 'branch');
    await lab.checkpoint(name, { name: 'b1' });
    expected.set('b1', 'branch');
    await lab.writeFile(name, '/f.txt', 'now');
    for (const victim of ['s2', 's4', 's1']) {
      await lab.removeCheckpoint(name, victim);
      expected.delete(victim);
      for (const [cp, content] of expected) assert.equal(await read(lab, name, '/f.txt', cp), content, `${cp} after deleting ${victim}`);
      assert.equal(await read(lab, name, '/f.txt'), 'now');
    }
  });

  it('R19: when no checkpoints are left the disk is a single .vhdx again', async () => {
    const name = await fresh();
    const vm = await lab.getVm(name);
    for (let i = 0; i < 4; i++) {
      await lab.writeFile(name, `/f${i}`, `${i}`);
      await lab.checkpoint(name, { name: `c${i}` });
    }
    await lab.apply(name, 'c1');
    await lab.writeFile(name, '/g', 'g');
    await lab.checkpoint(name, { name: 'c4' });
    await lab.removeCheckpoint(name, '*');
    assert.deepEqual(diskFiles(root, vm.Id), ['disk0.vhdx']);
    assert.equal(await read(lab, name, '/g'), 'g');
    assert.deepEqual((await lab.verify()).Problems, []);
  });

  it('R20: merges run while the VM runs and move no data bytes', async () => {
    const name = await fresh();
    const vm = await lab.getVm(name);
    await lab.start(name);
    await lab.writeFile(name, '/big.bin', Buffer.alloc(4 * 1024 * 1024, 7));
    await lab.checkpoint(name, { name: 'x' });
    await lab.writeFile(name, '/big.bin', Buffer.alloc(4 * 1024 * 1024, 9));
    const pool = path.join(root, 'Virtual Hard Disks', vm.Id, 'blocks.pool');
    const poolBefore = fs.statSync(pool).size;
    await lab.removeCheckpoint(name, 'x');
    assert.equal((await lab.getVm(name)).State, 'Running');
    const disks = (lab as unknown as { runtimes: Map<string, { disks: { copiedDataBytes: number } }> }).runtimes.get(vm.Id)!.disks;
    assert.equal(disks.copiedDataBytes, 0);
    assert.ok(fs.statSync(pool).size <= poolBefore, 'the pool does not grow: blocks are remapped');
    assert.equal((await lab.readFile(name, '/big.bin'))[12345], 9);
  });

  it('R30 (index): ExclusiveBytes and SharedBytes are in the index, seen by another Lab without loading disks', async () => {
    const name = await fresh();
    await lab.writeFile(name, '/big.bin', Buffer.alloc(1024 * 1024, 1));
    const { checkpoint } = await lab.checkpoint(name, { name: 'usage' });
    await lab.writeFile(name, '/big.bin', Buffer.alloc(1024 * 1024, 2));
    const listed = await lab.getCheckpoint(name, checkpoint.Id);
    assert.ok(listed.ExclusiveBytes >= 1024 * 1024, `exclusive ${listed.ExclusiveBytes}`);
    assert.ok(listed.SharedBytes > 0, 'the file system metadata Now still reads is shared');
    const other = await openLab(root);
    try {
      assert.deepEqual(await other.getCheckpoint(name, checkpoint.Id), listed);
    } finally {
      await other.close();
    }
  });

  it('R21: rename validates like R4; notes are free text', async () => {
    const name = await fresh();
    await lab.checkpoint(name, { name: 'old' });
    await failsAndChangesNothing(root, () => lab.renameCheckpoint(name, 'old', ''), 'The name must be between 1 and 100 characters.');
    await failsAndChangesNothing(root, () => lab.renameCheckpoint(name, 'old', 'x'.repeat(101)), 'The name must be between 1 and 100 characters.');
    assert.equal((await lab.renameCheckpoint(name, 'OLD', ' new ')).Name, 'new');
    assert.equal((await lab.setCheckpointNotes(name, 'new', 'line 1\nline 2 ✓')).Notes, 'line 1\nline 2 ✓');
    assert.equal((await lab.getCheckpoint(name, 'new')).Notes, 'line 1\nline 2 ✓');
  });

  it('R22: SnapshotFileLocation must be a writable folder, changes only without checkpoints, holds the files, and Missing when it disappears', async () => {
    const name = await fresh({ checkpointType: 'Standard' });
    const outside = scratch('clab-snapshots-');
    try {
      await failsAndChangesNothing(root, () => lab.setVm(name, { snapshotFileLocation: path.join(outside, 'nope') }), `The checkpoint file location '${path.join(outside, 'nope')}' is not a writable folder.`);
      await failsAndChangesNothing(root, () => lab.setVm(name, { snapshotFileLocation: 'relative/dir' }), "The checkpoint file location 'relative/dir' is not a writable folder.");
      assert.equal((await lab.setVm(name, { snapshotFileLocation: outside })).SnapshotFileLocation, outside);
      await lab.start(name);
      const { checkpoint } = await lab.checkpoint(name);
      assert.deepEqual(fs.readdirSync(outside).sort(), [`${checkpoint.Id}.vmcx`, `${checkpoint.Id}.vmrs`]);
      await failsAndChangesNothing(root, () => lab.setVm(name, { snapshotFileLocation: null }), 'The checkpoint file location cannot be changed while the virtual machine has checkpoints.');
      assert.deepEqual((await lab.verify()).Problems, []);
      fs.rmSync(outside, { recursive: true, force: true });
      assert.equal((await lab.getCheckpoint(name, checkpoint.Id)).Status, 'Missing');
      await lab.removeCheckpoint(name, checkpoint.Id);
      assert.equal((await lab.setVm(name, { snapshotFileLocation: null })).SnapshotFileLocation, path.join(root, 'Snapshots'));
    } finally {
      cleanup(outside);
    }
  });

  it('R23: export of Now and of a checkpoint writes <DIR>/<VM>/Virtual Machines/<Id>.vmcx and Virtual Hard Disks/disk0.vhdx|raw; import makes a new Off VM', async () => {
    const name = await fresh({ checkpointType: 'Standard', notes: 'exported notes' });
    await lab.writeFile(name, '/app/a.txt', 'checkpointed', { createParents: true });
    const { checkpoint } = await lab.checkpoint(name, { name: 'cp' });
    await lab.writeFile(name, '/app/a.txt', 'now');
    await lab.start(name);
    const vm = await lab.getVm(name);
    const out = scratch('clab-export-');
    try {
      const now = await lab.exportVm(name, path.join(out, 'new', 'dir'));
      assert.equal(now.configFile, path.join(out, 'new', 'dir', name, 'Virtual Machines', `${vm.Id}.vmcx`));
      assert.equal(now.diskFile, path.join(out, 'new', 'dir', name, 'Virtual Hard Disks', 'disk0.vhdx'));
      assert.ok(fs.existsSync(now.diskFile));
      const raw = await lab.exportCheckpoint(name, checkpoint.Id, path.join(out, 'raw'), { diskFormat: 'raw' });
      assert.ok(raw.diskFile.endsWith(path.join('Virtual Hard Disks', 'disk0.raw')));
      assert.equal(fs.statSync(raw.diskFile).size, 1024 ** 3);
      await failsAndChangesNothing(root, () => lab.importVm(now.folder), `A virtual machine named '${name}' already exists. Give the imported virtual machine a new name.`);
      const imported = await lab.importVm(now.folder, { name: 'imported-now' });
      assert.notEqual(imported.Id, vm.Id);
      assert.deepEqual([imported.State, imported.Notes, imported.CheckpointType, imported.ParentCheckpointId], ['Off', 'exported notes', 'Standard', null]);
      assert.equal(await read(lab, 'imported-now', '/app/a.txt'), 'now');
      assert.equal((await lab.listCheckpoints({ vm: 'imported-now' })).length, 0);
      const fromVmcx = await lab.importVm(raw.configFile, { name: 'imported-cp' });
      assert.equal(fromVmcx.State, 'Off');
      assert.equal(await read(lab, 'imported-cp', '/app/a.txt'), 'checkpointed');
      const bare = await lab.importVm(raw.diskFile, { name: 'bare-raw' });
      assert.equal(bare.DiskSizeBytes, 1024 ** 3);
      assert.equal(await read(lab, 'bare-raw', '/app/a.txt'), 'checkpointed');
      const junk = path.join(out, 'junk.bin');
      fs.writeFileSync(junk, 'not a disk');
      await failsAndChangesNothing(root, () => lab.importVm(junk, { name: 'junk' }), /cannot be imported/);
      await failsAndChangesNothing(root, () => lab.importVm(out, { name: 'folder' }), /is not an exported virtual machine/);
      await rejectsWith(lab.exportVm(name, path.join(out, 'new', 'dir')), /already holds an export/);
      assert.deepEqual((await lab.verify()).Problems, []);
    } finally {
      cleanup(out);
    }
  });

  it('R24: one-checkpoint commands refuse ambiguous names; remove takes wildcards; unknown names give the SPEC errors', async () => {
    const name = await fresh();
    await lab.checkpoint(name, { name: 'Dup' });
    await lab.checkpoint(name, { name: 'dup' });
    await lab.checkpoint(name, { name: 'keep' });
    const message = `More than one checkpoint of '${name}' is named 'DUP'. Use its Id.`;
    await failsAndChangesNothing(root, () => lab.apply(name, 'DUP'), message);
    await failsAndChangesNothing(root, () => lab.renameCheckpoint(name, 'DUP', 'x'), message);
    await failsAndChangesNothing(root, () => lab.removeCheckpoint(name, 'DUP'), message);
    await failsAndChangesNothing(root, () => lab.apply(name, 'missing'), `'${name}' has no checkpoint named 'missing'.`);
    await failsAndChangesNothing(root, () => lab.removeCheckpoint('ghost', 'x'), "No virtual machine named 'ghost' was found.");
    await rejectsWith(lab.listCheckpoints({ vm: name, name: 'missing' }), `'${name}' has no checkpoint named 'missing'.`);
    const { removed } = await lab.removeCheckpoint(name, 'd?P*');
    assert.deepEqual(removed.map((c) => c.Name).sort(), ['Dup', 'dup']);
    assert.deepEqual((await lab.listCheckpoints({ vm: name })).map((c) => c.Name), ['keep']);
  });

  it('R25: a checkpoint or VM with missing or damaged files shows as Missing, never crashes a listing, and can be deleted', async () => {
    const name = await fresh();
    await lab.checkpoint(name, { name: 'fine' });
    const broken = (await lab.checkpoint(name, { name: 'broken' })).checkpoint;
    fs.rmSync(path.join(root, 'Snapshots', `${broken.Id}.vmcx`));
    const list = await lab.listCheckpoints({ vm: name });
    assert.deepEqual(list.map((c) => [c.Name, c.Status]), [['fine', 'Ok'], ['broken', 'Missing']]);
    assert.ok(!(await lab.verify()).Healthy);
    await lab.removeCheckpoint(name, 'broken');
    assert.deepEqual((await lab.verify()).Problems, []);
    // a VM whose config is damaged
    const other = await fresh();
    const otherVm = await lab.getVm(other);
    fs.writeFileSync(path.join(root, 'Virtual Machines', `${otherVm.Id}.vmcx`), '{"format": 1, "checksum": "crc32:00000000", "data": {}}');
    const result = await lab.verify();
    assert.ok(result.Problems.some((p) => p.File.includes(otherVm.Id)));
    assert.equal((await lab.getVm(other)).Status, 'Missing');
    assert.ok((await lab.listVms()).some((v) => v.Name === other && v.Status === 'Missing'));
    // a VM whose disks are gone
    const third = await fresh();
    const thirdVm = await lab.getVm(third);
    fs.rmSync(path.join(root, 'Virtual Hard Disks', thirdVm.Id), { recursive: true });
    assert.equal((await lab.getVm(third)).Status, 'Missing');
    await rejectsWith(lab.checkpoint(third), /is missing or damaged/);
    await lab.removeVm(other);
    await lab.removeVm(third);
    assert.deepEqual((await lab.verify()).Problems, []);
  });

  it('R25: damaged (not missing) config files show as Missing in listings without verify(), in this process and a fresh one; a rewrite heals', async () => {
    const name = await fresh();
    await lab.checkpoint(name, { name: 'kept' });
    const hurt = (await lab.checkpoint(name, { name: 'hurt' })).checkpoint;
    const vm = await lab.getVm(name);
    const other = await fresh();
    assert.deepEqual((await lab.listCheckpoints({ vm: name })).map((c) => c.Status), ['Ok', 'Ok']); // verdicts cached
    // same size, one byte changed (bit rot, a careless edit): only the content tells
    const flip = (file: string): void => {
      const bytes = fs.readFileSync(file);
      const at = bytes.indexOf('"Name"') + 9;
      bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
      fs.writeFileSync(file, bytes);
    };
    flip(path.join(root, 'Snapshots', `${hurt.Id}.vmcx`));
    flip(path.join(root, 'Virtual Machines', `${vm.Id}.vmcx`));
    const statuses = async (l: Lab): Promise<unknown> => ({
      checkpoints: (await l.listCheckpoints({ vm: name })).map((c) => [c.Name, c.Status]),
      vms: (await l.listVms()).filter((v) => v.Name === name || v.Name === other).map((v) => [v.Name, v.Status]),
    });
    const expected = { checkpoints: [['kept', 'Ok'], ['hurt', 'Missing']], vms: [[name, 'Missing'], [other, 'Ok']] };
    assert.deepEqual(await statuses(lab), expected);
    const second = await openLab(root);
    try {
      assert.deepEqual(await statuses(second), expected);
      // truncated
      fs.truncateSync(path.join(root, 'Snapshots', `${hurt.Id}.vmcx`), 10);
      assert.deepEqual(await statuses(second), expected);
      // an operation that rewrites the file heals it (rename rewrites the checkpoint's config)
      await second.renameCheckpoint(name, hurt.Id, 'healed');
      await second.setVm(name, { notes: 'rewritten' });
      assert.deepEqual(await statuses(lab), { checkpoints: [['kept', 'Ok'], ['healed', 'Ok']], vms: [[name, 'Ok'], [other, 'Ok']] });
    } finally {
      await second.close();
    }
    assert.deepEqual((await lab.verify()).Problems, []);
  });
});
