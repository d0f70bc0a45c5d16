/**
 * UI: the Dev/UAT loop in the real workbench. A workspace folder is linked to a VM from
 * the Explorer's context menu; "Roll In and Checkpoint" from the link's context menu
 * (twice, with a change in between); then "Apply and Roll Out" of the first checkpoint
 * brings the folder back, and the open editor shows the old text. Screenshots at each
 * step (test-results/screenshots/loop-*.png). Waits are on conditions, never fixed sleeps.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { Workbench } from './workbench';

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('UI: the Dev/UAT loop (link, Roll In and Checkpoint, Apply and Roll Out)', function () {
  this.timeout(300_000);
  let workbench: Workbench;
  let pane: Locator;
  const vmName = `uat-${process.pid}`;
  let app: string;
  const checkpointPattern = new RegExp(`^${vmName} - \\(`);

  before(async () => {
    workbench = await Workbench.open({ files: { 'README.md': '# Loop UI test\n' } });
    app = join(workbench.workspace, 'app');
    mkdirSync(join(app, 'lib'), { recursive: true });
    writeFileSync(join(app, 'index.js'), 'console.log("good build");\n');
    writeFileSync(join(app, 'lib', 'util.js'), 'export const answer = 42;\n');
    writeFileSync(join(app, 'debug.log'), 'excluded\n');
    pane = await workbench.openCheckpointLab();
    await workbench.widenSideBar();
    await pane.getByRole('button', { name: 'Create a virtual machine' }).waitFor({ state: 'visible', timeout: 30_000 });
    await workbench.runCommand('Checkpoint Lab: New Virtual Machine...');
    await workbench.answerQuickInput('New Virtual Machine (1/4)', vmName);
    await workbench.answerQuickInput('New Virtual Machine (2/4)');
    await workbench.answerQuickInput('New Virtual Machine (3/4)');
    await workbench.answerQuickInput('New Virtual Machine (4/4)');
    await workbench.treeRow(pane, vmName).waitFor({ state: 'visible', timeout: 60_000 });
  });

  after(async () => {
    await workbench?.close();
  });

  it('links a folder from the Explorer: pick the VM, guest path, excludes, .gitignore; the link shows under the VM', async () => {
    await workbench.page.keyboard.press('Control+Shift+E');
    const explorer = workbench.page.locator('.explorer-folders-view');
    const appRow = explorer.locator('.monaco-list-row', { hasText: /^app$/ });
    await appRow.waitFor({ state: 'visible', timeout: 30_000 });
    await workbench.contextMenu(appRow, 'Link Folder to VM...');
    await workbench.answerQuickInput('Link Folder to VM');
    await workbench.answerQuickInput(/Link 'app' to/, '/srv/app');
    await workbench.answerQuickInput('Exclude', '.git, node_modules, *.log');
    await workbench.answerQuickInput('.gitignore');
    pane = await workbench.openCheckpointLab();
    const linkRow = workbench.treeRow(pane, /^app$/);
    await linkRow.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await linkRow.locator('.label-description').innerText(), /\/srv\/app/);
    assert.deepEqual(await workbench.treeLabels(pane), [vmName, 'Now', 'app']);
    await workbench.screenshot('loop-01-folder-linked');
  });

  it('Roll In and Checkpoint from the link: the files go in and a checkpoint appears', async () => {
    const entries = await workbench.contextMenuEntries(workbench.treeRow(pane, /^app$/));
    for (const entry of ['Roll In', 'Roll Out', 'Roll In and Checkpoint', 'Apply and Roll Out', 'Remove Link']) assert.ok(entries.includes(entry), `link menu has ${entry}`);
    assert.equal(entries[entries.length - 1], 'Remove Link', 'destructive last');
    await workbench.contextMenu(workbench.treeRow(pane, /^app$/), 'Roll In and Checkpoint');
    await workbench.treeRow(pane, checkpointPattern).waitFor({ state: 'visible', timeout: 60_000 });
    await workbench.page.locator('.notifications-toasts', { hasText: /Rolled 'app' into/ }).waitFor({ state: 'visible', timeout: 30_000 });
    await workbench.progressNotificationsGone();
    await workbench.screenshot('loop-02-rolled-in-and-checkpoint');
  });

  it('a change rolled in as a second checkpoint, then Apply and Roll Out of the first brings the old file back into the open editor', async () => {
    writeFileSync(join(app, 'index.js'), 'console.log("broken build");\n');
    writeFileSync(join(app, 'lib', 'oops.js'), 'throw new Error("oops");\n');
    await workbench.runCommand('Checkpoint Lab: Roll In and Checkpoint');
    await pane.locator('.monaco-list-row .label-name', { hasText: checkpointPattern }).nth(1).waitFor({ state: 'visible', timeout: 60_000 });
    // open the file so the editor shows what Roll Out does
    await workbench.page.keyboard.press('Control+P');
    const quickOpen = workbench.page.locator('.quick-input-widget input[type="text"]');
    await quickOpen.waitFor({ state: 'visible', timeout: 15_000 });
    await quickOpen.fill('app/index.js');
    await workbench.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'index.js' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await workbench.page.keyboard.press('Enter');
    const editor = workbench.page.locator('.editor-instance .view-lines');
    await editor.filter({ hasText: 'broken build' }).waitFor({ state: 'visible', timeout: 30_000 });
    await workbench.screenshot('loop-03-broken-build-checkpointed');

    const first = pane.locator('.monaco-list-row', { has: workbench.page.locator('.label-name', { hasText: checkpointPattern }) }).first();
    await workbench.contextMenu(first, 'Apply and Roll Out');
    const apply = await workbench.dialogButton('Apply');
    assert.match(await workbench.dialogMessage(), /^Apply checkpoint '.*' to '.*' and roll its files out to 'app'\?$/);
    await workbench.screenshot('loop-04-apply-and-roll-out-modal');
    await apply.click();
    await until(() => readFileSync(join(app, 'index.js'), 'utf8').includes('good build'), 'index.js rolled out');
    await editor.filter({ hasText: 'good build' }).waitFor({ state: 'visible', timeout: 30_000 });
    await workbench.page.locator('.notifications-toasts', { hasText: /Applied '.*' and rolled it out/ }).waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(readFileSync(join(app, 'debug.log'), 'utf8'), 'excluded\n', 'excluded file untouched');
    await workbench.progressNotificationsGone();
    await workbench.screenshot('loop-05-applied-and-rolled-out');
  });
});
