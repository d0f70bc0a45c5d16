/**
 * The Settings page as a user drives it in the real workbench: opened from the tree's
 * context menu, controls clicked through their labels, Apply / OK pressed; the engine is
 * checked through the CLI on the same store. Screenshots in light, dark and high-contrast
 * themes go to test-results/screenshots. Every wait is on a condition.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import type { VmInfo } from '../../src/engine/model';
import { projectRoot } from '../harness/vscodeServer';
import { Workbench } from './workbench';

const R22 = 'The checkpoint file location cannot be changed while the virtual machine has checkpoints.';

async function until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${String(lastError)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('UI: the Settings page (Playwright in the real workbench)', () => {
  let workbench: Workbench;
  let page: Page;
  let store: string;

  const cli = (...args: string[]) => spawnSync(process.execPath, [join(projectRoot, 'dist', 'cli.js'), '--store', store, ...args], { encoding: 'utf8' });
  const getVm = (name: string): VmInfo => {
    const result = cli('get-vm', '--name', name, '--json');
    assert.equal(result.status, 0, result.stderr);
    return (JSON.parse(result.stdout) as VmInfo[])[0];
  };

  /** The webview frame (nested iframes) of the Settings page of vmName. */
  const settingsFrame = (vmName: string): Promise<Frame> =>
    until(async () => {
      for (const frame of page.frames()) {
        const title = frame.locator('#title');
        if ((await title.count()) > 0 && (await title.textContent()) === `Settings for ${vmName}`) return frame;
      }
      return undefined;
    }, `the Settings page of ${vmName}`);

  const row = (name: string) => page.locator('.monaco-list-row', { hasText: name }).first();

  async function contextMenu(name: string): Promise<string[]> {
    await row(name).click({ button: 'right' });
    const items = page.locator('.context-view .action-label');
    await items.first().waitFor({ state: 'visible', timeout: 10_000 });
    return (await items.allTextContents()).map((text) => text.trim()).filter(Boolean);
  }

  async function openSettings(name: string): Promise<Frame> {
    const items = await contextMenu(name);
    assert.ok(items.includes('Settings...'), `the context menu of ${name} offers Settings... (${items.join(', ')})`);
    // the menu may ignore a click that comes right after it opened: click until it closes
    const item = page.locator('.context-view .action-label', { hasText: 'Settings...' });
    await until(async () => {
      if ((await item.count()) === 0) return true;
      await item.click({ timeout: 2_000 }).catch(() => undefined);
      return (await item.count()) === 0;
    }, 'the context menu to run Settings...');
    const frame = await settingsFrame(name);
    await frame.locator('#cp-enabled').waitFor({ state: 'visible' });
    return frame;
  }

  before(async () => {
    store = mkdtempSync(join(tmpdir(), 'checkpoint-lab-ui-store-'));
    for (const args of [
      ['new-vm', '--name', 'web-01'],
      ['new-vm', '--name', 'db-01', '--memory', '2GiB'],
      ['checkpoint-vm', '--name', 'db-01', '--snapshot-name', 'Baseline'],
    ]) {
      const result = cli(...args);
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
    }
    workbench = await Workbench.open({ theme: 'Light Modern', settings: { 'checkpointLab.storeLocation': store } });
    page = workbench.page;
    await workbench.openCheckpointLab();
    await row('web-01').waitFor({ state: 'visible', timeout: 60_000 });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && workbench) await workbench.screenshot(`settings-failed-${this.currentTest.title.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`);
  });

  after(async () => {
    await workbench?.close();
    if (store) rmSync(store, { recursive: true, force: true });
  });

  it('opens Settings... from the tree; Standard + Apply changes the VM in the engine', async () => {
    const frame = await openSettings('web-01');
    assert.equal(await frame.locator('#cp-enabled').isChecked(), true);
    assert.equal(await frame.locator('#cp-production').isChecked(), true);
    assert.equal(await frame.locator('#cp-fallback').isChecked(), true);
    assert.equal(await frame.locator('#cp-type').textContent(), 'Production');
    assert.equal(await frame.locator('#apply').isDisabled(), true, 'Apply is greyed out until something changes');
    assert.equal(await frame.locator('#location').isEnabled(), true, 'no checkpoints: the location can change');

    await frame.locator('label[for="cp-standard"]').click();
    assert.equal(await frame.locator('#cp-standard').isChecked(), true, 'the label selects its radio');
    assert.equal(await frame.locator('#cp-type').textContent(), 'Standard');
    assert.equal(await frame.locator('#cp-fallback').isDisabled(), true, 'the fallback box belongs to Production');
    await frame.locator('#apply').click();
    await until(() => getVm('web-01').CheckpointType === 'Standard', 'the engine to show CheckpointType Standard');
    await frame.locator('#notice', { hasText: 'The settings were applied.' }).waitFor({ state: 'visible' });
    assert.equal(await frame.locator('#apply').isDisabled(), true);
    await workbench.screenshot('settings-01-standard-applied-light');
  });

  it('shows invalid values next to their field and never sends them', async () => {
    const frame = await settingsFrame('web-01');
    await frame.locator('#memory').fill('16');
    await frame.locator('#memoryMiB-error', { hasText: 'Startup RAM must be between 32 MB and 65536 MB.' }).waitFor({ state: 'visible' });
    assert.equal(await frame.locator('#memory').getAttribute('aria-invalid'), 'true');
    await frame.locator('#name').fill('');
    await frame.locator('#name-error', { hasText: 'The name must be between 1 and 100 characters.' }).waitFor({ state: 'visible' });
    await frame.locator('#apply').click();
    await frame.locator('#error', { hasText: 'Correct the highlighted values first' }).waitFor({ state: 'visible' });
    await workbench.screenshot('settings-02-invalid-values-light');
    const vm = getVm('web-01');
    assert.equal(vm.MemoryStartupBytes, 1024 ** 3, 'memory unchanged');
    assert.equal(vm.Name, 'web-01');
    await frame.locator('#reload').click();
    assert.equal(await frame.locator('#memory').inputValue(), '1024');
    assert.equal(await frame.locator('#name').inputValue(), 'web-01');
    assert.equal(await frame.locator('#memoryMiB-error').isHidden(), true);
  });

  it('follows a change made with the CLI without clobbering unsaved edits, and says so', async () => {
    const frame = await settingsFrame('web-01');
    await frame.locator('#notes').fill('draft notes, not applied yet');
    const result = cli('set-vm', '--name', 'web-01', '--automatic-checkpoints-enabled', 'true', '--notes', 'from the CLI');
    assert.equal(result.status, 0, result.stderr);
    await until(() => frame.locator('#automatic').isChecked(), 'the page to show the CLI change');
    await frame.locator('#notice', { hasText: 'was changed outside this page' }).waitFor({ state: 'visible' });
    assert.match((await frame.locator('#notice').textContent()) ?? '', /Your edits of Notes are kept/);
    assert.equal(await frame.locator('#notes').inputValue(), 'draft notes, not applied yet');
    await workbench.screenshot('settings-03-changed-elsewhere-light');
    await frame.locator('#reload').click();
    assert.equal(await frame.locator('#notes').inputValue(), 'from the CLI');
  });

  it('unchecking "Enable checkpoints" and OK disables checkpoints; Checkpoint is then refused (R2)', async () => {
    const frame = await settingsFrame('web-01');
    await frame.locator('label[for="cp-enabled"]').click();
    assert.equal(await frame.locator('#cp-enabled').isChecked(), false);
    assert.equal(await frame.locator('#cp-standard').isDisabled(), true, 'the radios are greyed out');
    assert.equal(await frame.locator('#cp-standard').isChecked(), true, 'and keep their state');
    assert.equal(await frame.locator('#cp-type').textContent(), 'Disabled');
    await frame.locator('#ok').click();
    await until(() => getVm('web-01').CheckpointType === 'Disabled', 'the engine to show CheckpointType Disabled');
    await until(() => frame.isDetached() || page.locator('.tab', { hasText: 'Settings: web-01' }).count().then((n) => n === 0), 'OK to close the page');
    await row('web-01').locator('.label-description', { hasText: 'Disabled' }).waitFor({ state: 'visible' });
    const items = await contextMenu('web-01');
    await page.keyboard.press('Escape');
    assert.ok(!items.includes('Checkpoint'), `the tree no longer offers Checkpoint (${items.join(', ')})`);
    const refused = cli('checkpoint-vm', '--name', 'web-01');
    assert.equal(refused.status, 1);
    assert.equal(refused.stderr.trim(), "Checkpoint operation failed. Checkpoints have been disabled for 'web-01'.");
    // opened again, the page shows the radios as they were
    const again = await openSettings('web-01');
    assert.equal(await again.locator('#cp-enabled').isChecked(), false);
    assert.equal(await again.locator('#cp-standard').isChecked(), true);
    await again.locator('#cancel').click();
    await until(() => again.isDetached() || page.locator('.tab', { hasText: 'Settings: web-01' }).count().then((n) => n === 0), 'Cancel to close the page');
  });

  it('greys out the location and Browse, with the reason, while the VM has checkpoints (R22); dark and high contrast', async () => {
    const frame = await openSettings('db-01');
    assert.equal(await frame.locator('#location').isDisabled(), true);
    assert.equal(await frame.locator('#browse').isDisabled(), true);
    assert.equal(await frame.locator('#location-reason').textContent(), R22);
    assert.equal(await frame.locator('#memory').isEnabled(), true, 'Off: memory can change');
    assert.equal(await frame.locator('#memory').inputValue(), '2048');
    await frame.locator('#location-reason').scrollIntoViewIfNeeded();
    await workbench.screenshot('settings-04-location-locked-light');
    await workbench.setColorTheme('Dark Modern');
    await until(async () => /vscode-dark/.test((await frame.locator('body').getAttribute('class')) ?? ''), 'the page in the dark theme');
    await workbench.screenshot('settings-05-location-locked-dark');
    await workbench.setColorTheme('Dark High Contrast');
    await until(async () => /vscode-high-contrast/.test((await frame.locator('body').getAttribute('class')) ?? ''), 'the page in high contrast');
    await workbench.screenshot('settings-06-location-locked-high-contrast');
    // keyboard: Tab reaches the controls in order, the label names each one
    await frame.locator('#cp-enabled').focus();
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      order.push(String(await frame.evaluate('document.activeElement && document.activeElement.id')));
    }
    // the checked radio is the group's one stop; the greyed-out location and Browse are skipped
    assert.deepEqual(order, ['cp-production', 'cp-fallback', 'automatic', 'name', 'notes', 'is-shutdown']);
  });
});
