/**
 * Every file mutation the store and the disks make goes through an `Io`, so tests can
 * simulate a crash at any write boundary (FaultIo) or a full disk (ENOSPC).
 * Synchronous on purpose: block devices are synchronous, and commits must not interleave.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Io {
  // reads (never write boundaries)
  readFile(file: string): Buffer;
  exists(file: string): boolean;
  size(file: string): number;
  readdir(dir: string): string[];
  isDirectory(file: string): boolean;
  openRead(file: string): number;
  pread(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  close(fd: number): void;
  // mutations (each call is one write boundary)
  writeFile(file: string, data: Uint8Array): void;
  pwrite(file: string, position: number, data: Uint8Array | readonly Uint8Array[]): void;
  fsync(file: string): void;
  fsyncDir(dir: string): void;
  truncate(file: string, length: number): void;
  rename(from: string, to: string): void;
  unlink(file: string): void;
  rmdir(dir: string): void;
  mkdir(dir: string): void;
  /** Creates file exclusively (EEXIST when present); used by the lock. */
  createExclusive(file: string, data: Uint8Array): void;
  /**
   * Optional hint, not a write boundary: start writing file's dirty pages to the device in the
   * background so that a later fsync has less left to do. Promises nothing (an fsync is still
   * what makes data durable) and changes no file content; errors are ignored.
   */
  startWriteback?(file: string): void;
}

export class NodeIo implements Io {
  private readonly writebacks = new Map<string, number>();
  readFile(file: string): Buffer {
    return fs.readFileSync(file);
  }
  exists(file: string): boolean {
    return fs.existsSync(file);
  }
  size(file: string): number {
    return fs.statSync(file).size;
  }
  readdir(dir: string): string[] {
    return fs.readdirSync(dir);
  }
  isDirectory(file: string): boolean {
    try {
      return fs.statSync(file).isDirectory();
    } catch {
      return false;
    }
  }
  openRead(file: string): number {
    return fs.openSync(file, 'r');
  }
  pread(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    return fs.readSync(fd, buffer, offset, length, position);
  }
  close(fd: number): void {
    fs.closeSync(fd);
  }
  writeFile(file: string, data: Uint8Array): void {
    fs.writeFileSync(file, data);
  }
  pwrite(file: string, position: number, data: Uint8Array | readonly Uint8Array[]): void {
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    try {
      if (data instanceof Uint8Array) {
        let done = 0;
        while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, position + done);
      } else {
        let at = position;
        for (let first = 0; first < data.length; first += 512) {
          const batch = data.slice(first, first + 512);
          const total = batch.reduce((sum, part) => sum + part.length, 0);
          const written = fs.writevSync(fd, batch as Uint8Array[], at);
          if (written !== total) {
            // short write: finish the rest in one piece
            const rest = Buffer.concat(batch).subarray(written);
            let done = 0;
            while (done < rest.length) done += fs.writeSync(fd, rest, done, rest.length - done, at + written + done);
          }
          at += total;
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  fsync(file: string): void {
    const fd = fs.openSync(file, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  fsyncDir(dir: string): void {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  truncate(file: string, length: number): void {
    fs.truncateSync(file, length);
  }
  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }
  unlink(file: string): void {
    fs.unlinkSync(file);
  }
  rmdir(dir: string): void {
    fs.rmdirSync(dir);
  }
  mkdir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
  }
  createExclusive(file: string, data: Uint8Array): void {
    const fd = fs.openSync(file, 'wx', 0o644);
    try {
      fs.writeSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
  }
  /**
   * An fdatasync on libuv's thread pool: the device writes while this thread goes on. Its
   * completion is only seen when the event loop turns, which a long synchronous burst of writes
   * never lets happen, so up to 16 may be outstanding per file (each holds an fd until then);
   * beyond that the hint is dropped.
   */
  startWriteback(file: string): void {
    const outstanding = this.writebacks.get(file) ?? 0;
    if (outstanding >= 16) return;
    let fd: number;
    try {
      fd = fs.openSync(file, 'r+');
    } catch {
      return;
    }
    this.writebacks.set(file, outstanding + 1);
    fs.fdatasync(fd, () => {
      const left = (this.writebacks.get(file) ?? 1) - 1;
      if (left > 0) this.writebacks.set(file, left);
      else this.writebacks.delete(file);
      fs.close(fd, () => undefined);
    });
  }
}

/** Thrown by FaultIo at its crash point: the "process" is dead from then on. */
export class SimulatedCrash extends Error {
  constructor(readonly boundary: number) {
    super(`simulated crash at write boundary ${boundary}`);
    this.name = 'SimulatedCrash';
  }
}

/**
 * Test double: counts write boundaries; at `crashAt` throws SimulatedCrash and refuses
 * every later mutation (a dead process writes nothing more). `enospc` makes writes that
 * match fail with ENOSPC, as a full disk does.
 *
 * It also keeps what a power cut would lose, for losePendingWrites() after the crash:
 * each file's content as of its last fsync, and every change of a folder's entries
 * (create, rename, unlink, mkdir, rmdir) not yet made durable by an fsync of that folder.
 * Lock files are left out: after a reboot every lock is stale anyway.
 */
export class FaultIo implements Io {
  boundaries = 0;
  crashAt = Infinity;
  dead = false;
  enospc: ((file: string) => boolean) | undefined;
  /** Content at the last fsync of each file written since (null: the file did not exist then). */
  private readonly durable = new Map<string, Buffer | null>();
  /** Entry changes in order, each with the folders that must be fsynced before it is durable. */
  private entries: Array<{ undo: () => void; pending: Set<string> }> = [];
  constructor(private readonly inner: Io = new NodeIo()) {}

  /**
   * The power cut after a crash: file contents go back to their last fsync; with `entries`,
   * folder entries changed since their folder's last fsync go back too (newest first).
   * Returns how many changes were undone.
   */
  losePendingWrites(options: { entries?: boolean } = {}): number {
    let undone = 0;
    for (const [file, content] of this.durable) {
      if (content === null) fs.rmSync(file, { force: true });
      else if (fs.existsSync(file)) fs.writeFileSync(file, content);
      undone++;
    }
    if (options.entries) {
      for (const entry of [...this.entries].reverse()) entry.undo();
      undone += this.entries.length;
    }
    this.durable.clear();
    this.entries = [];
    return undone;
  }

  private static ignored(file: string): boolean {
    return file.endsWith('.lock');
  }

  /** What survives a power cut of `file` now: its content at the last fsync (null: nothing). */
  private durableContent(file: string): Buffer | null {
    if (this.durable.has(file)) return this.durable.get(file)!;
    return fs.existsSync(file) && !fs.statSync(file).isDirectory() ? fs.readFileSync(file) : null;
  }

  private entryChanged(dirs: string[], undo: () => void): void {
    this.entries.push({ undo, pending: new Set(dirs.map((d) => path.resolve(d))) });
  }

  /** Before a file's first change since its last fsync: keep what is durable (and note a new entry). */
  private remember(file: string): void {
    if (FaultIo.ignored(file) || this.durable.has(file)) return;
    const exists = this.inner.exists(file);
    this.durable.set(file, exists ? this.inner.readFile(file) : null);
    if (!exists) this.entryChanged([path.dirname(file)], () => fs.rmSync(file, { force: true }));
  }
  private boundary(file: string, grows: boolean): void {
    if (this.dead) throw new SimulatedCrash(this.boundaries);
    this.boundaries++;
    if (this.boundaries >= this.crashAt) {
      this.dead = true;
      throw new SimulatedCrash(this.boundaries);
    }
    if (grows && this.enospc?.(file)) {
      const error = new Error(`ENOSPC: no space left on device, write '${file}'`) as NodeJS.ErrnoException;
      error.code = 'ENOSPC';
      throw error;
    }
  }
  readFile(file: string): Buffer {
    return this.inner.readFile(file);
  }
  exists(file: string): boolean {
    return this.inner.exists(file);
  }
  size(file: string): number {
    return this.inner.size(file);
  }
  readdir(dir: string): string[] {
    return this.inner.readdir(dir);
  }
  isDirectory(file: string): boolean {
    return this.inner.isDirectory(file);
  }
  openRead(file: string): number {
    return this.inner.openRead(file);
  }
  pread(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    return this.inner.pread(fd, buffer, offset, length, position);
  }
  close(fd: number): void {
    this.inner.close(fd);
  }
  writeFile(file: string, data: Uint8Array): void {
    this.boundary(file, true);
    this.remember(file);
    this.inner.writeFile(file, data);
  }
  pwrite(file: string, position: number, data: Uint8Array | readonly Uint8Array[]): void {
    this.boundary(file, true);
    this.remember(file);
    this.inner.pwrite(file, position, data);
  }
  fsync(file: string): void {
    this.boundary(file, false);
    this.inner.fsync(file);
    this.durable.delete(file);
  }
  fsyncDir(dir: string): void {
    this.boundary(dir, false);
    this.inner.fsyncDir(dir);
    const durableDir = path.resolve(dir);
    for (const entry of this.entries) entry.pending.delete(durableDir);
    this.entries = this.entries.filter((entry) => entry.pending.size > 0);
  }
  truncate(file: string, length: number): void {
    this.boundary(file, false);
    this.remember(file);
    this.inner.truncate(file, length);
  }
  rename(from: string, to: string): void {
    this.boundary(to, false);
    const replaced = this.durableContent(to);
    this.inner.rename(from, to);
    if (FaultIo.ignored(to)) return;
    // what was not durable in `from` is not durable in `to` either
    if (this.durable.has(from)) this.durable.set(to, this.durable.get(from)!);
    else this.durable.delete(to);
    this.durable.delete(from);
    this.entryChanged([path.dirname(from), path.dirname(to)], () => {
      if (fs.existsSync(to)) fs.renameSync(to, from);
      if (replaced !== null) fs.writeFileSync(to, replaced);
    });
  }
  unlink(file: string): void {
    this.boundary(file, false);
    const content = this.durableContent(file);
    this.inner.unlink(file);
    if (FaultIo.ignored(file)) return;
    this.durable.delete(file);
    this.entryChanged([path.dirname(file)], () => {
      if (content !== null) fs.writeFileSync(file, content);
    });
  }
  rmdir(dir: string): void {
    this.boundary(dir, false);
    this.inner.rmdir(dir);
    this.entryChanged([path.dirname(dir)], () => fs.mkdirSync(dir, { recursive: true }));
  }
  mkdir(dir: string): void {
    this.boundary(dir, true);
    this.inner.mkdir(dir);
    this.entryChanged([path.dirname(dir)], () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  createExclusive(file: string, data: Uint8Array): void {
    this.boundary(file, true);
    this.remember(file);
    this.inner.createExclusive(file, data);
  }
}

export function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export function parentDir(file: string): string {
  return path.dirname(file);
}
