/**
 * The persisted manifest of a linked folder, kept as git keeps its index, so that neither
 * side is walked whole when little changed:
 * - `host`: every file of the folder (not excluded) with the size, mtime and inode seen at
 *   the last sync and its content id. A file whose stat is unchanged is not read again.
 * - `guest`: the content ids the VM's folder holds, and the token that says whether that
 *   is still true (the store's commit sequence after the sync, see GuestTracker).
 * - one snapshot per checkpoint taken right after a sync (`Roll In and Checkpoint`): what
 *   the folder held in that checkpoint, so `Apply and Roll Out` knows the guest without
 *   reading it.
 * Manifests live in `<store>/Loop/` (shared by the extension and the CLI, keyed by VM,
 * guest path and host folder), with their own extension so the store's verification,
 * which checks its `.json` metadata, leaves them alone.
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
  /** The store's commit sequence right after the last sync: unchanged means the guest is unchanged. */
  storeSequence: number | null;
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
  return { format: MANIFEST_FORMAT, vmId, guestPath, hostPath: path.resolve(hostPath), host: {}, guest: null, storeSequence: null, parentCheckpointId: null, updated: new Date(0).toISOString() };
}

/** Manifests and checkpoint snapshots of one store. */
export class ManifestStore {
  constructor(readonly dir: string) {}

  static forStore(storeRoot: string): ManifestStore {
    return new ManifestStore(path.join(storeRoot, LOOP_DIR));
  }

  private file(key: string): string {
    return path.join(this.dir, `${key}${MANIFEST_EXT}`);
  }

  private snapshotFile(key: string, checkpointId: string): string {
    return path.join(this.dir, key, `${checkpointId.toLowerCase()}${SNAPSHOT_EXT}`);
  }

  /** The manifest, or an empty one when missing or unreadable (a damaged manifest only costs a full sync). */
  load(vmId: string, guestPath: string, hostPath: string): Manifest {
    const key = linkKey(vmId, guestPath, hostPath);
    try {
      const data = JSON.parse(fs.readFileSync(this.file(key), 'utf8')) as Manifest;
      if (data?.format === MANIFEST_FORMAT && data.vmId === vmId && data.guestPath === guestPath && typeof data.host === 'object') return data;
    } catch {
      // missing or damaged: start over
    }
    return emptyManifest(vmId, guestPath, hostPath);
  }

  save(manifest: Manifest): void {
    manifest.updated = new Date().toISOString();
    writeAtomic(this.file(linkKey(manifest.vmId, manifest.guestPath, manifest.hostPath)), JSON.stringify(manifest));
  }

  saveSnapshot(manifest: Manifest, checkpointId: string, state: FolderState): void {
    writeAtomic(this.snapshotFile(linkKey(manifest.vmId, manifest.guestPath, manifest.hostPath), checkpointId), JSON.stringify(state));
  }

  loadSnapshot(manifest: Manifest, checkpointId: string): FolderState | undefined {
    try {
      const data = JSON.parse(fs.readFileSync(this.snapshotFile(linkKey(manifest.vmId, manifest.guestPath, manifest.hostPath), checkpointId), 'utf8')) as FolderState;
      if (data && typeof data.files === 'object' && Array.isArray(data.dirs)) return data;
    } catch {
      // no snapshot for this checkpoint
    }
    return undefined;
  }
}

function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * The store's commit sequence (lab.seq: u64 LE, crc32, "CLSQ"), read without the lock.
 * The facade has no getter for it (see the note); null when unreadable.
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
