import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointLabApi } from '../../src/extension';
import { checkpointNode, choosePath, escape, getApi, outline, pick, press, runWith, showView, type, unique, vmNode, waitForSelection } from './helpers';

describe('Checkpoint commands (as a user runs them)', () => {
  let api: CheckpointLabApi;
  const name = unique('cpcmd');

  before(async () => {
    api = await getApi();
    await showView();
    const lab = await api.lab();
    await lab.createVm({ name });
    await lab.writeFile(name, '/a.txt', 'one');
    await lab.checkpoint(name, { name: 'One' });
    await lab.writeFile(name, '/a.txt', 'two');
    await lab.checkpoint(name, { name: 'Two' });
    await lab.writeFile(name, '/a.txt', 'three');
    await lab.checkpoint(name, { name: 'Three' });
    await lab.writeFile(name, '/a.txt', 'now');
  });

  it('the tree nests the chain and puts Now under the last checkpoint', async () => {
    assert.deepEqual(await outline(api, name), ['One', '  Two', '    Three', '      Now']);
  });

  it('Apply from the tree: Cancel changes nothing; "Create Checkpoint and Apply" keeps Now and moves Now under the applied one', async () => {
    const lab = await api.lab();
    let run = await runWith(api, 'checkpointLab.checkpoint.apply', [press(undefined)], await checkpointNode(api, name, 'One'));
    run.prompter.assertDone();
    assert.equal((await lab.readFile(name, '/a.txt')).toString(), 'now');
    run = await runWith<{ checkpointTaken?: { Name: string } }>(api, 'checkpointLab.checkpoint.apply', [press('Create Checkpoint and Apply')], await checkpointNode(api, name, 'One'));
    run.prompter.assertDone();
    assert.equal(run.prompter.prompts[0].text, `Apply checkpoint 'One' to '${name}'?`);
    assert.match(run.prompter.prompts[0].detail!, /plain "Apply" cannot be undone/);
    const taken = (run.result as { checkpointTaken?: { Name: string } }).checkpointTaken!.Name;
    assert.equal((await lab.readFile(name, '/a.txt')).toString(), 'one');
    try {
      assert.deepEqual(await outline(api, name), ['One', '  Two', '    Three', `      ${taken}`, '  Now']);
      await waitForSelection(api, (await checkpointNode(api, name, taken)).id);
    } finally {
      await lab.removeCheckpoint(name, { name: taken });
    }
  });

  it('Apply from the palette picks a checkpoint across VMs, then plain Apply', async () => {
    const lab = await api.lab();
    const run = await runWith(api, 'checkpointLab.checkpoint.apply', [pick('Three', new RegExp(`^${name} · Production`)), press('Apply')]);
    run.prompter.assertDone();
    assert.equal((await lab.readFile(name, '/a.txt')).toString(), 'three');
    assert.deepEqual(await outline(api, name), ['One', '  Two', '    Three', '      Now']);
  });

  it('Rename Checkpoint validates R4/R21 and renames (duplicates allowed)', async () => {
    const lab = await api.lab();
    const run = await runWith(api, 'checkpointLab.checkpoint.rename', [type('Second', [['', 'The name must be between 1 and 100 characters.'], ['y'.repeat(101), 'The name must be between 1 and 100 characters.']])], await checkpointNode(api, name, 'Two'));
    run.prompter.assertDone();
    assert.ok((await lab.listCheckpoints({ vm: name })).some((c) => c.Name === 'Second'));
    const palette = await runWith(api, 'checkpointLab.checkpoint.rename', [pick('Second'), type('One')]);
    palette.prompter.assertDone();
    assert.equal((await lab.listCheckpoints({ vm: name })).filter((c) => c.Name === 'One').length, 2);
    const ids = (await lab.listCheckpoints({ vm: name })).map((c) => c.Id);
    await lab.renameCheckpoint(name, { id: ids[1] }, 'Two');
    assert.deepEqual(await outline(api, name), ['One', '  Two', '    Three', '      Now']);
  });

  it('Notes are set through an input box and shown in the tooltip', async () => {
    const lab = await api.lab();
    const run = await runWith(api, 'checkpointLab.checkpoint.editNotes', [type('before the upgrade')], await checkpointNode(api, name, 'Two'));
    run.prompter.assertDone();
    assert.equal((await lab.getCheckpoint(name, 'Two')).Notes, 'before the upgrade');
    const node = await checkpointNode(api, name, 'Two');
    const tooltip = api.tree.resolveTreeItem(api.tree.getTreeItem(node), node).tooltip as { value: string };
    assert.match(tooltip.value, /before the upgrade/);
    assert.match(tooltip.value, /Exclusive/);
    assert.match(tooltip.value, /Shared/);
  });

  it('Export checkpoint writes the checkpoint disk as VHDX by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-export-cp-'));
    const run = await runWith<{ folder: string; diskFile: string }>(api, 'checkpointLab.checkpoint.export', [choosePath(dir), pick('VHDX')], await checkpointNode(api, name, 'Two'));
    run.prompter.assertDone();
    assert.ok(run.result.diskFile.endsWith('disk0.vhdx'));
    assert.ok(existsSync(run.result.diskFile));
  });

  it('palette: Notes and Export Checkpoint ask for the checkpoint first; Escape at the folder dialog exports nothing', async () => {
    const lab = await api.lab();
    const notes = await runWith(api, 'checkpointLab.checkpoint.editNotes', [pick('Three', new RegExp(`^${name} `)), type('from the palette')]);
    notes.prompter.assertDone();
    assert.equal((await lab.getCheckpoint(name, 'Three')).Notes, 'from the palette');
    const exported = await runWith(api, 'checkpointLab.checkpoint.export', [pick('Three', new RegExp(`^${name} `)), escape('openDialog')]);
    exported.prompter.assertDone();
    assert.equal(exported.result, undefined);
    assert.deepEqual(exported.prompter.infos, []);
  });

  it('Delete Checkpoint Subtree names how many checkpoints go; Now survives under the parent (R17)', async () => {
    const lab = await api.lab();
    let run = await runWith(api, 'checkpointLab.checkpoint.deleteSubtree', [press(undefined)], await checkpointNode(api, name, 'Two'));
    run.prompter.assertDone();
    assert.equal(run.prompter.prompts[0].text, `Delete 2 checkpoints of '${name}': 'Two' and the 1 checkpoint under it?`);
    assert.deepEqual(run.prompter.prompts[0].buttons, ['Delete 2 Checkpoints']);
    assert.match(run.prompter.prompts[0].detail!, /Now is inside this subtree/);
    assert.equal((await lab.listCheckpoints({ vm: name })).length, 3);
    run = await runWith(api, 'checkpointLab.checkpoint.deleteSubtree', [press('Delete 2 Checkpoints')], await checkpointNode(api, name, 'Two'));
    run.prompter.assertDone();
    assert.deepEqual(await outline(api, name), ['One', '  Now']);
    assert.equal((await lab.readFile(name, '/a.txt')).toString(), 'three', 'Now keeps its data');
  });

  it('Delete Checkpoint from the palette merges it; its children move up (R16)', async () => {
    const lab = await api.lab();
    await lab.checkpoint(name, { name: 'Later' });
    const run = await runWith(api, 'checkpointLab.checkpoint.delete', [pick('One', new RegExp(`^${name} `)), press('Delete')]);
    run.prompter.assertDone();
    assert.deepEqual(await outline(api, name), ['Later', '  Now']);
    assert.equal((await lab.readFile(name, '/a.txt')).toString(), 'three');
  });

  it('checkpoint kinds: icons, descriptions and contextValues for production, standard with memory, automatic and recovery', async () => {
    const lab = await api.lab();
    const kinds = unique('kinds');
    await lab.createVm({ name: kinds });
    await lab.setVm(kinds, { automaticCheckpointsEnabled: true, checkpointType: 'Standard' });
    await lab.start(kinds); // R14: an automatic checkpoint first
    await lab.checkpoint(kinds, { name: 'With memory' });
    await lab.checkpoint(kinds, { name: 'Backup', recovery: true });
    await lab.turnOff(kinds);
    await lab.setVm(kinds, { checkpointType: 'Production' });
    await lab.checkpoint(kinds, { name: 'Prod' });
    await vmNode(api, kinds);
    const auto = (await lab.listCheckpoints({ vm: kinds })).find((c) => c.IsAutomatic)!;
    const expectations: Array<[string, string, RegExp, string]> = [
      [auto.Name, 'checkpoint.standard.automatic', /^Automatic · Standard · /, 'history'],
      ['With memory', 'checkpoint.standard.memory', /^Standard with memory · \d+\/\d+\/\d{4} \d+:\d\d:\d\d (AM|PM)$/, 'device-camera'],
      ['Backup', 'checkpoint.standard.memory.recovery', /^Recovery · Standard with memory · /, 'archive'],
      ['Prod', 'checkpoint.production', /^Production · /, 'verified'],
    ];
    for (const [label, contextValue, description, icon] of expectations) {
      const item = api.tree.getTreeItem(await checkpointNode(api, kinds, label));
      assert.equal(item.contextValue, contextValue, label);
      assert.match(String(item.description), description, label);
      assert.equal((item.iconPath as { id: string }).id, icon, label);
    }
  });
});
