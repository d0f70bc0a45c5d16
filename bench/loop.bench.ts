/**
 * Dev/UAT loop benchmark (issue 9), side by side in one run with what shadow-git
 * checkpoint tools do in a scratch repository: `git add -A && git commit` to capture,
 * `git checkout <commit> -- . && git clean -fdq` to restore. Figures (median of rounds):
 *   - 5,000 files / 60 MB, 10 changed: Roll In + Checkpoint vs git capture (target <= 3x);
 *     Apply + Roll Out vs git restore (target <= 3x);
 *   - the same plus one new 200 MB binary: Roll In + Checkpoint vs git capture (target >= 3x faster);
 *   - first Roll In of the whole folder vs git's first add + commit (target <= 3x).
 * Run: npx tsx bench/loop.bench.ts (or npm run bench -- loop). BENCH_QUICK=1: 500 files, 20 MB binary.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Lab } from '../src/engine';
import { applyAndRollOut, type LinkSpec, rollIn, rollInAndCheckpoint } from '../src/loop/core';

const QUICK = process.env.BENCH_QUICK === '1';
const FILES = QUICK ? 500 : 5000;
const FOLDER_BYTES = QUICK ? 6e6 : 60e6;
const BIG_BYTES = QUICK ? 20 * 1024 * 1024 : 200 * 1024 * 1024;
const ROUNDS = QUICK ? 3 : 5;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 }).toString();
}

function time<T>(fn: () => T): [T, number] {
  const started = performance.now();
  const value = fn();
  return [value, performance.now() - started];
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await fn();
  return [value, performance.now() - started];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Deterministic pseudo-random bytes (incompressible, as real binaries mostly are). */
function noise(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32LE(x | 0, i);
  }
  for (let i = size - (size % 4); i < size; i++) out[i] = i & 255;
  return out;
}

/** A source-tree-like folder: FILES text-ish files in 100 folders, FOLDER_BYTES in all. */
function makeFolder(root: string): string[] {
  mkdirSync(root, { recursive: true });
  const per = Math.round(FOLDER_BYTES / FILES);
  const rels: string[] = [];
  const dirs = Math.max(1, Math.round(FILES / 50));
  for (let i = 0; i < FILES; i++) {
    const dir = `src/m${i % dirs}`;
    mkdirSync(join(root, dir), { recursive: true });
    const rel = `${dir}/file${i}.ts`;
    // half text (compressible), half noise
    const text = Buffer.from(`// file ${i}\n${'export const value = 42; // some code\n'.repeat(Math.ceil(per / 2 / 40))}`).subarray(0, per >> 1);
    writeFileSync(join(root, rel), Buffer.concat([text, noise(per - text.length, i + 1)]));
    rels.push(rel);
  }
  return rels;
}

function changeTen(root: string, rels: string[], round: number): void {
  for (let k = 0; k < 10; k++) {
    const rel = rels[(round * 37 + k * 491) % rels.length];
    writeFileSync(join(root, rel), Buffer.concat([Buffer.from(`// round ${round} change ${k}\n`), noise(2000, round * 100 + k)]));
  }
}

function line(name: string, ours: number, theirs: number, target: string): void {
  const ratio = ours / theirs;
  process.stdout.write(`${name.padEnd(54)} loop ${ours.toFixed(1).padStart(8)} ms   git ${theirs.toFixed(1).padStart(8)} ms   ratio ${ratio.toFixed(2)}x (${target})\n`);
}

export async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'loop-bench-'));
  try {
    const folder = join(base, 'app');
    const rels = makeFolder(folder);
    const repo = join(base, 'repo');
    cpSync(folder, repo, { recursive: true });
    git(repo, 'init', '-q');
    git(repo, 'config', 'user.email', 'bench@example.invalid');
    git(repo, 'config', 'user.name', 'bench');
    git(repo, 'config', 'commit.gpgsign', 'false');

    const lab = await Lab.open(join(base, 'store'));
    await lab.createVm({ name: 'uat', diskSizeGiB: 4 });
    const link: LinkSpec = { vm: 'uat', hostPath: folder, guestPath: '/srv/app', excludes: ['.git'] };

    // --- first capture of the whole folder
    const [, gitFirst] = time(() => {
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', 'first');
    });
    const [first, loopFirst] = await timeAsync(() => rollInAndCheckpoint(lab, link, { checkpointName: 'first' }));
    if (first.sync.written.length !== FILES) throw new Error(`first Roll In wrote ${first.sync.written.length} files, expected ${FILES}`);
    line(`first Roll In + Checkpoint, ${FILES} files`, loopFirst, gitFirst, 'target <= 3x');

    // --- 10 changed files: capture
    const loopCapture: number[] = [];
    const gitCapture: number[] = [];
    const checkpoints: string[] = [first.checkpoint.Id];
    const commits: string[] = [git(repo, 'rev-parse', 'HEAD').trim()];
    for (let round = 1; round <= ROUNDS; round++) {
      changeTen(folder, rels, round);
      changeTen(repo, rels, round);
      const [, g] = time(() => {
        git(repo, 'add', '-A');
        git(repo, 'commit', '-q', '-m', `round ${round}`);
      });
      gitCapture.push(g);
      commits.push(git(repo, 'rev-parse', 'HEAD').trim());
      const [result, l] = await timeAsync(() => rollInAndCheckpoint(lab, link, { checkpointName: `round ${round}` }));
      if (result.sync.written.length !== 10) throw new Error(`Roll In wrote ${result.sync.written.length} files, expected 10`);
      loopCapture.push(l);
      checkpoints.push(result.checkpoint.Id);
    }
    line('Roll In + Checkpoint, 10 changed files', median(loopCapture), median(gitCapture), 'target <= 3x');

    // --- restore an older state: Apply + Roll Out vs checkout + clean
    const loopRestore: number[] = [];
    const gitRestore: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const index = round % 2 === 0 ? checkpoints.length - 2 : checkpoints.length - 1;
      const [, g] = time(() => {
        git(repo, 'checkout', '-q', commits[index], '--', '.');
        git(repo, 'clean', '-fdq');
      });
      gitRestore.push(g);
      const [result, l] = await timeAsync(() => applyAndRollOut(lab, link, { id: checkpoints[index] }));
      if (result.sync.guestRead) throw new Error('Apply + Roll Out had to read the guest folder');
      loopRestore.push(l);
    }
    line('Apply + Roll Out, 10 files differ', median(loopRestore), median(gitRestore), 'target <= 3x');
    // back to the newest state on both sides
    git(repo, 'checkout', '-q', commits[commits.length - 1], '--', '.');
    await applyAndRollOut(lab, link, { id: checkpoints[checkpoints.length - 1] });

    // --- one new big binary
    const big = noise(BIG_BYTES, 7);
    writeFileSync(join(folder, 'assets.bin'), big);
    writeFileSync(join(repo, 'assets.bin'), big);
    const [, gitBig] = time(() => {
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', 'big');
    });
    const [bigResult, loopBig] = await timeAsync(() => rollIn(lab, link).then(async (sync) => ({ sync, cp: await lab.checkpoint('uat') })));
    if (!bigResult.sync.written.includes('assets.bin')) throw new Error('the big file was not rolled in');
    const back = await lab.readFile('uat', '/srv/app/assets.bin');
    if (!back.equals(big)) throw new Error('the big file differs in the guest');
    line(`Roll In + Checkpoint, new ${Math.round(BIG_BYTES / 1048576)} MiB binary`, loopBig, gitBig, `target: git / loop >= 3x; here ${(gitBig / loopBig).toFixed(2)}x`);
    await lab.close();
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
