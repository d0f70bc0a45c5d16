#!/usr/bin/env node
// Copies the README's pictures from the UI tests' latest screenshots
// (test-results/screenshots, written by `npm test` or `npx tsx scripts/run-tests.ts ui`)
// into docs/screenshots, so the README always shows the real UI.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'test-results', 'screenshots');
const to = join(root, 'docs', 'screenshots');
const pictures = {
  'sample-lab.png': '02-sample-lab.png',
  'diff-checkpoint-vs-now.png': '16-diff-checkpoint-vs-now.png',
  'settings-dark.png': 'settings-05-location-locked-dark.png',
  'apply-modal.png': '23-apply-modal.png',
  'loop-apply-and-roll-out.png': 'loop-05-applied-and-rolled-out.png',
};

mkdirSync(to, { recursive: true });
let missing = 0;
for (const [target, source] of Object.entries(pictures)) {
  const path = join(from, source);
  if (!existsSync(path)) {
    console.error(`missing ${path}: run the UI tests first`);
    missing++;
    continue;
  }
  copyFileSync(path, join(to, target));
  console.log(`docs/screenshots/${target} <- test-results/screenshots/${source}`);
}
process.exit(missing > 0 ? 1 : 0);
