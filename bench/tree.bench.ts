/**
 * Tree bench (DESIGN.md): building the whole Virtual Machines tree for 50 VMs x 50
 * checkpoints (target < 50 ms: snapshot, every getChildren and getTreeItem), and extension
 * activation (target < 150 ms: loading the bundle and running activate()), both in-process
 * with a minimal 'vscode' stub. Run directly: npx tsx bench/tree.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CheckpointInfo, VmInfo } from '../src/engine/model';
import { vmInfoFixture } from '../test/harness/fixtures';

// ------------------------------------------------------------------ a minimal 'vscode'

/**
 * A CommonJS 'vscode' stub as source text, so the same stub serves this process (tree) and
 * a plain `node` child (activation: the bundle loaded without tsx's transform in the way).
 */
const STUB_SOURCE = String.raw`
const disposable = { dispose() {} };
class EventEmitter {
  constructor() { this.listeners = []; this.event = (l) => { this.listeners.push(l); return { dispose: () => { this.listeners = this.listeners.filter((x) => x !== l); } }; }; }
  fire(v) { for (const l of this.listeners) l(v); }
  dispose() { this.listeners = []; }
}
const fsError = (m) => new Error(String(m));
const uri = (scheme, path, authority = '') => ({ scheme, authority, path, fsPath: path, toString: () => scheme + '://' + authority + path, with: (c) => uri(c.scheme ?? scheme, c.path ?? path, c.authority ?? authority) });
const any = () => disposable;
const loose = (target) => new Proxy(target, { get: (t, k) => (k in t ? t[k] : any) });
module.exports = {
  EventEmitter,
  TreeItem: class { constructor(label, collapsibleState) { this.label = label; this.collapsibleState = collapsibleState; } },
  ThemeIcon: class { constructor(id, color) { this.id = id; this.color = color; } },
  ThemeColor: class { constructor(id) { this.id = id; } },
  MarkdownString: class { constructor(value = '') { this.value = value; } appendMarkdown(t) { this.value += t; return this; } },
  FileSystemError: Object.assign(class extends Error {}, { FileNotFound: fsError, FileExists: fsError, FileNotADirectory: fsError, FileIsADirectory: fsError, NoPermissions: fsError, Unavailable: fsError }),
  FileType: { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 },
  FilePermission: { Readonly: 1 },
  FileChangeType: { Changed: 1, Created: 2, Deleted: 3 },
  ViewColumn: { Active: -1, Beside: -2, One: 1 },
  Disposable: Object.assign(class { constructor(cb) { this.cb = cb; } dispose() { this.cb(); } }, { from: (...items) => ({ dispose: () => items.forEach((i) => i.dispose()) }) }),
  Uri: { file: (p) => uri('file', p), parse: (t) => uri(t.split(':')[0], t), joinPath: (b, ...parts) => uri(b.scheme, [b.path, ...parts].join('/')), from: (c) => uri(c.scheme, c.path, c.authority) },
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  QuickPickItemKind: { Separator: -1, Default: 0 },
  EnvironmentVariableMutatorType: { Replace: 1, Append: 2, Prepend: 3 },
  ExtensionMode: { Production: 1, Development: 2, Test: 3 },
  window: loose({
    createOutputChannel: () => ({ info() {}, warn() {}, error() {}, debug() {}, trace() {}, appendLine() {}, dispose() {}, name: 'Checkpoint Lab' }),
    createTreeView: () => ({ onDidChangeSelection: any, onDidChangeVisibility: any, reveal: async () => undefined, dispose() {}, selection: [], visible: false }),
    createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {} }),
    showInformationMessage: async () => undefined,
    showWarningMessage: async () => undefined,
    showErrorMessage: async () => undefined,
    withProgress: async (o, task) => task({ report() {} }, { onCancellationRequested: any }),
  }),
  commands: loose({ registerCommand: any, executeCommand: async () => undefined }),
  workspace: loose({ getConfiguration: () => ({ get: () => undefined }), workspaceFolders: undefined }),
  env: loose({ appName: 'bench' }),
  // namespaces other features register with at activation: every call returns a disposable
  tasks: loose({}),
  languages: loose({}),
  debug: loose({}),
  scm: loose({}),
  extensions: loose({ all: [] }),
  tests: loose({}),
  notebooks: loose({}),
  authentication: loose({}),
  TaskScope: { Global: 1, Workspace: 2 },
  Task: class { constructor(...args) { this.args = args; } },
  ShellExecution: class { constructor(...args) { this.args = args; } },
  CustomExecution: class { constructor(cb) { this.cb = cb; } },
  RelativePattern: class { constructor(base, pattern) { this.base = base; this.pattern = pattern; } },
};
`;

/** The child that loads the bundle and runs activate(): prints JSON timings. */
const ACTIVATION_CHILD = String.raw`
const Module = require('node:module');
const [stubPath, entry, scratch] = process.argv.slice(1);
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return request === 'vscode' ? stubPath : resolveFilename.call(this, request, ...rest); };
const context = {
  subscriptions: [],
  storageUri: { fsPath: scratch + '/workspace' },
  globalStorageUri: { fsPath: scratch + '/global' },
  globalState: { get: () => true, update: async () => undefined },
  workspaceState: { get: () => undefined, update: async () => undefined },
  environmentVariableCollection: { replace() {}, description: '' },
  extensionUri: { fsPath: require('node:path').dirname(require('node:path').dirname(entry)), path: '' },
  extensionPath: require('node:path').dirname(require('node:path').dirname(entry)),
};
const loadStarted = performance.now();
const extension = require(entry);
const loadMs = performance.now() - loadStarted;
const activateStarted = performance.now();
extension.activate(context);
const activateMs = performance.now() - activateStarted;
process.stdout.write(JSON.stringify({ loadMs, activateMs }));
process.exit(0);
`;

function installStub(dir: string): string {
  const stubPath = join(dir, 'vscode-stub.js');
  writeFileSync(stubPath, STUB_SOURCE);
  const internals = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = internals._resolveFilename;
  internals._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? stubPath : original.call(this, request, ...rest);
  };
  return stubPath;
}

class EventEmitter<T> {
  private listeners: Array<(value: T) => void> = [];
  event = (listener: (value: T) => void) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
}

// ------------------------------------------------------------------ data

function makeLab(vmCount: number, checkpointsPerVm: number): { vms: VmInfo[]; checkpoints: CheckpointInfo[] } {
  const vms: VmInfo[] = [];
  const checkpoints: CheckpointInfo[] = [];
  const base = Date.UTC(2026, 10, 21, 12);
  for (let v = 0; v < vmCount; v++) {
    const vmId = `vm-${v}`;
    const own: CheckpointInfo[] = [];
    for (let c = 0; c < checkpointsPerVm; c++) {
      // a chain with a branch every 5th checkpoint
      const parent = c === 0 ? null : own[c % 5 === 0 ? Math.max(0, c - 3) : c - 1];
      own.push({
        Id: `${vmId}-cp-${c}`,
        Name: `vm-${v} - checkpoint ${c}`,
        VMName: `vm-${v}`,
        VMId: vmId,
        ParentSnapshotId: parent?.Id ?? null,
        ParentSnapshotName: parent?.Name ?? null,
        SnapshotType: c % 17 === 0 ? 'Recovery' : 'Standard',
        CheckpointType: c % 3 === 0 ? 'Standard' : 'Production',
        IsAutomatic: c === 0,
        HasSavedState: c % 3 === 0,
        VmState: c % 3 === 0 ? 'Running' : 'Off',
        Status: 'Ok',
        CreationTime: new Date(base + c * 60_000).toISOString(),
        Notes: c % 7 === 0 ? 'a note' : '',
        ExclusiveBytes: 4096 * c,
        SharedBytes: 1024 * 1024,
      });
    }
    checkpoints.push(...own);
    vms.push(
      vmInfoFixture({
        Id: vmId,
        Name: `vm-${v}`,
        State: (['Off', 'Running', 'Paused', 'Saved'] as const)[v % 4],
        ParentCheckpointId: own[own.length - 1]?.Id ?? null,
        ParentCheckpointName: own[own.length - 1]?.Name ?? null,
      }),
    );
  }
  return { vms, checkpoints };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function main(): Promise<Record<string, number>> {
  const scratch = mkdtempSync(join(tmpdir(), 'cl-tree-bench-'));
  const stubPath = installStub(scratch);
  const { VmTreeProvider } = require('../src/tree/provider') as typeof import('../src/tree/provider');
  const data = makeLab(50, 50);
  const source = { listVms: async () => data.vms, listCheckpoints: async () => data.checkpoints };
  const host = { lab: async () => source, onDidChange: new EventEmitter<unknown>().event };
  const times: number[] = [];
  let nodes = 0;
  for (let run = 0; run < 15; run++) {
    const provider = new VmTreeProvider(host);
    const started = performance.now();
    await provider.refresh();
    nodes = 0;
    const walk = async (node?: Parameters<typeof provider.getChildren>[0]): Promise<void> => {
      for (const child of await provider.getChildren(node)) {
        provider.getTreeItem(child);
        nodes++;
        await walk(child);
      }
    };
    await walk();
    times.push(performance.now() - started);
    provider.dispose();
  }
  const treeMs = median(times);
  console.log(
    `tree build, 50 VMs x 50 checkpoints (${nodes} nodes, snapshot + getChildren + getTreeItem), median of 15: ${treeMs.toFixed(1)} ms, ` +
      `first (cold) ${times[0].toFixed(1)} ms (target < 50 ms, ratio ${(treeMs / 50).toFixed(2)})`,
  );

  // activation: the bundle (as VS Code loads it), in a plain node child
  const bundle = resolve(__dirname, '..', 'dist', 'extension.js');
  let activation: { loadMs: number; activateMs: number } | undefined;
  if (existsSync(bundle)) {
    const runs: Array<{ loadMs: number; activateMs: number }> = [];
    for (let run = 0; run < 5; run++) {
      const child = spawnSync(process.execPath, ['-e', ACTIVATION_CHILD, stubPath, bundle, mkdtempSync(join(scratch, 'activation-'))], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`activation child failed: ${child.stderr}`);
      runs.push(JSON.parse(child.stdout));
    }
    activation = { loadMs: median(runs.map((r) => r.loadMs)), activateMs: median(runs.map((r) => r.activateMs)) };
    const total = activation.loadMs + activation.activateMs;
    console.log(
      `activation (dist/extension.js, median of 5): load ${activation.loadMs.toFixed(1)} ms + activate() ${activation.activateMs.toFixed(1)} ms = ${total.toFixed(1)} ms (target < 150 ms, ratio ${(total / 150).toFixed(2)})`,
    );
  } else {
    console.log('activation: dist/extension.js is not built (npm run build); skipped');
  }
  rmSync(scratch, { recursive: true, force: true });
  return { treeMs, nodes, activationLoadMs: activation?.loadMs ?? NaN, activateMs: activation?.activateMs ?? NaN };
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
