// Bundles the extension (src/extension.ts -> dist/extension.js) and the command line
// (src/cli/main.ts -> dist/cli.js). 'vscode' stays external: the host provides it.
// 'ext2fs' stays external too and is copied to dist/node_modules: its lib/fs.js assigns
// to constants in code paths we never call, which esbuild rejects, and its WebAssembly
// glue is best loaded as shipped. Both bundles resolve it from dist/, so the .vsix and
// `node dist/cli.js` need nothing from the project's node_modules.
// Usage: node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { chmodSync, cpSync, rmSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['ext2fs'],
};

function shipExt2fs() {
  const target = 'dist/node_modules/ext2fs';
  rmSync(target, { recursive: true, force: true });
  for (const entry of ['package.json', 'index.js', 'lib', 'LICENSE']) {
    cpSync(`node_modules/ext2fs/${entry}`, `${target}/${entry}`, { recursive: true, force: true });
  }
}

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', 'ext2fs'] },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];

shipExt2fs();
if (watch) {
  for (const options of builds) {
    const context = await esbuild.context(options);
    await context.watch();
  }
  console.log('[esbuild] watching src/ for changes');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  chmodSync('dist/cli.js', 0o755);
}
