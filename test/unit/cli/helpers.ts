/**
 * Runs the built CLI (dist/cli.js) as a separate process, as users and scripts do.
 * The bundle is built once per mocha run (`node esbuild.mjs`, about a second).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as assert from 'node:assert/strict';

export const REPO = path.resolve(__dirname, '../../..');
export const BUILT_CLI = path.join(REPO, 'dist', 'cli.js');
/**
 * The bundle the tests run: the bytes `node esbuild.mjs` just wrote to dist/cli.js, copied
 * beside it (same folder, so dist/node_modules and assets/ resolve the same way) so that
 * another build rewriting dist/cli.js meanwhile (other suites, a watch build) cannot hand
 * a half-written file to a test. Removed when the test process exits; .vscodeignore and
 * .gitignore keep it out of packages and commits.
 */
export const CLI = path.join(REPO, 'dist', `.cli-under-test-${process.pid}.js`);

let built = false;

/**
 * Builds dist/cli.js once for all CLI test files. CLI_TEST_NO_BUILD=1 uses the dist/cli.js
 * already there (for debugging a bundle built some other way).
 */
export function buildCli(): void {
  if (built) return;
  if (process.env.CLI_TEST_NO_BUILD !== '1') {
    const result = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`node esbuild.mjs failed:\n${result.stdout}${result.stderr}`);
  }
  const staging = `${CLI}.tmp`;
  fs.copyFileSync(BUILT_CLI, staging);
  fs.renameSync(staging, CLI);
  process.once('exit', () => fs.rmSync(CLI, { force: true }));
  built = true;
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  /** stdout as UTF-8 */
  out: string;
  err: string;
}

export interface RunOptions {
  /** Bytes for stdin (default: empty, not a terminal). */
  input?: Buffer | string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Extra node flags before the script (e.g. --require for probes). */
  nodeArgs?: string[];
}

/** The environment without the caller's CHECKPOINT_LAB_STORE, so --store is what counts. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('CHECKPOINT_LAB_STORE' in extra)) delete env.CHECKPOINT_LAB_STORE;
  return env;
}

/** `node dist/cli.js <args>` (no --store added). */
export function runRaw(args: readonly string[], options: RunOptions = {}): RunResult {
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], {
    cwd: options.cwd ?? REPO,
    env: options.env ?? cleanEnv(),
    input: options.input ?? '',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  const stdout = result.stdout ?? Buffer.alloc(0);
  return { code: result.status, stdout, out: stdout.toString('utf8'), err: (result.stderr ?? Buffer.alloc(0)).toString('utf8') };
}

/** runRaw without blocking, so independent invocations can overlap. */
export function runRawAsync(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], { cwd: options.cwd ?? REPO, env: options.env ?? cleanEnv() });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out);
      resolve({ code, stdout, out: stdout.toString('utf8'), err: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs many invocations, a few at a time; results in input order. */
export async function runAll(invocations: ReadonlyArray<readonly string[]>, concurrency = 4): Promise<RunResult[]> {
  const results: RunResult[] = new Array(invocations.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < invocations.length) {
      const index = next++;
      results[index] = await runRawAsync(invocations[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, invocations.length) }, worker));
  return results;
}

/** A CLI bound to one store folder. */
export class StoreCli {
  constructor(readonly store: string) {}

  run(args: readonly string[], options: RunOptions = {}): RunResult {
    return runRaw(['--store', this.store, ...args], options);
  }

  /** Runs and expects exit 0 and nothing on stderr unless allowed; returns the result. */
  ok(args: readonly string[], options: RunOptions & { allowStderr?: boolean } = {}): RunResult {
    const result = this.run(args, options);
    assert.equal(result.code, 0, `checkpoint-lab ${args.join(' ')} exited ${result.code}\nstderr: ${result.err}\nstdout: ${result.out}`);
    if (!options.allowStderr) assert.equal(result.err, '', `unexpected stderr from ${args.join(' ')}`);
    return result;
  }

  /** Runs with --json appended, expects exit 0, parses stdout. */
  json<T = unknown>(args: readonly string[], options: RunOptions & { allowStderr?: boolean } = {}): T {
    return JSON.parse(this.ok([...args, '--json'], options).out) as T;
  }

  /** Runs and expects the given exit code, an empty stdout and a message on stderr. */
  fails(args: readonly string[], code: 1 | 2, message?: string | RegExp, options: RunOptions = {}): RunResult {
    const result = this.run(args, options);
    assert.equal(result.code, code, `checkpoint-lab ${args.join(' ')}: expected exit ${code}, got ${result.code}\nstderr: ${result.err}\nstdout: ${result.out}`);
    assert.equal(result.out, '', `stdout of a failed command must be empty: ${args.join(' ')}`);
    assert.notEqual(result.err.trim(), '', 'a failure explains itself on stderr');
    if (typeof message === 'string') assert.ok(result.err.includes(message), `stderr ${JSON.stringify(result.err)} lacks ${JSON.stringify(message)}`);
    else if (message) assert.match(result.err, message);
    return result;
  }

  vms(): VmJson[] {
    return this.json<VmJson[]>(['get-vm']);
  }

  vm(name: string): VmJson {
    const [vm] = this.json<VmJson[]>(['get-vm', '--name', name]);
    return vm;
  }

  checkpoints(vmName?: string): CheckpointJson[] {
    return this.json<CheckpointJson[]>(vmName === undefined ? ['get-vmsnapshot'] : ['get-vmsnapshot', '--vm-name', vmName]);
  }

  newVm(name: string, ...extra: string[]): VmJson {
    return this.json<VmJson>(['new-vm', '--name', name, '--disk-size', '1GiB', ...extra]);
  }

  checkpoint(vmName: string, snapshotName?: string, ...extra: string[]): CheckpointJson {
    const args = ['checkpoint-vm', '--name', vmName, ...(snapshotName === undefined ? [] : ['--snapshot-name', snapshotName]), ...extra];
    return this.json<CheckpointJson>(args);
  }

  writeFile(vmName: string, guestPath: string, data: Buffer | string): void {
    this.ok(['write-vmfile', '--name', vmName, '--path', guestPath, '--create-full-path'], { input: data });
  }

  readFile(vmName: string, guestPath: string, ...extra: string[]): Buffer {
    return this.ok(['get-vmfile', '--name', vmName, '--path', guestPath, ...extra]).stdout;
  }

  /** Every file of the store with its SHA-256: equal before and after = nothing changed. */
  snapshot(): Map<string, string> {
    return snapshotFolder(this.store);
  }

  /**
   * Runs fn and asserts the store folder is byte-for-byte unchanged (every file and its
   * bytes; only the lock file may come and go). Stricter than comparing listings, and
   * cheaper: no extra processes.
   */
  unchanged(fn: () => void): void {
    const before = describe(this.snapshot());
    fn();
    assert.deepEqual(describe(this.snapshot()), before, 'the store folder changed');
  }

  exists(): boolean {
    return fs.existsSync(this.store);
  }
}

function describe(files: Map<string, string>): Record<string, string> {
  return Object.fromEntries([...files.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Files that may change when nothing logically changes: the lock file (taken and released
 * by every operation, R31).
 */
const VOLATILE = new Set(['lab.lock']);

export function snapshotFolder(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (entry.isDirectory()) {
        files.set(`${rel}/`, 'dir');
        walk(full);
      } else if (!VOLATILE.has(rel)) {
        files.set(rel, crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex'));
      }
    }
  };
  walk(root);
  return files;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cli-${prefix}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;

export const VM_KEYS = [
  'Id',
  'Name',
  'State',
  'Status',
  'Generation',
  'GuestOs',
  'MemoryStartupBytes',
  'DiskSizeBytes',
  'CheckpointType',
  'SnapshotFileLocation',
  'AutomaticCheckpointsEnabled',
  'BackupIntegration',
  'ShutdownIntegration',
  'GuestServicesIntegration',
  'ParentCheckpointId',
  'ParentCheckpointName',
  'Notes',
];

export const CHECKPOINT_KEYS = [
  'Id',
  'Name',
  'VMName',
  'VMId',
  'ParentSnapshotId',
  'ParentSnapshotName',
  'SnapshotType',
  'CheckpointType',
  'IsAutomatic',
  'HasSavedState',
  'VmState',
  'Status',
  'CreationTime',
  'Notes',
  'ExclusiveBytes',
  'SharedBytes',
];

export interface VmJson {
  Id: string;
  Name: string;
  State: string;
  Status: string;
  Generation: number;
  GuestOs: string;
  MemoryStartupBytes: number;
  DiskSizeBytes: number;
  CheckpointType: string;
  SnapshotFileLocation: string;
  AutomaticCheckpointsEnabled: boolean;
  BackupIntegration: boolean;
  ShutdownIntegration: boolean;
  GuestServicesIntegration: boolean;
  ParentCheckpointId: string | null;
  ParentCheckpointName: string | null;
  Notes: string;
}

export interface CheckpointJson {
  Id: string;
  Name: string;
  VMName: string;
  VMId: string;
  ParentSnapshotId: string | null;
  ParentSnapshotName: string | null;
  SnapshotType: string;
  CheckpointType: string;
  IsAutomatic: boolean;
  HasSavedState: boolean;
  VmState: string;
  Status: string;
  CreationTime: string;
  Notes: string;
  ExclusiveBytes: number;
  SharedBytes: number;
}

/** Exactly the SPEC's fields, in its order. */
export function assertKeys(value: object, keys: readonly string[]): void {
  assert.deepEqual(Object.keys(value), keys);
}
