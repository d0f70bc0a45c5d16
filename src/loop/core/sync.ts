/**
 * The Dev/UAT loop between a host folder and a folder in a VM's disk, over the engine's
 * facade only (no 'vscode': the CLI's sync-vmfolder and the extension share it).
 *
 * Roll In makes the guest folder equal to the host folder; Roll Out the other way round.
 * Both only move what differs: the host side is found by a stat pass against the
 * manifest (hostScan.ts), the guest side is known from the manifest while nobody else
 * wrote it (tracker.ts), and read only when it is not. Excluded paths are never touched
 * on either side. A Roll In is one engine commit (Lab.editFiles): on any error, or when
 * cancelled, the VM is unchanged. Roll Out checks everything it can before it writes the
 * first host file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ApplyResult, CheckpointInfo, CheckpointRef, GuestFiles, Lab, VmInfo } from '../../engine';
import { normalizeGuestPath, isUnder } from '../../engine/guest/paths';
import { LoopError } from './errors';
import type { ExcludeRules } from './globs';
import { assertHostFolder, scanHost, smudged, type HostScan } from './hostScan';
import {
  contentId,
  type FolderState,
  HASH_LIMIT,
  type HostEntry,
  linkKey,
  type Manifest,
  ManifestStore,
  unknownId,
  versionToken,
} from './manifest';
import { trackerFor } from './tracker';

export interface LinkSpec {
  /** The VM's Id (links keep Ids, which survive renames) or name. */
  vm: string;
  hostPath: string;
  guestPath: string;
  /** Globs with .gitignore semantics. */
  excludes?: readonly string[];
  /** Also honour the folder's .gitignore files. */
  useGitignore?: boolean;
}

export interface HostChanges {
  /** Relative paths of host files Roll Out would overwrite. */
  overwrite: string[];
  /** Relative paths of host files Roll Out would delete. */
  remove: string[];
}

export interface SyncOptions {
  /** Where manifests live; default `<store>/Loop`. */
  manifests?: ManifestStore;
  signal?: AbortSignal;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** A step message for multi-step work ("Rolling out..."). */
  onStep?: (message: string) => void;
  /**
   * Roll Out, before the first host file changes: returns relative paths to leave alone
   * (unsaved editors the user keeps), or throws to cancel (nothing changed).
   */
  beforeHostChanges?: (changes: HostChanges) => Promise<ReadonlySet<string> | void>;
}

export interface SyncResult {
  direction: 'in' | 'out';
  vm: VmInfo;
  hostPath: string;
  guestPath: string;
  /** Relative paths copied (to the guest for Roll In, to the host for Roll Out). */
  written: string[];
  /** Relative paths removed on the receiving side (files and folders). */
  removed: string[];
  /** Relative folders created on the receiving side. */
  createdFolders: string[];
  /** Roll Out: files left alone because beforeHostChanges said so. */
  skipped: string[];
  /** Files already equal on both sides. */
  unchanged: number;
  bytes: number;
  /** True when the guest folder had to be read because the manifest could not vouch for it. */
  guestRead: boolean;
}

interface Prepared {
  lab: Lab;
  vm: VmInfo;
  hostPath: string;
  guestPath: string;
  manifests: ManifestStore;
  manifest: Manifest;
  key: string;
  link: LinkSpec;
}

/** A guest folder a link may name: absolute, below `/`, not in memory (/run). */
export function normalizeLinkGuestPath(guestPath: string): string {
  let normalized: string;
  try {
    normalized = normalizeGuestPath(guestPath);
  } catch (error) {
    throw new LoopError('GuestPathInvalid', (error as Error).message);
  }
  if (normalized === '/') throw new LoopError('GuestPathInvalid', "The guest path must be a folder below '/', such as /srv/app.");
  if (isUnder(normalized, '/run')) throw new LoopError('GuestPathInvalid', `The guest path '${normalized}' is in /run, which is memory; link a folder on the disk.`);
  return normalized;
}

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new LoopError('Cancelled', 'The operation was cancelled.');
}

async function prepare(lab: Lab, link: LinkSpec, options: SyncOptions): Promise<Prepared> {
  const guestPath = normalizeLinkGuestPath(link.guestPath);
  const hostPath = path.resolve(link.hostPath);
  assertHostFolder(hostPath);
  const vm = await lab.getVm(link.vm);
  const manifests = options.manifests ?? ManifestStore.forStore(lab.root);
  const manifest = manifests.load(vm.Id, guestPath, hostPath);
  return { lab, vm, hostPath, guestPath, manifests, manifest, key: linkKey(vm.Id, guestPath, hostPath), link };
}

function assertWritable(vm: VmInfo): void {
  if (vm.State === 'Paused' || vm.State === 'Saved') {
    throw new LoopError('VmNotWritable', `The virtual machine '${vm.Name}' is ${vm.State}; its disks cannot be changed in that state.`);
  }
}

/** What the guest folder holds, when that is known without reading it; null otherwise. */
async function knownGuest(p: Prepared, appliedCheckpointId?: string): Promise<FolderState | null> {
  if (appliedCheckpointId !== undefined) return p.manifests.loadSnapshot(p.manifest, appliedCheckpointId) ?? null;
  const mark = trackerFor(p.lab).mark(p.key);
  if (mark === 'dirty') return null;
  if (mark === 'applied') return p.vm.ParentCheckpointId ? (p.manifests.loadSnapshot(p.manifest, p.vm.ParentCheckpointId) ?? null) : null;
  if (mark === 'clean') return p.manifest.guest;
  // nothing seen in this process, or another process committed: trust the manifest only
  // if nobody wrote into this VM since (commits to other VMs or settings do not count)
  if (!p.manifest.guest || !p.manifest.nowVersion) return null;
  return (await p.lab.nowVersion({ id: p.vm.Id })) === p.manifest.nowVersion ? p.manifest.guest : null;
}

function idOf(data: Uint8Array, file: { size: number; mtimeMs: number; ino: number }): string {
  return data.length <= HASH_LIMIT ? contentId(data) : versionToken(file.size, file.mtimeMs, file.ino);
}

/**
 * Fills the ids of host files whose stat changed: small files are read and hashed (their
 * bytes kept for the copy), big files get a version token without being read.
 */
function identifyHostFiles(root: string, scan: HostScan, signal?: AbortSignal): Map<string, Buffer> {
  const kept = new Map<string, Buffer>();
  for (const [rel, file] of scan.files) {
    if (file.id !== undefined) continue;
    cancelled(signal);
    if (file.size > HASH_LIMIT) {
      // a racy big file could change again under the same token: give it an id that
      // matches nothing, so the next sync copies it once more instead of trusting the stat
      file.id = file.racy ? unknownId() : versionToken(file.size, file.mtimeMs, file.ino);
      continue;
    }
    const data = readHostFile(root, rel);
    file.id = idOf(data, file);
    kept.set(rel, data);
  }
  return kept;
}

function readHostFile(root: string, rel: string): Buffer {
  const abs = path.join(root, rel);
  try {
    return fs.readFileSync(abs);
  } catch (error) {
    throw new LoopError('HostFolderUnreadable', `The file '${abs}' cannot be read: ${(error as Error).message}`);
  }
}

/** Guest-side checks: the linked path is a folder (or missing); a file there is refused. */
async function guestFolderExists(files: GuestFiles, p: Prepared): Promise<boolean> {
  if (!(await files.exists(p.guestPath))) return false;
  const stat = await files.stat(p.guestPath);
  if (stat.Type !== 'Directory') throw new LoopError('GuestPathIsFile', `The guest path '${p.guestPath}' in '${p.vm.Name}' is a file, not a folder.`);
  return true;
}

/**
 * Reads the guest folder (when the manifest cannot vouch for it): every entry, and the
 * content of files whose size matches the host's, to tell equal files from changed ones.
 */
async function readGuestFolder(files: GuestFiles, p: Prepared, rules: ExcludeRules, scan: HostScan, signal?: AbortSignal): Promise<FolderState> {
  const state: FolderState = { files: {}, dirs: [] };
  const visit = async (dirGuest: string, dirRel: string): Promise<void> => {
    const rows = await files.list(dirGuest);
    for (const row of rows) {
      cancelled(signal);
      const name = row.Path.slice(row.Path.lastIndexOf('/') + 1);
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const isDir = row.Type === 'Directory';
      if (rules.excludes(rel, isDir)) continue;
      if (isDir) {
        state.dirs.push(rel);
        await visit(row.Path, rel);
        continue;
      }
      const host = scan.files.get(rel);
      let id = unknownId();
      if (host && host.size === row.Size) {
        const guestData = await files.readFile(row.Path);
        const hostData = readHostFile(p.hostPath, rel);
        if (guestData.equals(hostData)) id = host.id!;
      }
      state.files[rel] = id;
    }
  };
  await visit(p.guestPath, '');
  return state;
}

function excludedFiltered(state: FolderState, rules: ExcludeRules): FolderState {
  const files: Record<string, string> = {};
  for (const [rel, id] of Object.entries(state.files)) if (!rules.excludesPath(rel, false)) files[rel] = id;
  return { files, dirs: state.dirs.filter((rel) => !rules.excludesPath(rel, true)) };
}

function emptyResult(direction: 'in' | 'out', p: Prepared): SyncResult {
  return { direction, vm: p.vm, hostPath: p.hostPath, guestPath: p.guestPath, written: [], removed: [], createdFolders: [], skipped: [], unchanged: 0, bytes: 0, guestRead: false };
}

function guestChild(p: Prepared, rel: string): string {
  return `${p.guestPath}/${rel}`;
}

/** Deepest first, so folders empty before their parents go. */
function deepestFirst(rels: string[]): string[] {
  return [...rels].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1));
}

/** After a sync: the manifest records both sides, and the tracker vouches for the guest. */
function finish(p: Prepared, host: Record<string, HostEntry>, guest: FolderState, save = true): void {
  p.manifest.host = host;
  p.manifest.guest = guest;
  trackerFor(p.lab).arm(p.key, p.vm.Id, p.guestPath);
  if (save) persist(p);
}

/**
 * Saves the manifest in the background, once the engine's coalesced follow-up commit is
 * done, with the store's sequence then: another process trusts the manifest only while
 * that sequence is current. Until then the in-process tracker vouches for the guest.
 */
function persist(p: Prepared): void {
  const manifest = p.manifest;
  void p.manifests.save(manifest, async () => {
    manifest.nowVersion = await p.lab.nowVersion({ id: p.vm.Id }); // the usage commit does not move it
    await p.lab.listVms(); // waits for the engine's usage commit
    const vm = await p.lab.getVm({ id: p.vm.Id });
    manifest.storeSequence = p.lab.commitSequence;
    manifest.parentCheckpointId = vm.ParentCheckpointId;
  });
  // files of VMs and checkpoints deleted since (by this process or another) go
  p.manifests.pruneLater(async () => {
    const live = new Map<string, Set<string>>();
    for (const vm of await p.lab.listVms()) live.set(vm.Id, new Set());
    for (const checkpoint of await p.lab.listCheckpoints()) live.get(checkpoint.VMId)?.add(checkpoint.Id);
    return live;
  });
}

function hostEntries(scan: HostScan): Record<string, HostEntry> {
  const out: Record<string, HostEntry> = {};
  for (const [rel, file] of scan.files) {
    const entry = { size: file.size, mtimeMs: file.mtimeMs, ino: file.ino, id: file.id! };
    out[rel] = file.racy ? smudged(entry) : entry;
  }
  return out;
}

// ------------------------------------------------------------------ Roll In

async function rollInPrepared(p: Prepared, options: SyncOptions, save = true): Promise<SyncResult> {
  assertWritable(p.vm);
  const scan = scanHost(p.hostPath, p.manifest.host, { excludes: p.link.excludes ?? [], useGitignore: p.link.useGitignore === true });
  cancelled(options.signal);
  const kept = identifyHostFiles(p.hostPath, scan, options.signal);
  const known = await knownGuest(p);
  const result = emptyResult('in', p);
  result.guestRead = known === null;

  const plan = (guest: FolderState) => {
    const g = excludedFiltered(guest, scan.rules);
    const hostDirs = new Set(scan.dirs);
    const guestDirs = new Set(g.dirs);
    const removeFiles = Object.keys(g.files).filter((rel) => !scan.files.has(rel));
    const removeDirs = deepestFirst(g.dirs.filter((rel) => !hostDirs.has(rel)));
    const mkdirs = scan.dirs.filter((rel) => !guestDirs.has(rel));
    const writes: string[] = [];
    for (const [rel, file] of scan.files) {
      if (g.files[rel] === file.id) result.unchanged++;
      else writes.push(rel);
    }
    return { removeFiles, removeDirs, mkdirs, writes };
  };

  const apply = async (files: GuestFiles, steps: ReturnType<typeof plan>, exists: boolean): Promise<void> => {
    const total = steps.writes.reduce((sum, rel) => sum + scan.files.get(rel)!.size, 0);
    let done = 0;
    for (const rel of steps.removeFiles) {
      cancelled(options.signal);
      await files.remove(guestChild(p, rel));
      result.removed.push(rel);
    }
    for (const rel of steps.removeDirs) {
      cancelled(options.signal);
      const guestPath = guestChild(p, rel);
      if (!(await files.exists(guestPath))) continue;
      // never recursive: a folder still holding excluded files stays
      if ((await files.list(guestPath)).length > 0) continue;
      await files.remove(guestPath);
      result.removed.push(rel);
    }
    if (!exists) await files.mkdir(p.guestPath, { parents: true });
    for (const rel of steps.mkdirs) {
      cancelled(options.signal);
      await files.mkdir(guestChild(p, rel), { parents: true });
      result.createdFolders.push(rel);
    }
    options.onProgress?.(0, total);
    for (const rel of steps.writes) {
      cancelled(options.signal);
      const data = kept.get(rel) ?? readHostFile(p.hostPath, rel);
      const file = scan.files.get(rel)!;
      if (data.length !== file.size) {
        // changed again since the scan: take what is there now, under a fresh id
        file.size = data.length;
        file.id = unknownId();
      }
      await files.writeFile(guestChild(p, rel), data, { createParents: true });
      kept.delete(rel);
      result.written.push(rel);
      result.bytes += data.length;
      done += data.length;
      options.onProgress?.(done, total);
    }
  };

  if (known) {
    const steps = plan(known);
    const nothing = steps.removeFiles.length + steps.removeDirs.length + steps.mkdirs.length + steps.writes.length === 0;
    if (!nothing) {
      await p.lab.editFiles(
        p.vm.Id,
        async (files) => {
          const exists = await guestFolderExists(files, p);
          await apply(files, steps, exists);
        },
        { signal: options.signal },
      );
    }
  } else {
    await p.lab.editFiles(
      p.vm.Id,
      async (files) => {
        const exists = await guestFolderExists(files, p);
        const guest = exists ? await readGuestFolder(files, p, scan.rules, scan, options.signal) : { files: {}, dirs: [] };
        await apply(files, plan(guest), exists);
      },
      { signal: options.signal },
    );
  }
  const guestFiles: Record<string, string> = {};
  for (const [rel, file] of scan.files) guestFiles[rel] = file.id!;
  finish(p, hostEntries(scan), { files: guestFiles, dirs: scan.dirs }, save);
  return result;
}

/** Roll In: the guest folder becomes what the host folder holds (one commit; nothing on error). */
export async function rollIn(lab: Lab, link: LinkSpec, options: SyncOptions = {}): Promise<SyncResult> {
  const p = await prepare(lab, link, options);
  try {
    return await rollInPrepared(p, options);
  } catch (error) {
    throw cancellation(error, options.signal);
  }
}

export interface RollInAndCheckpointResult {
  sync: SyncResult;
  checkpoint: CheckpointInfo;
  notice?: string;
}

/** Roll In, then a checkpoint (R1-R10) that remembers what the folder held, for Apply and Roll Out. */
export async function rollInAndCheckpoint(lab: Lab, link: LinkSpec, options: SyncOptions & { checkpointName?: string } = {}): Promise<RollInAndCheckpointResult> {
  const p = await prepare(lab, link, options);
  // refuse a checkpoint that cannot be taken before anything is rolled in
  if (p.vm.CheckpointType === 'Disabled') {
    throw new LoopError('VmNotWritable', `Checkpoint operation failed. Checkpoints have been disabled for '${p.vm.Name}'.`);
  }
  let sync: SyncResult;
  try {
    sync = await rollInPrepared(p, options, false);
  } catch (error) {
    throw cancellation(error, options.signal);
  }
  options.onStep?.('Taking a checkpoint...');
  const taken = await lab.checkpoint({ id: p.vm.Id }, options.checkpointName === undefined ? {} : { name: options.checkpointName });
  p.manifests.saveSnapshot(p.manifest, taken.checkpoint.Id, p.manifest.guest!);
  persist(p);
  return { sync, checkpoint: taken.checkpoint, ...(taken.notice ? { notice: taken.notice } : {}) };
}

// ------------------------------------------------------------------ Roll Out

async function rollOutPrepared(p: Prepared, options: SyncOptions, appliedCheckpointId?: string): Promise<SyncResult> {
  const scan = scanHost(p.hostPath, p.manifest.host, { excludes: p.link.excludes ?? [], useGitignore: p.link.useGitignore === true });
  cancelled(options.signal);
  identifyHostFiles(p.hostPath, scan, options.signal);
  const result = emptyResult('out', p);
  let guest = await knownGuest(p, appliedCheckpointId);
  result.guestRead = guest === null;
  if (guest === null) {
    guest = await p.lab.editFiles(p.vm.Id, async (files) => {
      if (!(await guestFolderExists(files, p))) throw new LoopError('GuestFolderMissing', `The guest folder '${p.guestPath}' does not exist in '${p.vm.Name}'.`);
      return readGuestFolder(files, p, scan.rules, scan, options.signal);
    });
  }
  const g = excludedFiltered(guest, scan.rules);
  const guestDirs = new Set(g.dirs);
  const hostDirs = new Set(scan.dirs);
  const fetch = Object.keys(g.files).filter((rel) => scan.files.get(rel)?.id !== g.files[rel]);
  const removeFiles = [...scan.files.keys()].filter((rel) => !(rel in g.files));
  const mkdirs = g.dirs.filter((rel) => !hostDirs.has(rel));
  const removeDirs = deepestFirst(scan.dirs.filter((rel) => !guestDirs.has(rel)));
  result.unchanged = Object.keys(g.files).length - fetch.length;

  const overwrite = fetch.filter((rel) => scan.files.has(rel));
  const skip = (overwrite.length + removeFiles.length > 0 && (await options.beforeHostChanges?.({ overwrite, remove: removeFiles }))) || new Set<string>();
  cancelled(options.signal);

  // read every guest file first: a failure here changes nothing on the host
  const wanted = fetch.filter((rel) => !skip.has(rel));
  const contents = new Map<string, Buffer>();
  if (wanted.length > 0) {
    const total = wanted.length;
    await p.lab.editFiles(p.vm.Id, async (files) => {
      for (const rel of wanted) {
        cancelled(options.signal);
        contents.set(rel, await files.readFile(guestChild(p, rel)));
        options.onProgress?.(contents.size, total * 2);
      }
    });
  }
  // host folders that a guest file replaces must not be in the way
  for (const rel of wanted) {
    const abs = path.join(p.hostPath, rel);
    if (hostDirs.has(rel) && !removeDirs.includes(rel)) throw new LoopError('HostFolderUnreadable', `'${abs}' is a folder on the host but a file in '${p.vm.Name}'.`);
  }

  const host = hostEntries(scan);
  const guestState: FolderState = { files: { ...g.files }, dirs: g.dirs };
  for (const rel of removeFiles) {
    if (skip.has(rel)) continue;
    fs.rmSync(path.join(p.hostPath, rel), { force: true });
    delete host[rel];
    result.removed.push(rel);
  }
  for (const rel of removeDirs) {
    try {
      fs.rmdirSync(path.join(p.hostPath, rel)); // only when empty: excluded files stay
      result.removed.push(rel);
    } catch {
      // still holds excluded or skipped files
    }
  }
  for (const rel of mkdirs) {
    fs.mkdirSync(path.join(p.hostPath, rel), { recursive: true });
    result.createdFolders.push(rel);
  }
  let done = 0;
  for (const rel of wanted) {
    const data = contents.get(rel)!;
    const abs = path.join(p.hostPath, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, data);
    const stat = fs.statSync(abs);
    let id = g.files[rel];
    if (id.startsWith('?') || id.startsWith('~')) {
      id = idOf(data, stat);
      guestState.files[rel] = id;
    }
    // just written, so racy: small files are hashed again next time; a big file keeps its
    // token (only a writer racing this Roll Out within one timestamp tick could fool it)
    const entry = { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, id };
    host[rel] = data.length > HASH_LIMIT ? entry : smudged(entry);
    result.written.push(rel);
    result.bytes += data.length;
    done++;
    options.onProgress?.(wanted.length + done, wanted.length * 2);
  }
  for (const rel of fetch) if (skip.has(rel)) result.skipped.push(rel);
  for (const rel of removeFiles) if (skip.has(rel)) result.skipped.push(rel);
  finish(p, host, guestState);
  return result;
}

/** Roll Out: the host folder becomes what the guest folder holds (excluded paths untouched). */
export async function rollOut(lab: Lab, link: LinkSpec, options: SyncOptions = {}): Promise<SyncResult> {
  const p = await prepare(lab, link, options);
  try {
    return await rollOutPrepared(p, options);
  } catch (error) {
    throw cancellation(error, options.signal);
  }
}

export interface ApplyAndRollOutResult {
  apply: ApplyResult;
  sync: SyncResult;
}

/** Apply (R11-R13), then Roll Out of what the checkpoint holds. */
export async function applyAndRollOut(
  lab: Lab,
  link: LinkSpec,
  checkpoint: CheckpointRef,
  options: SyncOptions & { checkpointFirst?: boolean } = {},
): Promise<ApplyAndRollOutResult> {
  const p = await prepare(lab, link, options);
  const target = await lab.getCheckpoint({ id: p.vm.Id }, checkpoint);
  const before = await knownGuest(p);
  const apply = await lab.apply({ id: p.vm.Id }, { id: target.Id }, { checkpointFirst: options.checkpointFirst === true });
  // the checkpoint taken first holds the folder as it was: remember it when known
  if (apply.checkpointTaken && before) p.manifests.saveSnapshot(p.manifest, apply.checkpointTaken.Id, before);
  const after = { ...p, vm: apply.vm };
  options.onStep?.('Rolling out...');
  try {
    const sync = await rollOutPrepared(after, options, target.Id);
    return { apply, sync };
  } catch (error) {
    throw cancellation(error, options.signal);
  }
}

/** Revert (Apply of ParentCheckpoint), then Roll Out. */
export async function revertAndRollOut(lab: Lab, link: LinkSpec, options: SyncOptions & { checkpointFirst?: boolean } = {}): Promise<ApplyAndRollOutResult> {
  const vm = await lab.getVm(link.vm);
  if (vm.ParentCheckpointId === null) {
    await lab.revert({ id: vm.Id }); // throws R13's "'<VM>' has no checkpoint to revert to."
  }
  return applyAndRollOut(lab, { ...link, vm: vm.Id }, { id: vm.ParentCheckpointId! }, options);
}

function cancellation(error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted && !(error instanceof LoopError && error.code === 'Cancelled')) return new LoopError('Cancelled', 'The operation was cancelled.');
  return error;
}
