import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointLabApi } from '../../src/extension';
import type { VmInfo } from '../../src/engine/model';
import { checkpointNode, choosePath, escape, getApi, outline, pick, pickDefault, press, runWith, showView, type, unique, vmNode, waitForSelection } from './helpers';

describe('VM commands (as a user runs them)', () => {
  let api: CheckpointLabApi;
  const name = unique('vmcmd');

  before(async () => {
    api = await getApi();
    await showView();
  });

  it('New VM asks name (validated), guest OS, disk size and generation, then shows the VM Off in the tree', async () => {
    const lab = await api.lab();
    const other = unique('taken');
    await lab.createVm({ name: other });
    const { result, prompter } = await runWith<VmInfo>(api, 'checkpointLab.vm.create', [
      type(name, [
        ['', 'The name must be between 1 and 100 characters.'],
        ['x'.repeat(101), 'The name must be between 1 and 100 characters.'],
        [other.toUpperCase(), `A virtual machine named '${other}' already exists.`],
      ]),
      pick('Windows'),
      pick('8 GiB'),
      pick('Generation 1'),
    ]);
    prompter.assertDone();
    assert.deepEqual(
      prompter.prompts.map((p) => p.text),
      ['New Virtual Machine (1/4)', 'New Virtual Machine (2/4)', 'New Virtual Machine (3/4)', 'New Virtual Machine (4/4)'],
    );
    assert.equal(result.Name, name);
    const vm = await lab.getVm(name);
    assert.equal(vm.GuestOs, 'windows');
    assert.equal(vm.Generation, 1);
    assert.equal(vm.DiskSizeBytes, 8 * 1024 ** 3);
    const node = await vmNode(api, name);
    const item = api.tree.getTreeItem(node);
    assert.equal(item.description, 'Off · Production');
    assert.equal(item.contextValue, 'vm.off');
    assert.deepEqual(await outline(api, name), ['Now']);
  });

  it('New VM defaults are the SPEC defaults (linux, 4 GiB, generation 2); Escape at any step creates nothing', async () => {
    const before = (await (await api.lab()).listVms()).length;
    const { prompter } = await runWith(api, 'checkpointLab.vm.create', [type(unique('never')), pickDefault(), escape('pick')]);
    prompter.assertDone();
    assert.equal((await (await api.lab()).listVms()).length, before);
    const defaults = unique('defaults');
    const { result } = await runWith<VmInfo>(api, 'checkpointLab.vm.create', [type(defaults), pickDefault(), pickDefault(), pickDefault()]);
    assert.equal(result.GuestOs, 'linux');
    assert.equal(result.Generation, 2);
    assert.equal(result.DiskSizeBytes, 4 * 1024 ** 3);
  });

  it('lifecycle from the tree: Start, Pause, Resume, Save, Start, Shut Down; descriptions follow', async () => {
    const steps: Array<[string, string]> = [
      ['checkpointLab.vm.start', 'Running'],
      ['checkpointLab.vm.pause', 'Paused'],
      ['checkpointLab.vm.resume', 'Running'],
      ['checkpointLab.vm.save', 'Saved'],
      ['checkpointLab.vm.start', 'Running'],
      ['checkpointLab.vm.shutDown', 'Off'],
    ];
    for (const [command, state] of steps) {
      const { prompter } = await runWith(api, command, [], await vmNode(api, name));
      prompter.assertDone();
      assert.equal((await (await api.lab()).getVm(name)).State, state, `${command} leads to ${state}`);
      assert.equal(api.tree.getTreeItem(await vmNode(api, name)).description, `${state} · Production`);
    }
  });

  it('Turn Off and Delete Saved State ask first; Cancel changes nothing', async () => {
    const lab = await api.lab();
    await lab.start(name);
    let run = await runWith(api, 'checkpointLab.vm.turnOff', [press(undefined)], await vmNode(api, name));
    run.prompter.assertDone();
    assert.equal((await lab.getVm(name)).State, 'Running');
    run = await runWith(api, 'checkpointLab.vm.turnOff', [press('Turn Off')], await vmNode(api, name));
    run.prompter.assertDone();
    assert.equal((await lab.getVm(name)).State, 'Off');
    await lab.start(name);
    await lab.save(name);
    run = await runWith(api, 'checkpointLab.vm.deleteSavedState', [press('Delete Saved State')], await vmNode(api, name));
    run.prompter.assertDone();
    assert.equal((await lab.getVm(name)).State, 'Off');
  });

  it('palette: Start offers only VMs that can start, then Pause offers only running ones', async () => {
    const lab = await api.lab();
    const running = unique('running');
    await lab.createVm({ name: running });
    await lab.start(running);
    let run = await runWith(api, 'checkpointLab.vm.start', [pick(name)]);
    run.prompter.assertDone();
    assert.ok(!run.prompter.prompts[0].items!.includes(running), 'a running VM is not offered to Start');
    assert.equal((await lab.getVm(name)).State, 'Running');
    run = await runWith(api, 'checkpointLab.vm.pause', [pick(running)]);
    run.prompter.assertDone();
    const states = new Map((await lab.listVms()).map((vm) => [vm.Name, vm.State]));
    assert.ok(run.prompter.prompts[0].items!.every((label) => states.get(label) === 'Running' || label === running), 'Pause offered only running VMs');
    assert.ok(run.prompter.prompts[0].items!.includes(name));
    assert.equal((await lab.getVm(running)).State, 'Paused');
    await lab.turnOff(running);
    await lab.turnOff(name);
  });

  it('engine errors are shown with their SPEC message and nothing throws', async () => {
    const lab = await api.lab();
    await lab.setVm(name, { shutdownIntegration: false });
    await lab.start(name);
    const run = await runWith(api, 'checkpointLab.vm.shutDown', [], await vmNode(api, name));
    run.prompter.assertDone({ errors: true });
    assert.deepEqual(run.prompter.errors, [`The virtual machine '${name}' cannot be shut down: the Shutdown integration service is not available.`]);
    assert.equal((await lab.getVm(name)).State, 'Running');
    // Delete VM of a running VM (a stale tree item): the engine's "Turn off first"
    const stale = await runWith(api, 'checkpointLab.vm.delete', [press('Delete')], await vmNode(api, name));
    assert.deepEqual(stale.prompter.errors, [`Turn off '${name}' first.`]);
    await lab.turnOff(name);
    await lab.setVm(name, { shutdownIntegration: true });
  });

  it('Checkpoint from the tree takes a default-named checkpoint, reveals it, and Now moves under it', async () => {
    const { result, prompter } = await runWith<{ checkpoint: { Id: string; Name: string } }>(api, 'checkpointLab.vm.checkpoint', [], await vmNode(api, name));
    prompter.assertDone();
    assert.match(result.checkpoint.Name, new RegExp(`^${name} - \\(\\d{1,2}/\\d{1,2}/\\d{4} - \\d{1,2}:\\d{2}:\\d{2} (AM|PM)\\)$`));
    assert.deepEqual(await outline(api, name), [result.checkpoint.Name, '  Now']);
    await waitForSelection(api, (await checkpointNode(api, name, result.checkpoint.Name)).id);
    assert.equal(api.tree.getTreeItem(await vmNode(api, name)).contextValue, 'vm.off.parent');
  });

  it('Checkpoint of a Running VM with Production falls back to Standard and tells why (R9)', async () => {
    const lab = await api.lab();
    await lab.setVm(name, { backupIntegration: false });
    await lab.start(name);
    const { result, prompter } = await runWith<{ checkpoint: { CheckpointType: string; HasSavedState: boolean } }>(api, 'checkpointLab.vm.checkpoint', [pick(name)]);
    prompter.assertDone();
    assert.equal(result.checkpoint.CheckpointType, 'Standard');
    assert.equal(result.checkpoint.HasSavedState, true);
    assert.equal(prompter.warnings.length, 1);
    assert.match(prompter.warnings[0], /^Standard checkpoint created because a production checkpoint could not be created: /);
    await lab.turnOff(name);
    await lab.setVm(name, { backupIntegration: true });
  });

  it('Revert asks with the Apply modal; "Create Checkpoint and Apply" keeps Now as a checkpoint', async () => {
    const lab = await api.lab();
    await lab.writeFile(name, '/revert.txt', 'changed after the checkpoint');
    const parent = (await lab.getVm(name)).ParentCheckpointName!;
    const before = (await lab.listCheckpoints({ vm: name })).length;
    const { prompter } = await runWith(api, 'checkpointLab.vm.revert', [press('Create Checkpoint and Apply')], await vmNode(api, name));
    prompter.assertDone();
    assert.equal(prompter.prompts[0].text, `Revert '${name}' to checkpoint '${parent}'?`);
    assert.deepEqual(prompter.prompts[0].buttons, ['Create Checkpoint and Apply', 'Apply']);
    assert.match(prompter.prompts[0].detail!, /cannot be undone/);
    assert.equal((await lab.listCheckpoints({ vm: name })).length, before + 1);
    assert.equal(await lab.fileExists(name, '/revert.txt'), false, 'Now reads the checkpoint again');
    // plain Apply through the palette; Cancel first
    let run = await runWith(api, 'checkpointLab.vm.revert', [pick(name), press(undefined)]);
    run.prompter.assertDone();
    assert.equal((await lab.listCheckpoints({ vm: name })).length, before + 1);
    run = await runWith(api, 'checkpointLab.vm.revert', [pick(name), press('Apply')]);
    run.prompter.assertDone();
    assert.equal((await lab.listCheckpoints({ vm: name })).length, before + 1);
  });

  it('Revert is not offered in the palette for a VM without checkpoints', async () => {
    const lab = await api.lab();
    const bare = unique('bare');
    await lab.createVm({ name: bare });
    const run = await runWith(api, 'checkpointLab.vm.revert', [pick(name), press(undefined)]);
    assert.ok(!run.prompter.prompts[0].items!.includes(bare));
    run.prompter.assertDone();
  });

  it('Rename VM validates R4 and uniqueness, renames, and keeps the tree item id', async () => {
    const lab = await api.lab();
    const before = await vmNode(api, name);
    const renamed = `${name}-renamed`;
    const taken = unique('taken2');
    await lab.createVm({ name: taken });
    const { prompter } = await runWith(api, 'checkpointLab.vm.rename', [
      type(`  ${renamed}  `, [
        ['   ', 'The name must be between 1 and 100 characters.'],
        [taken, `A virtual machine named '${taken}' already exists.`],
      ]),
    ], before);
    prompter.assertDone();
    const after = await vmNode(api, renamed);
    assert.equal(after.id, before.id, 'stable id');
    await lab.renameVm(renamed, name);
  });

  it('palette: Save, Resume, Turn Off and Rename ask for their VM; only legal VMs are offered', async () => {
    const lab = await api.lab();
    const vm = unique('palette');
    await lab.createVm({ name: vm });
    await lab.start(vm);
    await lab.pause(vm);
    let run = await runWith(api, 'checkpointLab.vm.resume', [pick(vm)]);
    run.prompter.assertDone();
    assert.equal((await lab.getVm(vm)).State, 'Running');
    run = await runWith(api, 'checkpointLab.vm.save', [pick(vm)]);
    run.prompter.assertDone();
    assert.equal((await lab.getVm(vm)).State, 'Saved');
    const other = unique('palette-running');
    await lab.createVm({ name: other });
    await lab.start(other);
    run = await runWith(api, 'checkpointLab.vm.turnOff', [escape('pick')]);
    run.prompter.assertDone();
    assert.ok(run.prompter.prompts[0].items!.includes(other));
    assert.ok(!run.prompter.prompts[0].items!.includes(vm), 'a Saved VM cannot be turned off');
    await lab.turnOff(other);
    run = await runWith(api, 'checkpointLab.vm.rename', [pick(vm), escape('input')]);
    run.prompter.assertDone();
    assert.equal((await lab.getVm(vm)).Name, vm);
    await lab.removeSavedState(vm);
  });

  it('Export VM asks a folder and a disk format, and writes <folder>/<VM name>/ (R23); Import VM brings it back under a new name', async function () {
    this.timeout(180_000);
    const lab = await api.lab();
    const small = unique('export');
    await lab.createVm({ name: small, diskSizeGiB: 1 });
    await lab.writeFile(small, '/srv/exported.txt', 'travels with the export', { createParents: true });
    await lab.checkpoint(small);
    const dir = mkdtempSync(join(tmpdir(), 'cl-export-'));
    const exported = await runWith<{ folder: string; diskFile: string }>(api, 'checkpointLab.vm.export', [choosePath(dir), pick('Raw')], await vmNode(api, small));
    exported.prompter.assertDone();
    assert.equal(exported.result.folder, join(dir, small));
    assert.ok(exported.result.diskFile.endsWith('disk0.raw'));
    assert.ok(existsSync(exported.result.diskFile));
    assert.deepEqual(exported.prompter.infos, [`Exported '${small}' to ${exported.result.folder}.`]);

    // importing the folder: the name is in use, so the user is asked for another
    const imported = unique('imported');
    const run = await runWith<VmInfo>(api, 'checkpointLab.vm.import', [pick('Exported virtual machine folder'), choosePath(join(dir, small)), type(imported)]);
    run.prompter.assertDone();
    assert.equal(run.result.Name, imported);
    assert.equal(run.result.State, 'Off');
    assert.deepEqual(await outline(api, imported), ['Now'], 'an imported VM has no checkpoints');
    assert.equal((await lab.readFile(imported, '/srv/exported.txt')).toString(), 'travels with the export');

    // a bare raw disk becomes a new VM
    const fromDisk = unique('fromdisk');
    const disk = await runWith<VmInfo>(api, 'checkpointLab.vm.import', [pick('Disk image (raw or VHDX)'), choosePath(exported.result.diskFile), type(fromDisk)]);
    disk.prompter.assertDone();
    assert.equal(disk.result.Name, fromDisk);
    assert.equal((await lab.readFile(fromDisk, '/srv/exported.txt')).toString(), 'travels with the export');
  });

  it('Import VM refuses a file that is no disk with a clear error', async () => {
    const { prompter } = await runWith(api, 'checkpointLab.vm.import', [pick('Disk image (raw or VHDX)'), choosePath(__filename), type(unique('junk'))]);
    prompter.assertDone({ errors: true });
    assert.equal(prompter.errors.length, 1);
  });

  it('Delete VM confirms, names what goes, and removes the VM from the tree', async () => {
    const lab = await api.lab();
    const doomed = unique('doomed');
    await lab.createVm({ name: doomed });
    await lab.checkpoint(doomed);
    let run = await runWith(api, 'checkpointLab.vm.delete', [press(undefined)], await vmNode(api, doomed));
    run.prompter.assertDone();
    assert.ok(await lab.getVm(doomed));
    run = await runWith(api, 'checkpointLab.vm.delete', [pick(doomed), press('Delete')]);
    run.prompter.assertDone();
    assert.match(run.prompter.prompts[1].detail!, /its 1 checkpoint/);
    await api.tree.refresh();
    assert.ok(!(await api.tree.getChildren())!.some((n) => n.vm.Name === doomed));
    await assert.rejects(lab.getVm(doomed), /No virtual machine named/);
  });
});
