/**
 * Runs in an extension host whose only copy of Checkpoint Lab is the .vsix that
 * `npm run package` built and `--install-extension` installed: a file left out of
 * the package, or a bundle that fails to load, fails here rather than for users.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';

const extensionId = 'checkpoint-lab.checkpoint-lab';

async function check(title: string, body: () => Promise<void>, outcomes: unknown[]): Promise<boolean> {
  const started = Date.now();
  try {
    await body();
    outcomes.push({ title, state: 'passed', durationMs: Date.now() - started });
    return true;
  } catch (error) {
    outcomes.push({ title, state: 'failed', error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) });
    return false;
  }
}

export async function run(): Promise<void> {
  const outcomes: unknown[] = [];
  let ok = true;
  ok =
    (await check('the installed .vsix is the extension VS Code loaded', async () => {
      const extension = vscode.extensions.getExtension(extensionId);
      assert.ok(extension, `${extensionId} is installed`);
      const extensionsDir = process.env.CHECKPOINT_LAB_EXTENSIONS_DIR;
      assert.ok(extensionsDir, 'the runner names the extensions folder');
      assert.ok(extension.extensionPath.startsWith(extensionsDir), `${extension.extensionPath} is inside ${extensionsDir}`);
    }, outcomes)) && ok;
  ok =
    (await check('the installed extension activates and gets workspace storage', async () => {
      const extension = vscode.extensions.getExtension<{ storageUri?: vscode.Uri }>(extensionId)!;
      const api = await extension.activate();
      assert.ok(extension.isActive);
      assert.ok(api.storageUri, 'context.storageUri is set');
    }, outcomes)) && ok;
  const report = process.env.CHECKPOINT_LAB_TEST_REPORT;
  if (report) writeFileSync(report, JSON.stringify(outcomes, null, 2));
  if (!ok) throw new Error('the packaged extension failed its checks');
}
