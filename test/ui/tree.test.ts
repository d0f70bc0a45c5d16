/**
 * UI: the Virtual Machines view in the real workbench. New VM through the palette's
 * multi-step input, a checkpoint from the VM's context menu, Apply with "Create Checkpoint
 * and Apply" from a checkpoint's context menu, Delete Checkpoint Subtree through its modal;
 * the tree's labels checked after each step, a screenshot at each step. Waits are on
 * conditions (rows, dialogs), never fixed sleeps.
 */
import { strict as assert } from 'node:assert';
import type { Locator } from 'playwright-core';
import { Workbench } from './workbench';

describe('UI: the Virtual Machines tree (create, checkpoint, apply, delete subtree)', function () {
  this.timeout(300_000);
  let workbench: Workbench;
  let pane: Locator;
  const vmName = `ui-vm-${process.pid}`;
  const checkpointPattern = new RegExp(`^${vmName} - \\(\\d+/\\d+/\\d{4} - \\d+:\\d\\d:\\d\\d (AM|PM)\\)$`);

  before(async () => {
    workbench = await Workbench.open();
    pane = await workbench.openCheckpointLab();
    await workbench.widenSideBar();
  });

  after(async () => {
    await workbench?.close();
  });

  it('creates a VM through the palette: name, guest OS, disk size, generation', async () => {
    await pane.getByRole('button', { name: 'Create a virtual machine' }).waitFor({ state: 'visible', timeout: 30_000 });
    await workbench.runCommand('Checkpoint Lab: New Virtual Machine...');
    await workbench.answerQuickInput('New Virtual Machine (1/4)', vmName);
    await workbench.answerQuickInput('New Virtual Machine (2/4)');
    await workbench.answerQuickInput('New Virtual Machine (3/4)');
    await workbench.page.locator('.quick-input-widget .quick-input-title', { hasText: 'New Virtual Machine (4/4)' }).waitFor({ state: 'visible', timeout: 15_000 });
    await workbench.screenshot('20-new-vm-generation-step');
    await workbench.answerQuickInput('New Virtual Machine (4/4)');
    await workbench.treeRow(pane, vmName).waitFor({ state: 'visible', timeout: 60_000 });
    await workbench.treeRow(pane, 'Now').waitFor({ state: 'visible', timeout: 30_000 });
    assert.deepEqual(await workbench.treeLabels(pane), [vmName, 'Now']);
    const description = await workbench.treeRow(pane, vmName).locator('.label-description').innerText();
    assert.equal(description.trim(), 'Off · Production');
    await workbench.screenshot('21-vm-created');
  });

  it("offers only the Off VM's legal actions in its context menu", async () => {
    const entries = await workbench.contextMenuEntries(workbench.treeRow(pane, vmName));
    assert.ok(entries.includes('Start'));
    assert.ok(entries.includes('Checkpoint'));
    assert.ok(entries.includes('Delete VM...'));
    for (const illegal of ['Resume', 'Pause', 'Save', 'Shut Down', 'Turn Off', 'Revert...', 'Delete Saved State...']) {
      assert.ok(!entries.includes(illegal), `no ${illegal} on an Off VM without checkpoints`);
    }
    assert.equal(entries[entries.length - 1], 'Delete VM...', 'destructive last');
  });

  it('takes a checkpoint from the VM context menu: Now moves under it', async () => {
    await workbench.contextMenu(workbench.treeRow(pane, vmName), 'Checkpoint');
    const checkpointRow = workbench.treeRow(pane, checkpointPattern);
    await checkpointRow.waitFor({ state: 'visible', timeout: 60_000 });
    const labels = await workbench.treeLabels(pane);
    assert.equal(labels.length, 3);
    assert.equal(labels[0], vmName);
    assert.match(labels[1], checkpointPattern);
    assert.equal(labels[2], 'Now');
    assert.match(await checkpointRow.locator('.label-description').innerText(), /^Production · /);
    await workbench.screenshot('22-checkpoint-taken');
  });

  it('applies the checkpoint with "Create Checkpoint and Apply": Now is kept as a second checkpoint', async () => {
    const first = workbench.treeRow(pane, checkpointPattern);
    await workbench.contextMenu(first, 'Apply...');
    const button = await workbench.dialogButton('Create Checkpoint and Apply');
    assert.match(await workbench.dialogMessage(), new RegExp(`^Apply checkpoint '.*' to '${vmName}'\\?$`));
    await workbench.dialogButton('Apply');
    await workbench.screenshot('23-apply-modal');
    await button.click();
    await pane.locator('.monaco-list-row .label-name', { hasText: checkpointPattern }).nth(1).waitFor({ state: 'visible', timeout: 60_000 });
    const labels = await workbench.treeLabels(pane);
    assert.equal(labels.length, 4, labels.join(' | '));
    assert.equal(labels[0], vmName);
    assert.match(labels[1], checkpointPattern);
    assert.match(labels[2], checkpointPattern);
    assert.equal(labels[3], 'Now', 'Now sits under the applied checkpoint, after the checkpoint taken first');
    await workbench.screenshot('24-applied-with-checkpoint-first');
  });

  it('deletes the checkpoint subtree through its modal, which names how many checkpoints go', async () => {
    const root = pane.locator('.monaco-list-row').filter({ has: workbench.page.locator('.label-name', { hasText: checkpointPattern }) }).first();
    await workbench.contextMenu(root, 'Delete Checkpoint Subtree...');
    const button = await workbench.dialogButton('Delete 2 Checkpoints');
    assert.match(await workbench.dialogMessage(), new RegExp(`^Delete 2 checkpoints of '${vmName}': '.*' and the 1 checkpoint under it\\?$`));
    await workbench.screenshot('25-delete-subtree-modal');
    await button.click();
    await pane.locator('.monaco-list-row .label-name', { hasText: checkpointPattern }).first().waitFor({ state: 'detached', timeout: 60_000 });
    assert.deepEqual(await workbench.treeLabels(pane), [vmName, 'Now']);
    await workbench.screenshot('26-subtree-deleted');
  });
});
