/**
 * `npm test`: the three tiers, in order, with a count for each and one closing line.
 *   static       type check (tsc --noEmit) and lint (eslint, incl. the engine layer rule)
 *   unit         mocha in Node on the engine and CLI (test/unit)
 *   integration  mocha inside a real VS Code extension host (code-server + Chromium)
 *   package      the .vsix from `npm run package` installed into that VS Code, activated
 *   ui           Playwright driving the real workbench in Chromium (test/ui), screenshots in test-results/
 * Usage: tsx scripts/run-tests.ts [static] [unit] [integration] [package] [ui]   (default: all)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExtensionTests } from '../test/harness/buildTests';
import { runExtensionTestsInBrowser, TierResult } from '../test/harness/extensionTests';
import { projectRoot } from '../test/harness/vscodeServer';

const allTiers = ['static', 'unit', 'integration', 'package', 'ui'] as const;
type Tier = (typeof allTiers)[number];

function parseMochaCounts(output: string): TierResult {
  const passed = Number(/(\d+) passing/.exec(output)?.[1] ?? 0);
  const failed = Number(/(\d+) failing/.exec(output)?.[1] ?? 0);
  const skipped = Number(/(\d+) pending/.exec(output)?.[1] ?? 0);
  return { passed, failed, skipped };
}

function runMocha(args: string[], env: Record<string, string> = {}): TierResult {
  const color = process.stdout.isTTY ? '--color' : '--no-color';
  const result = spawnSync(process.execPath, [join(projectRoot, 'node_modules', 'mocha', 'bin', 'mocha.js'), color, ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
  process.stdout.write(result.stdout ?? '');
  const counts = parseMochaCounts(result.stdout ?? '');
  if (result.status !== 0 && counts.failed === 0) counts.failed = 1; // crashed before reporting
  // mocha lists its failures after "N failing": keep the start of that list for the recap
  const list = /\d+ failing[^\n]*\n([\s\S]*)$/.exec(result.stdout ?? '')?.[1];
  if (list) counts.failures = [list.trim().split('\n').slice(0, 60).join('\n')];
  return counts;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: projectRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}

function staticChecks(): TierResult {
  const checks: Array<[string, string[]]> = [
    ['type check', [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.', '--noEmit']],
    ['lint', [join(projectRoot, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--max-warnings', '0', 'src', 'test', 'bench', 'scripts', 'esbuild.mjs']],
  ];
  const result: TierResult = { passed: 0, failed: 0, skipped: 0 };
  for (const [name, args] of checks) {
    const outcome = spawnSync(process.execPath, args, { cwd: projectRoot, stdio: 'inherit' });
    process.stdout.write(`  ${outcome.status === 0 ? '✔' : '✘'} ${name}\n`);
    if (outcome.status === 0) result.passed++;
    else result.failed++;
  }
  return result;
}

async function integrationTier(): Promise<TierResult> {
  run(process.execPath, ['esbuild.mjs']);
  await buildExtensionTests();
  const workspace = mkdtempSync(join(tmpdir(), 'checkpoint-lab-ws-'));
  writeFileSync(join(workspace, 'README.txt'), 'Integration test workspace\n');
  try {
    return await runExtensionTestsInBrowser({
      workspace,
      extensionDevelopmentPath: projectRoot,
      extensionTestsPath: join(projectRoot, 'out', 'test', 'integration', 'index'),
      label: 'integration',
    });
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

async function packageTier(): Promise<TierResult> {
  run('npm', ['run', '--silent', 'package']);
  const vsix = join(projectRoot, 'dist-vsix', 'checkpoint-lab.vsix');
  await buildExtensionTests();
  const scratch = mkdtempSync(join(tmpdir(), 'checkpoint-lab-vsix-'));
  const extensionsDir = join(scratch, 'extensions');
  const workspace = join(scratch, 'workspace');
  mkdirSync(workspace, { recursive: true });
  try {
    const { codeServerEntry } = await import('../test/harness/vscodeServer');
    run(process.execPath, [codeServerEntry, '--extensions-dir', extensionsDir, '--user-data-dir', join(scratch, 'user-data'), '--install-extension', vsix]);
    return await runExtensionTestsInBrowser({
      workspace,
      extensionsDir,
      // A tiny driver extension stands in as the development extension, so the
      // extension under test is the installed .vsix, not this checkout.
      extensionDevelopmentPath: join(projectRoot, 'test', 'packaged', 'driver'),
      extensionTestsPath: join(projectRoot, 'out', 'test', 'packaged', 'index'),
      label: 'package',
      env: { CHECKPOINT_LAB_EXTENSIONS_DIR: extensionsDir },
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const requested = process.argv.slice(2).filter((a): a is Tier => (allTiers as readonly string[]).includes(a));
  const tiers: readonly Tier[] = requested.length > 0 ? requested : allTiers;
  const results: Array<[Tier, TierResult]> = [];
  for (const tier of tiers) {
    process.stdout.write(`\n=== ${tier} tests ===\n`);
    let result: TierResult;
    try {
      if (tier === 'static') result = staticChecks();
      else if (tier === 'unit') result = runMocha(['test/unit/**/*.test.ts']);
      else if (tier === 'integration') result = await integrationTier();
      else if (tier === 'package') result = await packageTier();
      else {
        run(process.execPath, ['esbuild.mjs']);
        result = runMocha(['--config', join(projectRoot, 'test', 'ui', '.mocharc.json')]);
      }
    } catch (error) {
      process.stdout.write(`${tier} tier could not run: ${error instanceof Error ? error.stack : String(error)}\n`);
      result = { passed: 0, failed: 1, skipped: 0 };
    }
    process.stdout.write(`=== ${tier}: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped ===\n`);
    results.push([tier, result]);
  }
  const total = results.reduce((a, [, r]) => ({ passed: a.passed + r.passed, failed: a.failed + r.failed, skipped: a.skipped + r.skipped }), { passed: 0, failed: 0, skipped: 0 });
  process.stdout.write('\nSummary by tier:\n');
  for (const [tier, r] of results) process.stdout.write(`  ${tier.padEnd(12)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped\n`);
  const failures = results.flatMap(([tier, r]) => (r.failures ?? []).map((f) => `[${tier}] ${f}`));
  if (failures.length > 0) process.stdout.write(`\nFailures (again, in brief):\n${failures.join('\n')}\n`);
  const noTests = results.some(([, r]) => r.passed + r.failed === 0);
  if (noTests) process.stdout.write('A tier ran no test: that counts as a failure.\n');
  process.stdout.write(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
  return total.failed > 0 || noTests ? 1 : 0;
}

// Exit explicitly: esbuild's service process (used to build the extension tests) and
// any handle a tier leaves behind would otherwise keep `npm test` running for ever.
main().then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
