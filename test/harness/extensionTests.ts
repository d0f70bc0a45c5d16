/**
 * Runs a compiled extension test suite inside the real VS Code extension host:
 * code-server serves the workbench, Chromium opens it with a `payload` naming the
 * development extension and the tests, and the workbench calls
 * window.codeAutomationExit(code) when the suite settles (as VS Code's own browser
 * integration tests do). Results come back through a JSON report file.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from './browser';
import { projectRoot, startVsCodeServer } from './vscodeServer';

export interface TierResult {
  passed: number;
  failed: number;
  skipped: number;
  /** Each failure in a few lines, repeated at the end of `npm test` (CI shows only the tail). */
  failures?: string[];
}

/** A failure's title and the first lines of its error, for the closing recap. */
export function failureBrief(title: string, error: string, lines = 8): string {
  return [title, ...error.split('\n').slice(0, lines).map((l) => `    ${l}`)].join('\n');
}

export interface ExtensionTestRun {
  workspace: string;
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  extensionsDir?: string;
  label: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

interface Outcome {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export async function runExtensionTestsInBrowser(run: ExtensionTestRun): Promise<TierResult> {
  const scratch = mkdtempSync(join(tmpdir(), `checkpoint-lab-${run.label}-`));
  const reportFile = join(scratch, 'report.json');
  const logLines: string[] = [];
  const server = await startVsCodeServer({
    workspace: run.workspace,
    extensionsDir: run.extensionsDir,
    env: { ...run.env, CHECKPOINT_LAB_TEST_REPORT: reportFile },
    onOutput: (line) => logLines.push(line),
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (message) => {
      if (message.type() === 'error') logLines.push(`[browser] ${message.text()}`);
    });
    const exitCode = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.goto(
      server.workbenchUrl([
        ['extensionDevelopmentPath', server.remotePath(run.extensionDevelopmentPath)],
        ['extensionTestsPath', server.remotePath(run.extensionTestsPath)],
      ]),
    );
    const timeoutMs = run.timeoutMs ?? 15 * 60_000;
    const code = await Promise.race([
      exitCode,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`${run.label} tests did not finish within ${timeoutMs} ms`)), timeoutMs)),
    ]);
    const outcomes: Outcome[] = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : [];
    for (const outcome of outcomes) {
      const mark = outcome.state === 'passed' ? '✔' : outcome.state === 'failed' ? '✘' : '-';
      process.stdout.write(`  ${mark} ${outcome.title}${outcome.durationMs !== undefined ? ` (${outcome.durationMs} ms)` : ''}\n`);
      if (outcome.error) process.stdout.write(`      ${outcome.error.split('\n').join('\n      ')}\n`);
    }
    const result: TierResult = {
      passed: outcomes.filter((o) => o.state === 'passed').length,
      failed: outcomes.filter((o) => o.state === 'failed').length,
      skipped: outcomes.filter((o) => o.state === 'pending').length,
      failures: outcomes.filter((o) => o.state === 'failed').map((o) => failureBrief(o.title, o.error ?? '')),
    };
    if (code !== 0 && result.failed === 0) {
      process.stdout.write(`  ✘ the extension host reported exit code ${code} without a failing test; server log:\n${logLines.slice(-60).join('\n')}\n`);
      result.failed = 1;
    }
    if (result.failed > 0 && process.env.CHECKPOINT_LAB_VERBOSE) process.stdout.write(logLines.join('\n') + '\n');
    return result;
  } catch (error) {
    process.stdout.write(`server log:\n${logLines.slice(-80).join('\n')}\n`);
    throw error;
  } finally {
    await browser.close();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

export const resultsDir = join(projectRoot, 'test-results');
export function ensureResultsDir(): string {
  mkdirSync(resultsDir, { recursive: true });
  return resultsDir;
}
