/**
 * `npm run test:electron`: the same integration suite (test/integration) in desktop
 * VS Code through @vscode/test-electron, for machines that can download VS Code.
 * CI has no such network and uses code-server instead (scripts/run-tests.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { buildExtensionTests } from './harness/buildTests';
import { projectRoot } from './harness/vscodeServer';

async function main(): Promise<void> {
  await buildExtensionTests();
  const workspace = mkdtempSync(join(tmpdir(), 'checkpoint-lab-electron-ws-'));
  writeFileSync(join(workspace, 'README.txt'), 'Integration test workspace\n');
  await runTests({
    version: '1.100.3',
    extensionDevelopmentPath: projectRoot,
    extensionTestsPath: join(projectRoot, 'out', 'test', 'integration', 'index'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
