/**
 * GuestFs: the ext4 file system on one lab disk, mounted through libext2fs (WASM).
 *
 * Shape and why:
 * - One mounted instance per device stays alive between operations (mounting per call
 *   costs a superblock, descriptor and bitmap read each time).
 * - libext2fs keeps the superblock, group descriptors and allocation bitmaps in memory and
 *   the ext2fs package exposes no flush call, so `sync()` unmounts (ext2fs_close writes
 *   them) and mounts again. That is the quiesce of R8 and the durability point: after
 *   sync() every byte is on the BlockDevice, and the engine commits the store.
 * - Every operation runs under one per-instance lock, so multi-step work (mkdir -p,
 *   recursive remove, sync's remount) never interleaves.
 * - Data moves in chunks of at most 1 MiB: one big write aborted the WASM heap.
 * - Reads open files with O_NOATIME: ext2fs otherwise writes the inode on every read,
 *   which would dirty Now and fail on read-only checkpoint disks.
 */
import { promisify } from 'util';
import type { BlockDevice } from '../disk/blockDevice';
import { BlockDeviceDisk } from './ext2fsDisk';
import { GuestError, guestErrors } from './errors';
import { joinGuestPath, normalizeGuestPath, parentOf, splitGuestPath, isUnder } from './paths';

// The package ships no types; this is the part we use.
interface Ext2Stats {
  mode: number;
  size: number;
  ino: number;
  nlink: number;
  mtime: Date;
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
}
interface Ext2Promises {
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  close(fd: number): Promise<void>;
  fstat(fd: number): Promise<Ext2Stats>;
  readdir(path: string, options?: { encoding: 'buffer' | 'utf8' }): Promise<Array<string | Buffer>>;
  mkdir(path: string, mode?: number): Promise<void>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  readlink(path: string): Promise<string>;
  symlink(target: string, path: string): Promise<void>;
}
interface Ext2Fs {
  promises: Ext2Promises;
  open(path: string, flags: number, mode: number, callback: (error: Error | null, fd: number) => void): void;
}
interface Ext2Module {
  mount(disk: BlockDeviceDisk, offset?: number): Promise<Ext2Fs>;
  umount(fs: Ext2Fs): Promise<void>;
}
let ext2fsModule: Ext2Module | undefined;

/**
 * Loads libext2fs on first use. Its emscripten glue registers process-wide
 * 'uncaughtException' and 'unhandledRejection' handlers that rethrow; inside VS Code's
 * extension host they would crash the host on any unrelated rejection, so the
 * handlers it adds are removed again. Loading lazily also keeps listings (CLI, tree)
 * free of the WebAssembly start-up cost.
 */
export function loadExt2fs(): Ext2Module {
  if (!ext2fsModule) {
    type Listener = (...args: unknown[]) => void;
    const events = ['uncaughtException', 'unhandledRejection'];
    const listenersOf = (event: string) => process.listeners(event as 'uncaughtException') as Listener[];
    const before = new Map(events.map((event) => [event, new Set(listenersOf(event))]));
    ext2fsModule = require('ext2fs') as Ext2Module;
    for (const event of events) {
      for (const listener of listenersOf(event)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
  }
  return ext2fsModule;
}

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CREAT = 64;
const O_TRUNC = 512;
const O_NOFOLLOW = 131072;
const O_NOATIME = 262144;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Largest transfer handed to the WASM side at once (see the file comment). */
export const IO_CHUNK = 1024 * 1024;

// libext2fs error codes that arrive as raw errnos (the package does not translate them).
const EXT2_ET_DIR_NO_SPACE = 2133571366;
const EXT2_ET_BLOCK_ALLOC_FAIL = 2133571400;
const EXT2_ET_INODE_ALLOC_FAIL = 2133571401;
const EXT2_ET_EA_NO_SPACE = 2133571491;
const NO_SPACE_ERRNOS = new Set([51 /* ENOSPC */, EXT2_ET_DIR_NO_SPACE, EXT2_ET_BLOCK_ALLOC_FAIL, EXT2_ET_INODE_ALLOC_FAIL, EXT2_ET_EA_NO_SPACE]);

export type GuestEntryType = 'File' | 'Directory' | 'Symlink' | 'Other';

export interface GuestStat {
  path: string;
  name: string;
  type: GuestEntryType;
  size: number;
  mtime: Date;
  ino: number;
  mode: number;
}

export interface GuestEntry {
  name: string;
  type: GuestEntryType;
  size: number;
  mtime: Date;
}

export interface MountOptions {
  /** How messages name this disk: "'web-01'" or "checkpoint 'x' of 'web-01'". Default "the guest". */
  label?: string;
  /** Called once when the file system is unmounted (to release the device, for instance). */
  onUnmount?: () => void;
}

function typeOf(mode: number): GuestEntryType {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 'File';
    case S_IFDIR:
      return 'Directory';
    case S_IFLNK:
      return 'Symlink';
    default:
      return 'Other';
  }
}

function errnoOf(error: unknown): { code?: string; errno?: number } {
  const e = error as { code?: string; errno?: number };
  return { code: e?.code, errno: e?.errno };
}

function asBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

interface InodeLayout {
  blockSize: number;
  inodesCount: number;
  inodesPerGroup: number;
  inodeSize: number;
  /** Byte position of each group's inode table. */
  tables: number[];
}

export class GuestFs {
  /** File systems mounted and not yet unmounted in this process (each holds WebAssembly heap). */
  private static mountedNow = 0;
  private fs: Ext2Fs | null;
  private onUnmount: (() => void) | undefined;
  private layout: InodeLayout | null | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private dirty = false;
  readonly label: string;

  private constructor(
    readonly device: BlockDevice,
    private readonly disk: BlockDeviceDisk,
    fs: Ext2Fs,
    label: string,
  ) {
    this.fs = fs;
    this.label = label;
  }

  /** Mounts the ext4 file system of `device`; a read-only device gives a read-only GuestFs. */
  static async mount(device: BlockDevice, options: MountOptions = {}): Promise<GuestFs> {
    const label = options.label ?? 'the guest';
    const disk = new BlockDeviceDisk(device);
    const fs = await GuestFs.mountDisk(disk, label);
    const mounted = new GuestFs(device, disk, fs, label);
    mounted.onUnmount = options.onUnmount;
    GuestFs.mountedNow++;
    return mounted;
  }

  /** How many GuestFs are mounted in this process now. */
  static get mountedCount(): number {
    return GuestFs.mountedNow;
  }

  private static async mountDisk(disk: BlockDeviceDisk, label: string): Promise<Ext2Fs> {
    const magic = Buffer.alloc(2);
    if (disk.device.capacity < 2048) throw guestErrors.damaged(label, 'the disk is too small');
    disk.readNow(magic, 0, 2, 1024 + 56);
    if (magic.readUInt16LE(0) !== 0xef53) throw guestErrors.damaged(label, 'no ext4 superblock magic at byte 1080');
    try {
      return await loadExt2fs().mount(disk, 0);
    } catch (error) {
      throw guestErrors.damaged(label, `libext2fs: ${(error as Error).message}`);
    }
  }

  get readOnly(): boolean {
    return this.device.readOnly;
  }

  get mounted(): boolean {
    return this.fs !== null;
  }

  /** Runs `fn` alone on this file system. */
  private exclusive<T>(fn: (fs: Ext2Fs) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (!this.fs) throw new GuestError('GuestIo', `The guest file system of ${this.label} is not mounted.`);
      try {
        return await fn(this.fs);
      } finally {
        // writes staged in the adapter reach the device before anyone else looks at it
        if (!this.device.readOnly) this.disk.settle();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertWritable(): void {
    if (this.device.readOnly) throw guestErrors.readOnlyDisk(this.label);
  }

  private openFd(fs: Ext2Fs, path: string, flags: number, mode = 0o644): Promise<number> {
    return promisify(fs.open)(path, flags, mode) as Promise<number>;
  }

  /** Turns an ext2fs errno into the lab's message for `path`. */
  private async translate(fs: Ext2Fs, error: unknown, path: string): Promise<Error> {
    if (error instanceof GuestError) return error;
    if (this.disk.refusedWrite) return guestErrors.readOnlyDisk(this.label);
    const { code, errno } = errnoOf(error);
    if (errno !== undefined && NO_SPACE_ERRNOS.has(errno)) return guestErrors.noSpace(this.label, path);
    switch (code) {
      case 'ENOENT':
      case 'ENOTDIR':
        return (await this.diagnoseMissing(fs, path)) ?? guestErrors.notFound(this.label, path);
      case 'EEXIST':
        return guestErrors.exists(this.label, path);
      case 'EISDIR':
        return guestErrors.isADirectory(this.label, path);
      case 'ENOTEMPTY':
        return guestErrors.notEmpty(this.label, path);
      case 'ENOSPC':
        return guestErrors.noSpace(this.label, path);
    }
    return guestErrors.io(this.label, path, (error as Error)?.message ?? String(error));
  }

  /** For a path that did not resolve: the first component that is missing or not a directory. */
  private async diagnoseMissing(fs: Ext2Fs, path: string): Promise<GuestError | undefined> {
    let at = '/';
    for (const part of splitGuestPath(path)) {
      const next = joinGuestPath(at, part);
      const stat = await this.lstatRaw(fs, next);
      if (!stat) return guestErrors.notFound(this.label, next === path ? path : next);
      if (next !== path && stat.type !== 'Directory') return guestErrors.notADirectory(this.label, next);
      at = next;
    }
    return undefined;
  }

  /** lstat without translation: undefined when the path does not resolve. */
  private async lstatRaw(fs: Ext2Fs, path: string): Promise<GuestStat | undefined> {
    let fd: number;
    try {
      fd = await this.openFd(fs, path, O_RDONLY | O_NOFOLLOW | O_NOATIME, 0);
    } catch (error) {
      const { code } = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
    try {
      const s = await fs.promises.fstat(fd);
      const name = path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
      return { path, name, type: typeOf(s.mode), size: s.size, mtime: s.mtime, ino: s.ino, mode: s.mode & 0o7777 };
    } finally {
      await fs.promises.close(fd);
    }
  }

  private async statOrThrow(fs: Ext2Fs, path: string): Promise<GuestStat> {
    const stat = await this.lstatRaw(fs, path);
    if (!stat) throw (await this.diagnoseMissing(fs, path)) ?? guestErrors.notFound(this.label, path);
    return stat;
  }

  /** Metadata of one path (symbolic links are not followed). */
  async stat(path: string): Promise<GuestStat> {
    const p = normalizeGuestPath(path);
    return this.exclusive((fs) => this.statOrThrow(fs, p));
  }

  /** Like stat, but undefined when the path does not exist. */
  async tryStat(path: string): Promise<GuestStat | undefined> {
    const p = normalizeGuestPath(path);
    return this.exclusive((fs) => this.lstatRaw(fs, p));
  }

  async exists(path: string): Promise<boolean> {
    return (await this.tryStat(path)) !== undefined;
  }

  /** The whole content of a file. */
  async readFile(path: string): Promise<Buffer> {
    const p = normalizeGuestPath(path);
    return this.exclusive((fs) => this.readFileIn(fs, p));
  }

  private async readFileIn(fs: Ext2Fs, p: string): Promise<Buffer> {
    const stat = await this.statOrThrow(fs, p);
    if (stat.type === 'Directory') throw guestErrors.isADirectory(this.label, p);
    if (stat.type === 'Symlink') return Buffer.from(await fs.promises.readlink(p), 'utf8');
    let fd: number;
    try {
      fd = await this.openFd(fs, p, O_RDONLY | O_NOATIME | O_NOFOLLOW, 0);
    } catch (error) {
      throw await this.translate(fs, error, p);
    }
    try {
      const out = Buffer.allocUnsafe(stat.size);
      let done = 0;
      while (done < stat.size) {
        const length = Math.min(IO_CHUNK, stat.size - done);
        const { bytesRead } = await fs.promises.read(fd, out, done, length, done);
        if (bytesRead <= 0) break;
        done += bytesRead;
      }
      return done === stat.size ? out : out.subarray(0, done);
    } catch (error) {
      throw await this.translate(fs, error, p);
    } finally {
      await fs.promises.close(fd);
    }
  }

  /** Up to `length` bytes of a file from `position` (fewer at the end of the file). */
  async readRange(path: string, position: number, length: number): Promise<Buffer> {
    const p = normalizeGuestPath(path);
    return this.exclusive(async (fs) => {
      let fd: number;
      try {
        fd = await this.openFd(fs, p, O_RDONLY | O_NOATIME | O_NOFOLLOW, 0);
      } catch (error) {
        throw await this.translate(fs, error, p);
      }
      try {
        const out = Buffer.alloc(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fs.promises.read(fd, out, done, Math.min(IO_CHUNK, length - done), position + done);
          if (bytesRead <= 0) break;
          done += bytesRead;
        }
        return out.subarray(0, done);
      } finally {
        await fs.promises.close(fd);
      }
    });
  }

  /**
   * Creates or replaces a file with `data`. With createParents, missing parent folders
   * are made first (mkdir -p). A write that does not fit fails with a clear message and
   * leaves no partial new file behind.
   */
  async writeFile(path: string, data: Uint8Array | string, options: { createParents?: boolean } = {}): Promise<void> {
    const p = normalizeGuestPath(path);
    this.assertWritable();
    const bytes = asBuffer(data);
    return this.exclusive((fs) => this.writeFileIn(fs, p, bytes, options.createParents ?? false));
  }

  private async writeFileIn(fs: Ext2Fs, p: string, bytes: Buffer, createParents: boolean): Promise<void> {
    if (p === '/') throw guestErrors.isADirectory(this.label, p);
    await this.ensureParent(fs, p, createParents);
    const existing = await this.lstatRaw(fs, p);
    if (existing?.type === 'Directory') throw guestErrors.isADirectory(this.label, p);
    if (existing?.type === 'Symlink') {
      // Replace the link itself rather than writing through it.
      await fs.promises.unlink(p);
    }
    this.dirty = true;
    let fd: number;
    try {
      fd = await this.openFd(fs, p, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
    } catch (error) {
      throw await this.translate(fs, error, p);
    }
    let failure: unknown;
    try {
      for (let done = 0; done < bytes.length; ) {
        const length = Math.min(IO_CHUNK, bytes.length - done);
        const { bytesWritten } = await fs.promises.write(fd, bytes.subarray(done, done + length), 0, length, done);
        if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { errno: 51, code: 'ENOSPC' });
        done += bytesWritten;
      }
    } catch (error) {
      failure = error;
    } finally {
      await fs.promises.close(fd).catch((error) => (failure ??= error));
    }
    if (failure !== undefined) {
      const translated = await this.translate(fs, failure, p);
      if (!existing) await fs.promises.unlink(p).catch(() => undefined);
      throw translated;
    }
  }

  private async ensureParent(fs: Ext2Fs, p: string, createParents: boolean): Promise<void> {
    const parent = parentOf(p);
    const stat = await this.lstatRaw(fs, parent);
    if (stat?.type === 'Directory') return;
    if (stat) throw guestErrors.notADirectory(this.label, parent);
    if (!createParents) throw (await this.diagnoseMissing(fs, parent)) ?? guestErrors.notFound(this.label, parent);
    await this.mkdirIn(fs, parent, true);
  }

  /** Creates a folder; with parents (mkdir -p) missing parents are created and an existing folder is fine. */
  async mkdir(path: string, options: { parents?: boolean } = {}): Promise<void> {
    const p = normalizeGuestPath(path);
    this.assertWritable();
    return this.exclusive((fs) => this.mkdirIn(fs, p, options.parents ?? false));
  }

  private async mkdirIn(fs: Ext2Fs, p: string, parents: boolean): Promise<void> {
    if (!parents) {
      const existing = await this.lstatRaw(fs, p);
      if (existing) throw guestErrors.exists(this.label, p);
      await this.ensureParent(fs, p, false);
      return this.mkdirOne(fs, p);
    }
    let at = '/';
    for (const part of splitGuestPath(p)) {
      at = joinGuestPath(at, part);
      const stat = await this.lstatRaw(fs, at);
      if (stat?.type === 'Directory') continue;
      if (stat) throw at === p ? guestErrors.exists(this.label, p) : guestErrors.notADirectory(this.label, at);
      await this.mkdirOne(fs, at);
    }
  }

  private async mkdirOne(fs: Ext2Fs, p: string): Promise<void> {
    this.dirty = true;
    try {
      await fs.promises.mkdir(p, 0o755);
    } catch (error) {
      throw await this.translate(fs, error, p);
    }
  }

  /** Removes a file or an empty folder; with recursive, a folder and everything in it. */
  async remove(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const p = normalizeGuestPath(path);
    this.assertWritable();
    if (p === '/') throw new GuestError('GuestPathInvalid', `The root folder of ${this.label} cannot be removed.`, p);
    return this.exclusive(async (fs) => {
      const stat = await this.statOrThrow(fs, p);
      await this.removeIn(fs, p, stat.type, options.recursive ?? false);
    });
  }

  private async removeIn(fs: Ext2Fs, p: string, type: GuestEntryType, recursive: boolean): Promise<void> {
    this.dirty = true;
    try {
      if (type !== 'Directory') return await fs.promises.unlink(p);
      if (recursive) {
        for (const entry of await this.listIn(fs, p)) {
          await this.removeIn(fs, joinGuestPath(p, entry.name), entry.type, true);
        }
      } else if ((await this.readdirNames(fs, p)).length > 0) {
        throw guestErrors.notEmpty(this.label, p);
      }
      await fs.promises.rmdir(p);
    } catch (error) {
      throw await this.translate(fs, error, p);
    }
  }

  /** Moves a file or folder. An existing target is refused unless overwrite is set (and then must be a file). */
  async rename(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    const a = normalizeGuestPath(from);
    const b = normalizeGuestPath(to);
    this.assertWritable();
    return this.exclusive(async (fs) => {
      const source = await this.statOrThrow(fs, a);
      if (a === b) return;
      if (a === '/' || isUnder(b, a)) {
        throw new GuestError('GuestPathInvalid', `The folder '${a}' in ${this.label} cannot be moved into itself ('${b}').`, b);
      }
      await this.ensureParent(fs, b, false);
      const target = await this.lstatRaw(fs, b);
      if (target && (!options.overwrite || target.type === 'Directory' || source.type === 'Directory')) {
        throw guestErrors.exists(this.label, b);
      }
      this.dirty = true;
      try {
        await fs.promises.rename(a, b);
      } catch (error) {
        throw await this.translate(fs, error, b);
      }
    });
  }

  /**
   * Names in a directory, without '.' and '..'. Not through the package's readdir: each
   * call leaks about 18 KB of the WebAssembly heap, which is fixed at 16 MiB, so ~900
   * listings aborted the module for the whole process ("Aborted(OOM)"). Instead the
   * directory's own bytes are read and its ext4 entries parsed: every block holds linear
   * entries (inode u32, rec_len u16, name_len u8, file_type u8, name); htree index blocks
   * and metadata_csum tails are entries with inode 0, which are skipped.
   */
  private async readdirNames(fs: Ext2Fs, p: string): Promise<string[]> {
    return (await this.readdirEntries(fs, p)).map((entry) => entry.name);
  }

  /** readdirNames with each entry's inode number. */
  private async readdirEntries(fs: Ext2Fs, p: string): Promise<Array<{ name: string; ino: number }>> {
    const fd = await this.openFd(fs, p, O_RDONLY | O_NOATIME, 0);
    const names: Array<{ name: string; ino: number }> = [];
    try {
      const { size } = await fs.promises.fstat(fd);
      const buffer = Buffer.alloc(Math.min(size, IO_CHUNK));
      for (let base = 0; base < size; base += buffer.length) {
        const length = Math.min(buffer.length, size - base);
        const { bytesRead } = await fs.promises.read(fd, buffer, 0, length, base);
        // entries never cross a block, and chunks are whole blocks
        for (let at = 0; at + 8 <= bytesRead; ) {
          const inode = buffer.readUInt32LE(at);
          const recordLength = buffer.readUInt16LE(at + 4);
          const nameLength = buffer[at + 6];
          if (recordLength < 8 || at + recordLength > bytesRead) break;
          if (inode !== 0 && nameLength > 0) {
            const name = buffer.toString('utf8', at + 8, at + 8 + nameLength);
            if (name !== '.' && name !== '..') names.push({ name, ino: inode });
          }
          at += recordLength;
        }
      }
    } finally {
      await fs.promises.close(fd);
    }
    return names;
  }

  /** The entries of a folder, sorted by name. */
  async list(path: string): Promise<GuestEntry[]> {
    const p = normalizeGuestPath(path);
    return this.exclusive(async (fs) => {
      const stat = await this.statOrThrow(fs, p);
      if (stat.type !== 'Directory') throw guestErrors.notADirectory(this.label, p);
      return this.listIn(fs, p);
    });
  }

  private async listIn(fs: Ext2Fs, p: string): Promise<GuestEntry[]> {
    let found: Array<{ name: string; ino: number }>;
    try {
      found = await this.readdirEntries(fs, p);
    } catch (error) {
      throw await this.translate(fs, error, p);
    }
    const entries: GuestEntry[] = [];
    for (const stat of await this.statEntries(fs, p, found)) entries.push({ name: stat.name, type: stat.type, size: stat.size, mtime: stat.mtime });
    return entries;
  }

  /**
   * Stats of a folder's entries, sorted by name, in one pass: each entry's inode is read
   * straight from the disk's inode table (mode, size, mtime), a few 4 KiB block reads for a
   * whole folder, instead of an open + fstat (a dozen calls into the WebAssembly module) + close
   * per entry. libext2fs writes inodes through to the device as each call completes (nothing
   * is cached across calls on our side of the device), so the device holds what a stat would
   * return. Falls back to a per-entry stat when the layout is not the plain one the lab
   * formats (meta_bg) or an inode looks unused.
   */
  private async statEntries(fs: Ext2Fs, dir: string, found: Array<{ name: string; ino: number }>): Promise<GuestStat[]> {
    const sorted = [...found].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const inodes = this.readInodes(sorted.map((entry) => entry.ino));
    const out: GuestStat[] = [];
    for (const { name, ino } of sorted) {
      const path = joinGuestPath(dir, name);
      const raw = inodes?.get(ino);
      if (raw && raw.mode !== 0 && raw.links > 0) {
        out.push({ path, name, type: typeOf(raw.mode), size: raw.size, mtime: new Date(raw.mtime * 1000), ino, mode: raw.mode & 0o7777 });
        continue;
      }
      const stat = await this.lstatRaw(fs, path);
      if (stat) out.push(stat);
    }
    return out;
  }

  /** Where the inode tables are (read once per mount: a lab disk never grows), or null when unsupported. */
  private inodeLayout(): InodeLayout | null {
    if (this.layout !== undefined) return this.layout;
    this.layout = null;
    try {
      const sb = Buffer.alloc(1024);
      this.disk.readNow(sb, 0, 1024, 1024);
      if (sb.readUInt16LE(56) !== 0xef53) return null;
      const incompat = sb.readUInt32LE(96);
      if (incompat & 0x10 /* META_BG */) return null;
      const blockSize = 1024 << sb.readUInt32LE(24);
      const inodesCount = sb.readUInt32LE(0);
      const inodesPerGroup = sb.readUInt32LE(40);
      const inodeSize = sb.readUInt32LE(76) === 0 ? 128 : sb.readUInt16LE(88);
      const descSize = incompat & 0x80 /* 64BIT */ ? sb.readUInt16LE(254) : 32;
      if (inodesPerGroup === 0 || inodeSize < 128 || descSize < 32 || blockSize > 65536) return null;
      const groups = Math.ceil(inodesCount / inodesPerGroup);
      const gdt = Buffer.alloc(groups * descSize);
      this.disk.readNow(gdt, 0, gdt.length, (sb.readUInt32LE(20) + 1) * blockSize);
      const tables: number[] = [];
      for (let group = 0; group < groups; group++) {
        const at = group * descSize;
        const block = gdt.readUInt32LE(at + 8) + (descSize >= 64 ? gdt.readUInt32LE(at + 0x28) * 2 ** 32 : 0);
        tables.push(block * blockSize);
      }
      this.layout = { blockSize, inodesCount, inodesPerGroup, inodeSize, tables };
    } catch {
      this.layout = null;
    }
    return this.layout;
  }

  /** The fields a listing needs of each inode, read from the inode tables in whole blocks. */
  private readInodes(inos: number[]): Map<number, { mode: number; size: number; mtime: number; links: number }> | null {
    const layout = this.inodeLayout();
    if (!layout) return null;
    const blocks = new Map<number, Buffer>();
    const out = new Map<number, { mode: number; size: number; mtime: number; links: number }>();
    try {
      for (const ino of inos) {
        if (ino < 1 || ino > layout.inodesCount || out.has(ino)) continue;
        const group = Math.floor((ino - 1) / layout.inodesPerGroup);
        const position = layout.tables[group] + ((ino - 1) % layout.inodesPerGroup) * layout.inodeSize;
        const blockStart = position - (position % layout.blockSize);
        let block = blocks.get(blockStart);
        if (!block) {
          block = Buffer.alloc(layout.blockSize);
          this.disk.readNow(block, 0, block.length, blockStart);
          blocks.set(blockStart, block);
        }
        const at = position - blockStart;
        out.set(ino, {
          mode: block.readUInt16LE(at),
          size: block.readUInt32LE(at + 4) + block.readUInt32LE(at + 108) * 2 ** 32,
          mtime: block.readUInt32LE(at + 16),
          links: block.readUInt16LE(at + 26),
        });
      }
    } catch {
      return null;
    }
    return out;
  }

  /**
   * Every path under `root` (root itself excluded) with its metadata, parents before
   * children, sorted by path; `skip` prunes a path and everything under it.
   */
  async walk(root = '/', skip?: (path: string) => boolean): Promise<GuestStat[]> {
    const r = normalizeGuestPath(root);
    return this.exclusive(async (fs) => {
      const out: GuestStat[] = [];
      const visit = async (dir: string): Promise<void> => {
        const found = (await this.readdirEntries(fs, dir)).filter((entry) => !skip?.(joinGuestPath(dir, entry.name)));
        for (const stat of await this.statEntries(fs, dir, found)) {
          out.push(stat);
          if (stat.type === 'Directory') await visit(stat.path);
        }
      };
      const top = await this.statOrThrow(fs, r);
      if (top.type !== 'Directory') throw guestErrors.notADirectory(this.label, r);
      await visit(r);
      return out;
    });
  }

  /**
   * Writes every buffered piece of file-system state (superblock, group descriptors,
   * bitmaps) to the device and flushes it: the quiesce of R8. Cheap when nothing changed.
   */
  sync(): Promise<void> {
    return this.exclusive(async (fs) => {
      if (!this.dirty || this.device.readOnly) return;
      this.fs = null;
      try {
        await loadExt2fs().umount(fs);
      } catch (error) {
        throw guestErrors.io(this.label, '/', `flushing the file system failed: ${(error as Error).message}`);
      } finally {
        // Mount again even after a failed flush, so the instance stays usable.
        this.fs = await GuestFs.mountDisk(this.disk, this.label);
      }
      this.dirty = false;
      this.device.flush();
    });
  }

  /** True when changes were made since the last sync(). */
  get hasUnsyncedChanges(): boolean {
    return this.dirty;
  }

  /** Flushes (when writable) and unmounts. The instance cannot be used afterwards. */
  unmount(): Promise<void> {
    return this.exclusive(async (fs) => {
      this.fs = null;
      GuestFs.mountedNow--;
      try {
        if (this.device.readOnly) {
          await loadExt2fs().umount(fs).catch(() => undefined);
          return;
        }
        await loadExt2fs().umount(fs);
        this.dirty = false;
        this.device.flush();
      } finally {
        const release = this.onUnmount;
        this.onUnmount = undefined;
        release?.();
      }
    });
  }
}
