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

/** Color themes by their label in "Preferences: Color Theme", with the workbench class each sets. */
export const colorThemes = {
  'Light Modern': /\bvs\b(?!-dark)/,
  'Dark Modern': /\bvs-dark\b/,
  'Dark High Contrast': /\bhc-black\b/,
} as const;
export type ColorTheme = keyof typeof colorThemes;

/** Opens the Checkpoint Lab container of a workbench page (a window) from its activity bar. */
export async function openCheckpointLabIn(page: Page): Promise<Locator> {
  const item = page.locator('.activitybar [aria-label^="Checkpoint Lab"]').first();
  await item.waitFor({ state: 'visible', timeout: 60_000 });
  const pane = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: 'Virtual Machines' }) }).first();
  // clicking the container of a visible view would hide the side bar
  if (!(await pane.isVisible())) await item.click();
  await pane.waitFor({ state: 'visible', timeout: 30_000 });
  return pane;
}

/**
 * Right-clicks a row until `shown` is visible. The tree re-renders its rows when the
 * lab changes (it polls the store), and a right-click that lands on a row being
 * replaced opens no menu; a clean-clone CI run under load showed exactly that.
 */
async function openContextMenu(page: Page, row: Locator, shown: Locator): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    try {
      await shown.waitFor({ state: 'visible', timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt === 4) throw error;
      await page.keyboard.press('Escape');
    }
  }
}

/**
 * Right-clicks a row and chooses a context-menu entry: a string matches the whole label,
 * a RegExp is used as it is. The entry is hovered, then Enter: a click as the menu
 * appears is sometimes lost.
 */
export async function chooseFromContextMenu(page: Page, row: Locator, entry: string | RegExp): Promise<void> {
  const pattern = typeof entry === 'string' ? new RegExp(`^${entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : entry;
  const action = page.locator('.context-view .action-label', { hasText: pattern }).first();
  await openContextMenu(page, row, action);
  await action.hover();
  await page.locator('.context-view .action-item.focused', { hasText: pattern }).first().waitFor({ state: 'visible', timeout: 5_000 });
  await page.keyboard.press('Enter');
  await page.locator('.context-view .monaco-menu').first().waitFor({ state: 'hidden', timeout: 10_000 });
}

/** A screenshot of a page in test-results/screenshots/<name>.png; returns its path. */
export async function screenshotOf(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotsDir, { recursive: true });
  const path = join(screenshotsDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

export interface WorkbenchOptions {
  /** Switched through the command palette after start: this server ignores workbench.colorTheme in settings.json. */
  theme?: ColorTheme;
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
      settings: options.settings,
      onOutput: (line) => serverLog.push(line),
    });
    const browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.workbenchUrl([['extensionDevelopmentPath', server.remotePath(projectRoot)]]));
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
    const workbench = new Workbench(page, server, browser, workspace, scratch, serverLog);
    if (options.theme) await workbench.setColorTheme(options.theme);
    return workbench;
  }

  /** Preferences: Color Theme from the command palette; resolves once the workbench shows it. */
  async setColorTheme(theme: ColorTheme): Promise<void> {
    const page = this.page;
    // Themes are listed once the extension host has registered the built-in theme
    // extensions; our own container appearing in the activity bar marks that point.
    await page.locator('.activitybar [aria-label^="Checkpoint Lab"]').first().waitFor({ state: 'visible', timeout: 60_000 });
    const input = page.locator('.quick-input-widget input');
    const themeRow = page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first();
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Control+Shift+P');
      await input.waitFor({ state: 'visible' });
      await input.fill('>Preferences: Color Theme');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Preferences: Color Theme' }).first().click();
      await input.fill(theme);
      try {
        await themeRow.waitFor({ state: 'visible', timeout: 10_000 });
        break;
      } catch (error) {
        await page.keyboard.press('Escape');
        if (attempt === 3) throw error;
      }
    }
    await page.keyboard.press('Enter');
    // A string expression: it runs in the page, and this tsconfig has no DOM types.
    const pattern = JSON.stringify(colorThemes[theme].source);
    await page.waitForFunction(`new RegExp(${pattern}).test(document.querySelector('.monaco-workbench')?.className ?? '')`, undefined, { timeout: 30_000 });
  }

  /** Opens the Checkpoint Lab container from the activity bar. */
  openCheckpointLab(): Promise<Locator> {
    return openCheckpointLabIn(this.page);
  }

  /** Drags the side bar's edge so tree descriptions (kind, time) fit in screenshots. */
  async widenSideBar(width = 560): Promise<void> {
    const box = await this.page.locator('.part.sidebar').first().boundingBox();
    if (!box || box.width >= width) return;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width - 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 8 });
    await this.page.mouse.up();
    await this.page.mouse.move(box.x + width + 300, y); // off the sash, so it is not drawn highlighted
  }

  /** The row of the Virtual Machines tree whose label matches (exactly, for a string). */
  treeRow(pane: Locator, label: string | RegExp): Locator {
    const pattern = typeof label === 'string' ? new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : label;
    return pane.locator('.monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: pattern }) }).first();
  }

  /** The labels of the tree's rows, top to bottom (what the user reads). */
  async treeLabels(pane: Locator): Promise<string[]> {
    return pane.locator('.monaco-list-row .label-name').allInnerTexts();
  }

  /** Right-clicks a row and chooses a context-menu entry (see chooseFromContextMenu). */
  contextMenu(row: Locator, entry: string | RegExp): Promise<void> {
    return chooseFromContextMenu(this.page, row, entry);
  }

  /** The entries of a row's context menu (the menu is closed again). */
  async contextMenuEntries(row: Locator): Promise<string[]> {
    const labels = this.page.locator('.context-view .action-label');
    await openContextMenu(this.page, row, labels.first());
    const texts = (await labels.allInnerTexts()).map((t) => t.trim()).filter((t) => t.length > 0);
    await this.page.keyboard.press('Escape');
    await this.page.locator('.context-view .monaco-menu').first().waitFor({ state: 'hidden', timeout: 10_000 });
    return texts;
  }

  /** Waits until no progress notification (a toast with a Cancel button) is shown: the work it reports is done. */
  async progressNotificationsGone(): Promise<void> {
    const progress = this.page.locator('.notifications-toasts .notification-toast', { has: this.page.locator('.monaco-button', { hasText: /^Cancel$/ }) });
    await progress.first().waitFor({ state: 'hidden', timeout: 30_000 });
  }

  /** A button of the modal dialog (waits for it). */
  async dialogButton(text: string): Promise<Locator> {
    const button = this.page.locator('.monaco-dialog-box .monaco-button', { hasText: new RegExp(`^${text}$`) }).first();
    await button.waitFor({ state: 'visible', timeout: 15_000 });
    return button;
  }

  /** The modal dialog's message text. */
  async dialogMessage(): Promise<string> {
    const message = this.page.locator('.monaco-dialog-box .dialog-message-text').first();
    await message.waitFor({ state: 'visible', timeout: 15_000 });
    return message.innerText();
  }

  /** Runs a command from the palette by its title ("Checkpoint Lab: New Virtual Machine..."). */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('Control+Shift+P');
    const input = this.page.locator('.quick-input-widget input[type="text"]');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await this.page.keyboard.press('Enter');
  }

  /** Answers the open quick input (input box or pick) with text, or accepts its default when text is undefined. */
  async answerQuickInput(expectedTitle: string | RegExp, text?: string): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    await widget.locator('.quick-input-title', { hasText: expectedTitle }).waitFor({ state: 'visible', timeout: 15_000 });
    const input = widget.locator('input[type="text"]');
    if (text !== undefined) await input.fill(text);
    await this.page.keyboard.press('Enter');
  }

  screenshot(name: string): Promise<string> {
    return screenshotOf(this.page, name);
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.server.stop();
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
