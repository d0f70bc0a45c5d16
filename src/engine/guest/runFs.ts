/**
 * RunFs: the memory of a Running, Paused or Saved VM, seen as a RAM file system at
 * /run (lab rule, like Linux tmpfs) plus the boot id and uptime.
 *
 * It is a plain in-process tree because it must die with Turn Off/Shut Down and travel
 * whole with Save and Standard checkpoints: the engine serializes it to the VM's or the
 * checkpoint's .vmrs file. The serialized form is versioned and ends with a SHA-256 of
 * everything before it, so a truncated or hand-edited .vmrs is reported, never half-read.
 *
 * Uptime counts only while the VM runs: the engine calls stopClock() on Pause and Save
 * and startClock() on Resume and Start; a serialized RunFs keeps the uptime it had.
 */
import { createHash, randomUUID } from 'crypto';
import { GuestError, guestErrors } from './errors';
import { joinGuestPath, normalizeGuestPath, parentOf, splitGuestPath } from './paths';
import type { GuestEntry, GuestEntryType, GuestStat } from './guestFs';

const MAGIC = 'CLABVMRS';
export const RUN_FORMAT_VERSION = 1;

interface RunNode {
  type: 'File' | 'Directory';
  data?: Buffer;
  children?: Map<string, RunNode>;
  mtimeMs: number;
  ino: number;
}

interface SerializedEntry {
  path: string;
  type: 'File' | 'Directory';
  mtimeMs: number;
  offset?: number;
  size?: number;
}

interface SerializedHeader {
  bootId: string;
  uptimeMs: number;
  savedAtMs: number;
  entries: SerializedEntry[];
}

export class RunStateError extends GuestError {
  constructor(source: string, problem: string) {
    super('RunStateDamaged', `The memory state ${source} is damaged: ${problem}.`);
  }
}

export class RunFs {
  private root: RunNode;
  private nextIno = 2;
  private uptimeBeforeMs: number;
  private runningSinceMs: number | null;
  label: string;

  private constructor(
    readonly bootId: string,
    uptimeMs: number,
    runningSinceMs: number | null,
    label: string,
  ) {
    this.uptimeBeforeMs = uptimeMs;
    this.runningSinceMs = runningSinceMs;
    this.label = label;
    this.root = this.node('Directory', Date.now());
  }

  /** A fresh boot: new boot id, empty /run, uptime 0 and counting. */
  static boot(options: { label?: string; now?: number; bootId?: string } = {}): RunFs {
    const now = options.now ?? Date.now();
    return new RunFs(options.bootId ?? randomUUID(), 0, now, options.label ?? 'the guest');
  }

  private node(type: 'File' | 'Directory', mtimeMs: number, data?: Buffer): RunNode {
    return type === 'Directory'
      ? { type, children: new Map(), mtimeMs, ino: this.nextIno++ }
      : { type, data: data ?? Buffer.alloc(0), mtimeMs, ino: this.nextIno++ };
  }

  get running(): boolean {
    return this.runningSinceMs !== null;
  }

  uptimeMs(now = Date.now()): number {
    return this.uptimeBeforeMs + (this.runningSinceMs === null ? 0 : Math.max(0, now - this.runningSinceMs));
  }

  /** Pause or Save: the clock stops. */
  stopClock(now = Date.now()): void {
    this.uptimeBeforeMs = this.uptimeMs(now);
    this.runningSinceMs = null;
  }

  /** Start (from Saved) or Resume: the clock runs again. */
  startClock(now = Date.now()): void {
    if (this.runningSinceMs === null) this.runningSinceMs = now;
  }

  // ---- file operations (paths are relative to /run: '/' is /run itself) ----

  private lookup(p: string): RunNode | undefined {
    let node: RunNode | undefined = this.root;
    for (const part of splitGuestPath(p)) {
      if (!node || node.type !== 'Directory') return undefined;
      node = node.children!.get(part);
    }
    return node;
  }

  private show(p: string): string {
    return p === '/' ? '/run' : `/run${p}`;
  }

  private dirOrThrow(p: string, createParents: boolean, now: number): RunNode {
    let node = this.root;
    let at = '/';
    for (const part of splitGuestPath(p)) {
      at = joinGuestPath(at, part);
      let next = node.children!.get(part);
      if (!next) {
        if (!createParents) throw guestErrors.notFound(this.label, this.show(at));
        next = this.node('Directory', now);
        node.children!.set(part, next);
        node.mtimeMs = now;
      }
      if (next.type !== 'Directory') throw guestErrors.notADirectory(this.label, this.show(at));
      node = next;
    }
    return node;
  }

  stat(path: string): GuestStat | undefined {
    const p = normalizeGuestPath(path);
    const node = this.lookup(p);
    if (!node) return undefined;
    const name = p === '/' ? 'run' : p.slice(p.lastIndexOf('/') + 1);
    return {
      path: this.show(p),
      name,
      type: node.type as GuestEntryType,
      size: node.type === 'File' ? node.data!.length : 0,
      mtime: new Date(node.mtimeMs),
      ino: node.ino,
      mode: node.type === 'File' ? 0o644 : 0o755,
    };
  }

  readFile(path: string): Buffer {
    const p = normalizeGuestPath(path);
    const node = this.lookup(p);
    if (!node) throw guestErrors.notFound(this.label, this.show(p));
    if (node.type === 'Directory') throw guestErrors.isADirectory(this.label, this.show(p));
    return Buffer.from(node.data!);
  }

  writeFile(path: string, data: Uint8Array | string, options: { createParents?: boolean } = {}, now = Date.now()): void {
    const p = normalizeGuestPath(path);
    if (p === '/') throw guestErrors.isADirectory(this.label, '/run');
    const dir = this.dirOrThrow(parentOf(p), options.createParents ?? false, now);
    const name = p.slice(p.lastIndexOf('/') + 1);
    const existing = dir.children!.get(name);
    if (existing?.type === 'Directory') throw guestErrors.isADirectory(this.label, this.show(p));
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    if (existing) {
      existing.data = bytes;
      existing.mtimeMs = now;
    } else {
      dir.children!.set(name, this.node('File', now, bytes));
      dir.mtimeMs = now;
    }
  }

  mkdir(path: string, options: { parents?: boolean } = {}, now = Date.now()): void {
    const p = normalizeGuestPath(path);
    const existing = this.lookup(p);
    if (existing) {
      if (options.parents && existing.type === 'Directory') return;
      throw guestErrors.exists(this.label, this.show(p));
    }
    if (options.parents) {
      this.dirOrThrow(p, true, now);
      return;
    }
    const dir = this.dirOrThrow(parentOf(p), false, now);
    dir.children!.set(p.slice(p.lastIndexOf('/') + 1), this.node('Directory', now));
    dir.mtimeMs = now;
  }

  remove(path: string, options: { recursive?: boolean } = {}, now = Date.now()): void {
    const p = normalizeGuestPath(path);
    if (p === '/') throw new GuestError('GuestPathInvalid', `The folder '/run' of ${this.label} cannot be removed.`, '/run');
    const node = this.lookup(p);
    if (!node) throw guestErrors.notFound(this.label, this.show(p));
    if (node.type === 'Directory' && node.children!.size > 0 && !options.recursive) throw guestErrors.notEmpty(this.label, this.show(p));
    const dir = this.lookup(parentOf(p))!;
    dir.children!.delete(p.slice(p.lastIndexOf('/') + 1));
    dir.mtimeMs = now;
  }

  rename(from: string, to: string, options: { overwrite?: boolean } = {}, now = Date.now()): void {
    const a = normalizeGuestPath(from);
    const b = normalizeGuestPath(to);
    const node = this.lookup(a);
    if (!node) throw guestErrors.notFound(this.label, this.show(a));
    if (a === b) return;
    if (a === '/' || b === '/' || b.startsWith(`${a}/`)) {
      throw new GuestError('GuestPathInvalid', `'${this.show(a)}' in ${this.label} cannot be moved to '${this.show(b)}'.`, b);
    }
    const target = this.lookup(b);
    if (target && (!options.overwrite || target.type === 'Directory' || node.type === 'Directory')) throw guestErrors.exists(this.label, this.show(b));
    const toDir = this.dirOrThrow(parentOf(b), false, now);
    const fromDir = this.lookup(parentOf(a))!;
    fromDir.children!.delete(a.slice(a.lastIndexOf('/') + 1));
    toDir.children!.set(b.slice(b.lastIndexOf('/') + 1), node);
    fromDir.mtimeMs = toDir.mtimeMs = now;
  }

  list(path: string): GuestEntry[] {
    const p = normalizeGuestPath(path);
    const node = this.lookup(p);
    if (!node) throw guestErrors.notFound(this.label, this.show(p));
    if (node.type !== 'Directory') throw guestErrors.notADirectory(this.label, this.show(p));
    return [...node.children!.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, child]) => ({ name, type: child.type, size: child.type === 'File' ? child.data!.length : 0, mtime: new Date(child.mtimeMs) }));
  }

  /** Total bytes held in files (for status displays). */
  get bytesUsed(): number {
    let total = 0;
    const visit = (node: RunNode) => {
      if (node.type === 'File') total += node.data!.length;
      else for (const child of node.children!.values()) visit(child);
    };
    visit(this.root);
    return total;
  }

  // ---- .vmrs serialization ----

  /** The memory as bytes (the .vmrs file). The uptime stored is the uptime at `now`. */
  serialize(now = Date.now()): Buffer {
    const entries: SerializedEntry[] = [];
    const blobs: Buffer[] = [];
    let offset = 0;
    const visit = (node: RunNode, p: string) => {
      for (const [name, child] of [...node.children!.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const cp = joinGuestPath(p, name);
        if (child.type === 'File') {
          entries.push({ path: cp, type: 'File', mtimeMs: child.mtimeMs, offset, size: child.data!.length });
          blobs.push(child.data!);
          offset += child.data!.length;
        } else {
          entries.push({ path: cp, type: 'Directory', mtimeMs: child.mtimeMs });
          visit(child, cp);
        }
      }
    };
    visit(this.root, '/');
    const header: SerializedHeader = { bootId: this.bootId, uptimeMs: this.uptimeMs(now), savedAtMs: now, entries };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const fixed = Buffer.alloc(24);
    fixed.write(MAGIC, 0, 'latin1');
    fixed.writeUInt32LE(RUN_FORMAT_VERSION, 8);
    fixed.writeUInt32LE(json.length, 12);
    fixed.writeBigUInt64LE(BigInt(offset), 16);
    const body = Buffer.concat([fixed, json, ...blobs]);
    return Buffer.concat([body, createHash('sha256').update(body).digest()]);
  }

  /**
   * Reads a .vmrs. The clock is stopped (a Saved VM); startClock() when it runs again.
   * `source` names the file in errors.
   */
  static deserialize(bytes: Uint8Array, options: { source?: string; label?: string } = {}): RunFs {
    const source = options.source ?? 'file';
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length < 24 + 32) throw new RunStateError(source, `it is only ${buf.length} bytes long`);
    if (buf.toString('latin1', 0, 8) !== MAGIC) throw new RunStateError(source, 'it is not a Checkpoint Lab memory file');
    const version = buf.readUInt32LE(8);
    if (version !== RUN_FORMAT_VERSION) {
      throw new RunStateError(source, `it has format version ${version}; this version of the lab reads version ${RUN_FORMAT_VERSION}`);
    }
    const jsonLength = buf.readUInt32LE(12);
    const blobLength = Number(buf.readBigUInt64LE(16));
    const expected = 24 + jsonLength + blobLength + 32;
    if (buf.length !== expected) throw new RunStateError(source, `it is ${buf.length} bytes long, expected ${expected} (truncated or extended)`);
    const body = buf.subarray(0, expected - 32);
    if (!createHash('sha256').update(body).digest().equals(buf.subarray(expected - 32))) {
      throw new RunStateError(source, 'its checksum does not match its content');
    }
    let header: SerializedHeader;
    try {
      header = JSON.parse(buf.toString('utf8', 24, 24 + jsonLength)) as SerializedHeader;
    } catch {
      throw new RunStateError(source, 'its header is not valid JSON');
    }
    if (typeof header.bootId !== 'string' || typeof header.uptimeMs !== 'number' || !Array.isArray(header.entries)) {
      throw new RunStateError(source, 'its header lacks the boot id, uptime or entries');
    }
    const run = new RunFs(header.bootId, header.uptimeMs, null, options.label ?? 'the guest');
    const blob = buf.subarray(24 + jsonLength, 24 + jsonLength + blobLength);
    for (const entry of header.entries) {
      try {
        if (entry.type === 'Directory') run.mkdir(entry.path, { parents: true }, entry.mtimeMs);
        else {
          const { offset = -1, size = -1 } = entry;
          if (offset < 0 || size < 0 || offset + size > blob.length) throw new Error('bad extent');
          run.writeFile(entry.path, blob.subarray(offset, offset + size), { createParents: true }, entry.mtimeMs);
        }
      } catch {
        throw new RunStateError(source, `its entry '${String(entry.path)}' is invalid`);
      }
    }
    // Directory mtimes were touched while children were added; restore them.
    for (const entry of header.entries) {
      const node = run.lookup(normalizeGuestPath(entry.path));
      if (node) node.mtimeMs = entry.mtimeMs;
    }
    return run;
  }

  /** A deep copy (a Standard checkpoint of a running VM keeps the memory as it was). */
  clone(now = Date.now()): RunFs {
    const copy = RunFs.deserialize(this.serialize(now), { label: this.label });
    if (this.running) copy.startClock(now);
    return copy;
  }
}
