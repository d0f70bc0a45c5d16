/**
 * A real VS Code workbench (code-server) in Chromium with this checkout loaded as
 * the development extension, for UI tests. Waits are on conditions (selectors,
 * tree labels), never fixed sleeps.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium } from '../harness/browser';
import { projectRoot, startVsCodeServer, VsCodeServer } from '../harness/vscodeServer';

export const screenshotsDir = join(projectRoot, 'test-results', 'screenshots');

export interface WorkbenchOptions {
  theme?: 'Default Dark Modern' | 'Default Light Modern' | 'Default High Contrast';
  settings?: Record<string, unknown>;
  /** Files to create in the workspace folder before start. */
  files?: Record<string, string>;
}

export class Workbench {
  private constructor(
    readonly page: Page,
    readonly server: VsCodeServer,
    private readonly browser: Browser,
    readonly workspace: string,
    private readonly scratch: string,
    readonly serverLog: string[],
  ) {}

  static async open(options: WorkbenchOptions = {}): Promise<Workbench> {
    const scratch = mkdtempSync(join(tmpdir(), 'checkpoint-lab-ui-'));
    const workspace = join(scratch, 'workspace');
    mkdirSync(workspace, { recursive: true });
    for (const [name, content] of Object.entries(options.files ?? { 'README.md': '# UI test workspace\n' })) {
      writeFileSync(join(workspace, name), content);
    }
    const serverLog: string[] = [];
    const server = await startVsCodeServer({
      workspace,
      userDataDir: join(scratch, 'user-data'),
      settings: { 'workbench.colorTheme': options.theme ?? 'Default Dark Modern', ...options.settings },
      onOutput: (line) => serverLog.push(line),
    });
    const browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.workbenchUrl([['extensionDevelopmentPath', server.remotePath(projectRoot)]]));
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
    return new Workbench(page, server, browser, workspace, scratch, serverLog);
  }

  /** Opens the Checkpoint Lab container from the activity bar. */
  async openCheckpointLab(): Promise<Locator> {
    const item = this.page.locator('.activitybar [aria-label^="Checkpoint Lab"]').first();
    await item.waitFor({ state: 'visible', timeout: 60_000 });
    await item.click();
    const pane = this.page.locator('.pane').filter({ has: this.page.locator('.pane-header', { hasText: 'Virtual Machines' }) });
    await pane.first().waitFor({ state: 'visible', timeout: 30_000 });
    return pane.first();
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(screenshotsDir, { recursive: true });
    const path = join(screenshotsDir, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.server.stop();
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
