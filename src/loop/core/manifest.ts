/**
 * The persisted manifest of a linked folder, kept as git keeps its index, so that neither
 * side is walked whole when little changed:
 * - `host`: every file of the folder (not excluded) with the size, mtime and inode seen at
 *   the last sync and its content id. A file whose stat is unchanged is not read again.
 * - `guest`: the content ids the VM's folder holds, and the token that says whether that
 *   is still true (the VM's Now version after the sync, Lab.nowVersion; see GuestTracker).
 * - one snapshot per checkpoint taken right after a sync (`Roll In and Checkpoint`): what
 *   the folder held in that checkpoint, so `Apply and Roll Out` knows the guest without
 *   reading it.
 * Manifests live in `<store>/Loop/<VM Id>/` (shared by the extension and the CLI, keyed by
 * VM, guest path and host folder), with their own extension so the store's verification,
 * which checks its `.json` metadata, leaves them alone. prune() removes what belongs to
 * VMs and checkpoints that are gone.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MANIFEST_FORMAT = 1;
export const LOOP_DIR = 'Loop';
const MANIFEST_EXT = '.manifest';
const SNAPSHOT_EXT = '.snapshot';

/** Files up to this size get a content hash; bigger ones a stat token (hashing 200 MB costs more than it saves). */
export const HASH_LIMIT = 8 * 1024 * 1024;

export interface HostEntry {
  size: number;
  mtimeMs: number;
  ino: number;
  /** Content id: a hash (small files) or a version token (big files); equal ids mean equal content. */
  id: string;
}

/** What a folder holds, by relative path: file content ids, and the folders. */
export interface FolderState {
  files: Record<string, string>;
  dirs: string[];
}

export interface Manifest {
  format: number;
  vmId: string;
  guestPath: string;
  hostPath: string;
  host: Record<string, HostEntry>;
  /** What the guest folder holds, or null when unknown (never synced, or a sync failed midway). */
  guest: FolderState | null;
  /** The store's commit sequence right after the last sync (Lab.commitSequence). */
  storeSequence: number | null;
  /**
   * The VM's Now version right after the last sync (Lab.nowVersion): unchanged means nobody
   * wrote into this VM since, whatever else the store saw. Absent in older manifests.
   */
  nowVersion?: string | null;
  /** ParentCheckpointId of the VM right after the last sync. */
  parentCheckpointId: string | null;
  updated: string;
}

export function contentId(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('base64url').slice(0, 27);
}

/** The id of a file too big to hash: unique to this version of the file on the host. */
export function versionToken(size: number, mtimeMs: number, ino: number): string {
  return `~${size}.${Math.round(mtimeMs * 1000)}.${ino}`;
}

/** A fresh id that matches nothing (content known to differ, or not known). */
export function unknownId(): string {
  return `?${randomUUID()}`;
}

export function linkKey(vmId: string, guestPath: string, hostPath: string): string {
  return createHash('sha256').update(`${vmId.toLowerCase()}\0${guestPath}\0${path.resolve(hostPath)}`).digest('hex').slice(0, 24);
}

export function emptyManifest(vmId: string, guestPath: string, hostPath: string): Manifest {
  return { format: MANIFEST_FORMAT, vmId, guestPath, hostPath: path.resolve(hostPath), host: {}, guest: null, storeSequence: null, nowVersion: null, parentCheckpointId: null, updated: new Date(0).toISOString() };
}

/**
 * Manifests and checkpoint snapshots of one store. Loads are cached in memory (checked
 * against the file's mtime and size), and saves are written in the background: a lost or
 * late manifest only costs a full comparison later, because a manifest is trusted only
 * when the VM's Now version it recorded is still current (see knownGuest in sync.ts).
 * flush() waits for pending writes (the CLI calls it before it exits).
 */
export class ManifestStore {
  private static readonly cache = new Map<string, { mtimeMs: number; size: number; manifest: Manifest }>();
  private static readonly pending = new Map<string, Promise<void>>();
  private static readonly snapshots = new Map<string, FolderState>();

  constructor(readonly dir: string) {}

  static forStore(storeRoot: string): ManifestStore {
    return new ManifestStore(path.join(storeRoot, LOOP_DIR));
  }

  /** Waits for every background write of every store. */
  static async flush(): Promise<void> {
    while (ManifestStore.pending.size > 0) await Promise.all([...ManifestStore.pending.values()]);
  }

  private vmDir(vmId: string): string {
    return path.join(this.dir, vmId.toLowerCase());
  }

  private file(manifest: { vmId: string; guestPath: string; hostPath: string }): string {
    return path.join(this.vmDir(manifest.vmId), `${linkKey(manifest.vmId, manifest.guestPath, manifest.hostPath)}${MANIFEST_EXT}`);
  }

  private snapshotFile(manifest: Manifest, checkpointId: string): string {
    return path.join(this.vmDir(manifest.vmId), linkKey(manifest.vmId, manifest.guestPath, manifest.hostPath), `${checkpointId.toLowerCase()}${SNAPSHOT_EXT}`);
  }

  /**
   * Removes the loop's files of VMs that no longer exist, and snapshots of checkpoints that
   * no longer exist; `live` lists each VM Id with its checkpoint Ids. Files of the first
   * layout (directly in Loop/) go too: they only cost one full comparison. The folders are
   * read before `live` is asked, so a file saved meanwhile (for a VM or checkpoint the
   * answer may not know yet) is never a candidate. Never throws.
   */
  async prune(live: () => Promise<ReadonlyMap<string, ReadonlySet<string>>>): Promise<void> {
    const candidates: Array<{ path: string; vm: string; checkpoint?: string }> = [];
    for (const entry of readdirOrEmpty(this.dir)) {
      const at = path.join(this.dir, entry.name);
      candidates.push({ path: at, vm: entry.isDirectory() ? entry.name : '' });
      if (!entry.isDirectory()) continue;
      for (const link of readdirOrEmpty(at)) {
        if (!link.isDirectory()) continue;
        for (const snapshot of readdirOrEmpty(path.join(at, link.name))) {
          if (snapshot.name.endsWith(SNAPSHOT_EXT)) candidates.push({ path: path.join(at, link.name, snapshot.name), vm: entry.name, checkpoint: snapshot.name.slice(0, -SNAPSHOT_EXT.length) });
        }
      }
    }
    if (candidates.length === 0) return;
    let known: ReadonlyMap<string, ReadonlySet<string>>;
    try {
      known = await live();
    } catch {
      return;
    }
    const vms = new Map([...known].map(([vmId, checkpoints]) => [vmId.toLowerCase(), new Set([...checkpoints].map((id) => id.toLowerCase()))]));
    for (const candidate of candidates) {
      const checkpoints = vms.get(candidate.vm);
      const gone = !checkpoints || (candidate.checkpoint !== undefined && !checkpoints.has(candidate.checkpoint));
      if (!gone || ManifestStore.pending.has(candidate.path)) continue;
      try {
        fs.rmSync(candidate.path, { recursive: true, force: true });
      } catch {
        // left for the next prune
      }
    }
  }

  /** prune() in the background, one at a time per store; flush() waits for it. */
  pruneLater(live: () => Promise<ReadonlyMap<string, ReadonlySet<string>>>): void {
    const key = `${this.dir}${path.sep}#prune`;
    if (ManifestStore.pending.has(key)) return;
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.prune(live))
      .finally(() => ManifestStore.pending.delete(key));
    ManifestStore.pending.set(key, run);
  }

  /** The manifest, or an empty one when missing or unreadable (a damaged manifest only costs a full sync). */
  load(vmId: string, guestPath: string, hostPath: string): Manifest {
    const file = this.file({ vmId, guestPath, hostPath });
    try {
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      const cached = ManifestStore.cache.get(file);
      if (cached && (ManifestStore.pending.has(file) || (stat && stat.mtimeMs === cached.mtimeMs && stat.size === cached.size))) return cached.manifest;
      if (stat) {
        const data = decodeManifest(fs.readFileSync(file, 'utf8'));
        if (data && data.vmId === vmId && data.guestPath === guestPath) {
          ManifestStore.cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, manifest: data });
          return data;
        }
      }
    } catch {
      // damaged: start over
    }
    return emptyManifest(vmId, guestPath, hostPath);
  }

  /** Saves in the background (see the class comment); `prepare` runs first (e.g. waits for the store to settle). */
  save(manifest: Manifest, prepare?: () => Promise<void>): Promise<void> {
    manifest.updated = new Date().toISOString();
    const file = this.file(manifest);
    ManifestStore.cache.set(file, { mtimeMs: -1, size: -1, manifest });
    const previous = ManifestStore.pending.get(file) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (prepare) await prepare();
        if (ManifestStore.cache.get(file)?.manifest !== manifest) return; // a newer save follows
        writeAtomic(file, encodeManifest(manifest));
        const stat = fs.statSync(file);
        ManifestStore.cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, manifest });
      })
      .catch(() => {
        // not saved: the next sync compares more, nothing is wrong
        ManifestStore.cache.delete(file);
      })
      .finally(() => {
        if (ManifestStore.pending.get(file) === next) ManifestStore.pending.delete(file);
      });
    ManifestStore.pending.set(file, next);
    return next;
  }

  /** What the folder held in a checkpoint (written in the background, served from memory until then). */
  saveSnapshot(manifest: Manifest, checkpointId: string, state: FolderState): void {
    const file = this.snapshotFile(manifest, checkpointId);
    ManifestStore.snapshots.set(file, state);
    const write = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => writeAtomic(file, JSON.stringify(state)))
      .catch(() => undefined)
      .finally(() => {
        ManifestStore.snapshots.delete(file);
        if (ManifestStore.pending.get(file) === write) ManifestStore.pending.delete(file);
      });
    ManifestStore.pending.set(file, write);
  }

  loadSnapshot(manifest: Manifest, checkpointId: string): FolderState | undefined {
    const file = this.snapshotFile(manifest, checkpointId);
    const pending = ManifestStore.snapshots.get(file);
    if (pending) return pending;
    try {
      const data = JSON.parse(fs.readFileSync(file, 'utf8')) as FolderState;
      if (data && typeof data.files === 'object' && Array.isArray(data.dirs)) return data;
    } catch {
      // no snapshot for this checkpoint
    }
    return undefined;
  }
}

/** On disk: host entries as arrays, and the guest as `"host"` when it holds exactly the host's files. */
function encodeManifest(manifest: Manifest): string {
  const host: Record<string, [number, number, number, string]> = {};
  let same = manifest.guest !== null;
  for (const [rel, e] of Object.entries(manifest.host)) {
    host[rel] = [e.size, e.mtimeMs, e.ino, e.id];
    if (same && manifest.guest!.files[rel] !== e.id) same = false;
  }
  if (same && Object.keys(manifest.guest!.files).length !== Object.keys(manifest.host).length) same = false;
  return JSON.stringify({ ...manifest, host, guest: same ? { sameAsHost: true, dirs: manifest.guest!.dirs } : manifest.guest });
}

function decodeManifest(text: string): Manifest | undefined {
  const raw = JSON.parse(text) as Omit<Manifest, 'host' | 'guest'> & { host: Record<string, [number, number, number, string]>; guest: FolderState | { sameAsHost: true; dirs: string[] } | null };
  if (raw?.format !== MANIFEST_FORMAT || typeof raw.host !== 'object') return undefined;
  const host: Record<string, HostEntry> = {};
  const ids: Record<string, string> = {};
  for (const [rel, [size, mtimeMs, ino, id]] of Object.entries(raw.host)) {
    host[rel] = { size, mtimeMs, ino, id };
    ids[rel] = id;
  }
  const guest = raw.guest === null ? null : 'sameAsHost' in raw.guest ? { files: ids, dirs: raw.guest.dirs } : raw.guest;
  return { ...raw, host, guest };
}

function readdirOrEmpty(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * The store's commit sequence (lab.seq: u64 LE, crc32, "CLSQ"), read without the lock;
 * null when unreadable. Kept for callers outside the loop: the loop uses Lab.commitSequence
 * and Lab.nowVersion.
 */
export function readStoreSequence(storeRoot: string): number | null {
  try {
    const bytes = fs.readFileSync(path.join(storeRoot, 'lab.seq'));
    if (bytes.length < 16 || bytes.toString('latin1', 12, 16) !== 'CLSQ') return null;
    return Number(bytes.readBigUInt64LE(0));
  } catch {
    return null;
  }
}
