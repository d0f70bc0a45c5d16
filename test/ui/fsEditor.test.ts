/**
 * UI: a VM's disk in the editor, in the real workbench. Open Disk from the tree opens the
 * VM's Now in a new window (the real default from a single-folder window); there a file
 * is edited and saved, a checkpoint taken from the tree, the file changed, the checkpoint
 * applied (the editor shows the old text again), and Compare with Now opens the diff.
 * No `checkpointLab.storeLocation` setting: the first window's lab lives in its workspace
 * storage, and the disk window (whose folder is a checkpoint-lab: URI, with workspace
 * storage of its own) finds that lab through the store registry (SPEC section 4), so its
 * Checkpoint Lab view shows the same VMs. The disk window is named after the VM, a
 * checkpoint's window after the VM and the checkpoint. Waits are on conditions;
 * screenshots in test-results/screenshots.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { projectRoot } from '../harness/vscodeServer';
import { chooseFromContextMenu, openCheckpointLabIn, screenshotOf, Workbench } from './workbench';

const cliPath = join(projectRoot, 'dist', 'cli.js');

function cli(store: string, args: string[], input?: string): string {
  const result = spawnSync(process.execPath, [cliPath, '--store', store, ...args], { input, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`checkpoint-lab ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** The store folder the extension recorded in its registry (global storage, under the user data folder). */
function recordedStore(userDataDir: string): string | undefined {
  const search = (dir: string, depth: number): string | undefined => {
    if (depth > 5 || !existsSync(dir)) return undefined;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isFile() && entry.name === 'store-registry.json') {
        const stores = Object.values((JSON.parse(readFileSync(path, 'utf8')) as { stores: Record<string, { path: string }> }).stores);
        if (stores.length > 0) return stores[0].path;
      }
      if (entry.isDirectory()) {
        const found = search(path, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  };
  return search(userDataDir, 0);
}

async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function editorLines(page: Page, hasText?: string): Locator {
  return page.locator('.editor-group-container.active .monaco-editor .view-lines', hasText ? { hasText } : {}).first();
}

describe('UI: VM disks in the editor (Open Disk, edit, checkpoint, Apply, Compare with Now)', function () {
  this.timeout(300_000);
  let workbench: Workbench;
  let store: string;
  let diskPage: Page;
  const vmName = `ui-disk-${process.pid}`;

  let browsePage: Page | undefined;

  before(async () => {
    workbench = await Workbench.open({ settings: { 'files.autoSave': 'off', 'workbench.startupEditor': 'none' } });
    // The view opens this window's lab (workspace storage) and records it in the registry.
    await openCheckpointLabIn(workbench.page);
    store = await until(() => recordedStore(workbench.server.userDataDir), 60_000, 'the store registry');
    cli(store, ['new-vm', '--name', vmName, '--disk-size', '1']);
    cli(store, ['write-vmfile', '--name', vmName, '--path', '/etc/app.conf', '--create-full-path'], 'port=8080\n');
  });

  after(async () => {
    // the disk window's extension host writes into the user data folder the harness removes
    await browsePage?.close({ runBeforeUnload: false }).catch(() => undefined);
    await diskPage?.close({ runBeforeUnload: false }).catch(() => undefined);
    await workbench?.close();
  });

  it("opens the VM's disk in a new window from the tree", async () => {
    const page = workbench.page;
    const pane = await openCheckpointLabIn(page);
    const vmRow = pane.locator('.monaco-list-row', { hasText: vmName }).first();
    await vmRow.waitFor({ state: 'visible', timeout: 30_000 });
    const popup = page.context().waitForEvent('page', { timeout: 60_000 });
    await chooseFromContextMenu(page, vmRow, 'Open Disk');
    diskPage = await popup.catch(async (error) => {
      await screenshotOf(page, 'debug-open-disk');
      throw error;
    });
    await diskPage.setViewportSize({ width: 1280, height: 800 });
    assert.match(decodeURIComponent(diskPage.url()), new RegExp(`checkpoint-lab://[^/]+/now/[^/]+/${vmName}(&|$)`));
    await diskPage.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    const explorer = diskPage.locator('.explorer-folders-view');
    await explorer.waitFor({ state: 'visible', timeout: 60_000 });
    await explorer.locator('.monaco-list-row', { hasText: 'etc' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    // the window and its Explorer root are named after the VM, not 'now'
    await diskPage.locator('.explorer-viewlet .pane-header', { hasText: new RegExp(vmName, 'i') }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const title = await diskPage.title();
    assert.ok(title.includes(vmName) && !/\bnow\b/i.test(title), `window title '${title}'`);
    // and its Checkpoint Lab view shows the same lab (the registry's store, not an empty one)
    const diskPane = await openCheckpointLabIn(diskPage);
    await diskPane.locator('.monaco-list-row', { hasText: vmName }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await screenshotOf(diskPage, '10b-open-disk-window-same-lab');
    await diskPage.locator('.activitybar [aria-label^="Explorer"]').first().click();
    await explorer.locator('.monaco-list-row', { hasText: 'etc' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await screenshotOf(diskPage, '10-open-disk-new-window');
  });

  it('edits and saves a file of the guest in the editor', async () => {
    const page = diskPage;
    const explorer = page.locator('.explorer-folders-view');
    await explorer.locator('.monaco-list-row', { hasText: 'etc' }).first().click();
    const file = explorer.locator('.monaco-list-row', { hasText: 'app.conf' }).first();
    await file.waitFor({ state: 'visible', timeout: 30_000 });
    await file.dblclick();
    await editorLines(page, 'port=8080').waitFor({ state: 'visible', timeout: 30_000 });
    await editorLines(page).click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('mode=checkpointed\n');
    await page.keyboard.press('Control+S');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal(cli(store, ['get-vmfile', '--name', vmName, '--path', '/etc/app.conf']), 'port=8080\nmode=checkpointed\n');
    await screenshotOf(page, '11-edited-and-saved');
  });

  it('takes a checkpoint from the tree, changes the file, applies the checkpoint: the editor shows the old content', async () => {
    const page = diskPage;
    const pane = await openCheckpointLabIn(page);
    const vmRow = pane.locator('.monaco-list-row', { hasText: vmName }).first();
    await vmRow.waitFor({ state: 'visible', timeout: 30_000 });
    await chooseFromContextMenu(page, vmRow, 'Checkpoint');
    const checkpointRow = pane.locator('.monaco-list-row', { hasText: `${vmName} - (` }).first();
    await checkpointRow.waitFor({ state: 'visible', timeout: 30_000 });

    await editorLines(page).click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('mode=after-checkpoint\n');
    await page.keyboard.press('Control+S');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 15_000 });
    await editorLines(page, 'mode=after-checkpoint').waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(cli(store, ['get-vmfile', '--name', vmName, '--path', '/etc/app.conf']), /after-checkpoint/);
    await screenshotOf(page, '12-changed-after-checkpoint');

    await chooseFromContextMenu(page, checkpointRow, 'Apply...');
    const apply = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Apply$/ }).first();
    await apply.waitFor({ state: 'visible', timeout: 15_000 });
    await screenshotOf(page, '13-apply-modal');
    await apply.click();
    // the editor follows the VM: the line written after the checkpoint goes away
    // (a string: it runs in the page, whose DOM types this Node project does not load)
    await page.waitForFunction(
      `(() => {
        const lines = document.querySelector('.editor-group-container.active .monaco-editor .view-lines');
        const text = lines ? lines.innerText.replace(/\\u00a0/g, ' ') : '';
        return text.includes('mode=checkpointed') && !text.includes('after-checkpoint');
      })()`,
      undefined,
      { timeout: 20_000 },
    );
    assert.equal(cli(store, ['get-vmfile', '--name', vmName, '--path', '/etc/app.conf']), 'port=8080\nmode=checkpointed\n');
    await screenshotOf(page, '14-editor-after-apply');
  });

  it('opens the diff between the checkpoint and Now', async () => {
    const page = diskPage;
    await editorLines(page).click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('mode=compared\n');
    await page.keyboard.press('Control+S');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 15_000 });

    const pane = await openCheckpointLabIn(page);
    const checkpointRow = pane.locator('.monaco-list-row', { hasText: `${vmName} - (` }).first();
    await chooseFromContextMenu(page, checkpointRow, 'Compare with Now');
    const item = page.locator('.quick-input-widget .monaco-list-row', { hasText: '/etc/app.conf' }).first();
    await item.waitFor({ state: 'visible', timeout: 20_000 });
    await screenshotOf(page, '15-compare-quick-pick');
    await item.click();
    const diff = page.locator('.monaco-diff-editor').first();
    await diff.waitFor({ state: 'visible', timeout: 20_000 });
    await diff.locator('.modified .view-lines', { hasText: 'mode=compared' }).first().waitFor({ state: 'visible', timeout: 20_000 });
    const original = await diff.locator('.original .view-lines').first().innerText();
    assert.ok(!original.includes('mode=compared'), 'the checkpoint side has no later line');
    assert.match(original.replace(/\u00a0/g, ' '), /mode=checkpointed/);
    await screenshotOf(page, '16-diff-checkpoint-vs-now');
  });

  it("Browse opens a checkpoint's files in a window named after the VM and the checkpoint", async () => {
    const page = diskPage;
    const pane = await openCheckpointLabIn(page);
    const checkpointRow = pane.locator('.monaco-list-row', { hasText: `${vmName} - (` }).first();
    const checkpointName = (await checkpointRow.locator('.label-name').first().innerText()).trim();
    const popup = page.context().waitForEvent('page', { timeout: 60_000 });
    await chooseFromContextMenu(page, checkpointRow, /^Browse(?: Checkpoint)?(?:\.\.\.)?$/);
    browsePage = await popup;
    await browsePage.setViewportSize({ width: 1280, height: 800 });
    assert.match(decodeURIComponent(browsePage.url()), new RegExp(`checkpoint-lab://[^/]+/checkpoints/[^/]+/[^/]+/${vmName} - \\(`));
    const explorer = browsePage.locator('.explorer-folders-view');
    await explorer.waitFor({ state: 'visible', timeout: 60_000 });
    await explorer.locator('.monaco-list-row', { hasText: 'etc' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    await browsePage.locator('.explorer-viewlet .pane-header', { hasText: new RegExp(`${vmName} - \\(`, 'i') }).first().waitFor({ state: 'visible', timeout: 30_000 });
    // the default name already starts with the VM's ('<VM> - (<date>)'): it is not repeated; '/' reads as '∕'
    const label = checkpointName.replace(/\//g, '∕');
    const title = await browsePage.title();
    assert.ok(title.includes(label) && !title.includes(`${vmName} · ${vmName}`), `window title '${title}' names '${label}'`);
    await screenshotOf(browsePage, '17-browse-checkpoint-window');
  });
});
