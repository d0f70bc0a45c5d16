/**
 * `npm start`: the development VS Code (code-server) on 127.0.0.1 with this
 * checkout loaded as the development extension and a demo workspace, until Ctrl+C.
 * Set PORT to choose the port; CHECKPOINT_LAB_DEMO to choose the workspace folder.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, startVsCodeServer } from '../test/harness/vscodeServer';

async function main(): Promise<void> {
  const workspace = process.env.CHECKPOINT_LAB_DEMO ?? join(projectRoot, '.vscode-test', 'demo-workspace');
  mkdirSync(join(workspace, 'app'), { recursive: true });
  const readme = join(workspace, 'README.md');
  if (!existsSync(readme)) {
    writeFileSync(readme, '# Checkpoint Lab demo\n\nOpen the Checkpoint Lab view in the activity bar.\n');
    writeFileSync(join(workspace, 'app', 'server.js'), "console.log('hello from the demo app');\n");
  }
  const server = await startVsCodeServer({
    workspace,
    userDataDir: join(projectRoot, '.vscode-test', 'user-data'),
    extensionsDir: join(projectRoot, '.vscode-test', 'extensions'),
    port: process.env.PORT ? Number(process.env.PORT) : undefined,
    // The demo opens with the sample lab (two VMs, a checkpoint tree) when its store is empty.
    env: { CHECKPOINT_LAB_SAMPLE_LAB: '1' },
    onOutput: (line) => process.stderr.write(`[code-server] ${line}\n`),
  });
  const url = server.workbenchUrl([['extensionDevelopmentPath', server.remotePath(projectRoot)]]);
  process.stdout.write(`\nCheckpoint Lab is running in VS Code ${'1.100.3'} (code-server).\nOpen: ${url}\nPress Ctrl+C to stop.\n\n`);
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
