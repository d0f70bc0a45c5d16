/**
 * File system provider benchmark (issue 8): the calls VS Code makes on the
 * `checkpoint-lab` provider, in-process on a real store, with a minimal 'vscode' stub
 * (only what the provider touches). Figures, medians:
 *   - open-and-read of a 4 KiB file (stat + readFile, what opening an editor costs): target < 10 ms
 *   - listing a 1,000-entry directory (readDirectory): target < 50 ms, again (the provider's
 *     cache, what the Explorer's refreshes cost) and the first time (the engine's listFiles)
 *   - write-then-read of a 4 KiB guest file (writeFile + readFile, an editor save and reload)
 *   - open-and-read of the same file in a checkpoint (read-only side of a diff)
 * Run: npx tsx bench/fs.bench.ts (or npm run bench -- fs). BENCH_QUICK=1: fewer rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

// ------------------------------------------------------------------ a minimal 'vscode'

class StubUri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query = '',
    readonly fragment = '',
  ) {}
  static from(parts: { scheme: string; authority?: string; path?: string; query?: string }): StubUri {
    return new StubUri(parts.scheme, parts.authority ?? '', parts.path ?? '/', parts.query ?? '');
  }
  static parse(value: string): StubUri {
    const match = /^([^:]+):\/\/([^/]*)(\/[^?#]*)?/.exec(value);
    if (!match) throw new Error(`cannot parse ${value}`);
    return new StubUri(match[1], match[2], decodeURIComponent(match[3] ?? '/'));
  }
  with(change: { path?: string }): StubUri {
    return new StubUri(this.scheme, this.authority, change.path ?? this.path, this.query, this.fragment);
  }
  toString(): string {
    return `${this.scheme}://${this.authority}${encodeURI(this.path)}`;
  }
}

class StubFileSystemError extends Error {
  constructor(
    message?: string | StubUri,
    readonly code = 'Unknown',
  ) {
    super(typeof message === 'string' ? message : String(message ?? ''));
  }
  static FileNotFound = (m?: string | StubUri) => new StubFileSystemError(m, 'FileNotFound');
  static FileExists = (m?: string | StubUri) => new StubFileSystemError(m, 'FileExists');
  static FileNotADirectory = (m?: string | StubUri) => new StubFileSystemError(m, 'FileNotADirectory');
  static FileIsADirectory = (m?: string | StubUri) => new StubFileSystemError(m, 'FileIsADirectory');
  static NoPermissions = (m?: string | StubUri) => new StubFileSystemError(m, 'NoPermissions');
  static Unavailable = (m?: string | StubUri) => new StubFileSystemError(m, 'Unavailable');
}

class StubEventEmitter<T> {
  private listeners: Array<(value: T) => void> = [];
  readonly event = (listener: (value: T) => void) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(value: T): void {
    for (const listener of this.listeners) listener(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

const vscodeStub = {
  Uri: StubUri,
  FileSystemError: StubFileSystemError,
  EventEmitter: StubEventEmitter,
  Disposable: class {
    constructor(private readonly fn: () => void) {}
    dispose(): void {
      this.fn();
    }
  },
  FileType: { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 },
  FilePermission: { Readonly: 1 },
  FileChangeType: { Changed: 1, Created: 2, Deleted: 3 },
  TabInputText: class {},
  TabInputTextDiff: class {},
  workspace: { textDocuments: [], workspaceFolders: undefined },
  window: { tabGroups: { all: [] } },
};

const STUB_ID = join(__dirname, '__vscode_stub__.js');
const moduleInternals = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const resolveFilename = moduleInternals._resolveFilename;
moduleInternals._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? STUB_ID : resolveFilename.call(this, request, ...rest);
};
const stubModule = new Module(STUB_ID);
stubModule.exports = vscodeStub;
stubModule.loaded = true;
require.cache[STUB_ID] = stubModule;

// ------------------------------------------------------------------ the bench

const quick = process.env.BENCH_QUICK === '1';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function measure(rounds: number, fn: (round: number) => Promise<void>): Promise<{ median: number; p90: number }> {
  const times: number[] = [];
  await fn(-1); // warm-up: mounts, caches, WebAssembly start
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await fn(round);
    times.push(performance.now() - started);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { median: median(times), p90: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))] };
}

function line(label: string, result: { median: number; p90: number }, targetMs?: number): void {
  const verdict = targetMs === undefined ? '' : `  target < ${targetMs} ms: ${result.median < targetMs ? 'met' : 'MISSED'} (median/target ${(result.median / targetMs).toFixed(2)})`;
  console.log(`${label.padEnd(52)} median ${result.median.toFixed(2).padStart(7)} ms  p90 ${result.p90.toFixed(2).padStart(7)} ms${verdict}`);
}

export async function main(): Promise<void> {
  const { Lab } = await import('../src/engine');
  const { LabFileSystemProvider } = await import('../src/fs/provider');
  const { checkpointPath, nowPath, SCHEME } = await import('../src/fs/uri');
  const root = mkdtempSync(join(tmpdir(), 'checkpoint-lab-fs-bench-'));
  const lab = await Lab.open(root);
  try {
    const vm = await lab.createVm({ name: 'bench-fs', diskSizeGiB: 1 });
    const data4k = Buffer.alloc(4096, 'x');
    await lab.writeFile({ id: vm.Id }, '/etc/app.conf', data4k, { createParents: true });
    await lab.editFiles({ id: vm.Id }, async (files) => {
      await files.mkdir('/many');
      for (let i = 0; i < 1000; i++) await files.writeFile(`/many/file-${String(i).padStart(4, '0')}.txt`, `entry ${i}\n`);
    });
    const { checkpoint } = await lab.checkpoint({ id: vm.Id }, { name: 'bench' });

    const labs = {
      labFor: async () => lab,
      onDidChange: (listener: (event: unknown) => void) => {
        const subscription = lab.onDidChange((change) => listener({ storeId: lab.storeId, change }));
        return { dispose: () => subscription.dispose() };
      },
      dispose: () => undefined,
    };
    const provider = new LabFileSystemProvider(labs as never, { batchDelayMs: 5 });
    const uri = (path: string) => vscodeStub.Uri.from({ scheme: SCHEME, authority: lab.storeId, path }) as never;
    const file = uri(nowPath(vm, '/etc/app.conf'));
    const folder = uri(nowPath(vm, '/many'));
    const cpFile = uri(checkpointPath(vm, checkpoint.Id, '/etc/app.conf'));

    console.log(`file system provider (in-process, real store; ${quick ? 'BENCH_QUICK' : 'full'} rounds)`);
    const rounds = quick ? 15 : 60;
    line('open-and-read 4 KiB (stat + readFile), Now', await measure(rounds, async () => {
      await provider.stat(file);
      const bytes = await provider.readFile(file);
      if (bytes.length !== 4096) throw new Error(`read ${bytes.length} bytes`);
    }), 10);

    line('listing a 1,000-entry directory again (cached)', await measure(quick ? 5 : 20, async () => {
      const entries = await provider.readDirectory(folder);
      if (entries.length !== 1000) throw new Error(`listed ${entries.length} entries`);
    }), 50);

    line('listing 1,000 entries, first time (engine listFiles)', await measure(quick ? 5 : 10, async () => {
      const fresh = new LabFileSystemProvider(labs as never, { batchDelayMs: 5 });
      const entries = await fresh.readDirectory(folder);
      fresh.dispose();
      if (entries.length !== 1000) throw new Error(`listed ${entries.length} entries`);
    }), 50);

    line('write-then-read 4 KiB (writeFile + readFile), Now', await measure(rounds, async (round) => {
      const content = Buffer.alloc(4096, 97 + (Math.abs(round) % 26));
      await provider.writeFile(file, content, { create: true, overwrite: true });
      const back = await provider.readFile(file);
      if (back[0] !== content[0]) throw new Error('read back other content');
    }));

    line('open-and-read 4 KiB (stat + readFile), checkpoint', await measure(rounds, async () => {
      await provider.stat(cpFile);
      await provider.readFile(cpFile);
    }));
    provider.dispose();
  } finally {
    await lab.close();
    rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
