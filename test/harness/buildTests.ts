/**
 * Compiles the tests that run inside the VS Code extension host (test/integration,
 * test/packaged) to out/test/..., one bundle per file with 'vscode' and 'mocha'
 * left to the host and node_modules.
 */
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from './vscodeServer';

function tsFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...tsFiles(path));
    else if (entry.name.endsWith('.ts')) found.push(path);
  }
  return found;
}

export async function buildExtensionTests(): Promise<void> {
  const entryPoints = ['integration', 'packaged'].flatMap((folder) =>
    tsFiles(join(projectRoot, 'test', folder)).map((file) => relative(projectRoot, file)),
  );
  await esbuild.build({
    absWorkingDir: projectRoot,
    entryPoints,
    outdir: join(projectRoot, 'out'),
    outbase: projectRoot,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
}

if (require.main === module) {
  buildExtensionTests().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
