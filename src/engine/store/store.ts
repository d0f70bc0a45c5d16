/**
 * The lab store: one folder holding everything (SPEC §4).
 *
 * On-disk format (store format 1):
 *   lab.json            checksummed JSON envelope {format, checksum, data: {storeId, vms}}
 *   lab.seq             16 bytes: commit sequence (u64 LE), crc32, magic "CLSQ"; read without the lock
 *   lab.journal         redo journal: empty, or the record of the last / interrupted commit
 *   lab.lock            exists while a process holds the store's lock: {pid, hostname, acquiredAt}
 *   lab.sweep           exists while temporaries may exist (see below): recovery sweeps them
 *   Backups/            metadata copies kept before a format migration (R32)
 *   ... every other metadata file (*.json, *.vmcx, *.vmrs) uses the same envelope (codec.ts).
 *
 * A commit (R28) is a redo transaction:
 *   A. "prewrites": new file contents go to unique temporary files and disk data goes to
 *      space no committed state references (free block slots, past a map's committed end);
 *      all fsynced, with their folders. Nothing committed has changed yet.
 *   B. the journal record (ops: rename tmp -> file, pwrite headers, truncate, unlink,
 *      bump lab.seq) is written whole and fsynced: this is the commit point.
 *   C. the ops are applied and fsynced; the journal is emptied.
 * A crash before B leaves the before state (recovery deletes orphaned temporaries and the
 * disk layer treats unreferenced slots as free); a crash after B is rolled forward by
 * replaying the record on the next open (ops are idempotent).
 *
 * Temporaries are only ever created after lab.sweep exists (a commit's phase A, a caller's
 * beginTemporaries()), and lab.sweep is removed once they are renamed or deleted. So a
 * store whose journal is empty and that has no lab.sweep needs no recovery and has no
 * temporaries to sweep: open() then reads lab.json once, without the lock and without
 * walking the store (a lock-free reader checks the journal and lab.seq before and after,
 * see journalPending()). Otherwise open() recovers under the lock and sweeps. Why a redo journal: it keeps
 * every operation, whatever mix of files it touches, atomic with one fsync'd record, and
 * keeps bulk data out of the journal (data is written once, in place).
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { LabError, StoreFileError } from '../errors';
import { crc32, decodeCurrent, decodeJson, encodeJson, STORE_FORMAT } from './codec';
import { FileLock } from './lock';
import { decodeRecord, encodeRecord, type JournalOp, type JournalRecord } from './journal';
import { errnoCode, type Io, NodeIo, SimulatedCrash } from './io';
import { runMigrations } from './migrations';

export { STORE_FORMAT } from './codec';
export { STORE_BUSY_MESSAGE, StoreBusyError } from './lock';

export const LAB_FILE = 'lab.json';
export const SEQUENCE_FILE = 'lab.seq';
export const JOURNAL_FILE = 'lab.journal';
export const LOCK_FILE = 'lab.lock';
export const SWEEP_FILE = 'lab.sweep';
export const BACKUP_DIR = 'Backups';
export const STORE_DIRS = ['Virtual Machines', 'Virtual Hard Disks', 'Snapshots'];
const METADATA_EXTENSIONS = ['.json', '.vmcx', '.vmrs'];
const TMP_SUFFIX = '.clab-tmp';

export interface Problem {
  file: string;
  problem: string;
}

export interface LabFile {
  storeId: string;
  vms: unknown[];
  [key: string]: unknown;
}

export type Verifier = (store: Store) => Problem[];

const globalVerifiers: Verifier[] = [];
/** Lets another layer (disks, the engine) add checks to every store's verify() (R29). */
export function registerVerifier(verifier: Verifier): void {
  if (!globalVerifiers.includes(verifier)) globalVerifiers.push(verifier);
}

export class StoreFullError extends LabError {
  constructor(readonly file: string) {
    super('StoreFull', `There is not enough disk space to write '${file}'. The operation was not performed and nothing was changed.`);
    this.name = 'StoreFullError';
  }
}

export class StoreIoError extends LabError {
  constructor(readonly file: string, cause: unknown) {
    super('StoreIo', `Could not write '${file}': ${(cause as Error)?.message ?? String(cause)}. The operation was not performed.`);
    this.name = 'StoreIoError';
  }
}

interface Prewrite {
  path: string;
  pos: number;
  data: Uint8Array | readonly Uint8Array[];
}

/** One atomic, durable operation on the store. Built synchronously inside store.commit(). */
export class Transaction {
  readonly ops: JournalOp[] = [];
  readonly prewrites: Prewrite[] = [];
  readonly newFiles: Array<{ path: string; tmp: string; data: Uint8Array }> = [];
  readonly syncFirst = new Set<string>();
  /** Folders fsynced before the commit point (where adopted temporaries live). */
  readonly syncDirsFirst = new Set<string>();
  private readonly before: Array<() => void> = [];
  private readonly committed: Array<() => void> = [];
  private readonly aborted: Array<() => void> = [];

  constructor(
    readonly store: Store,
    /** The store sequence this commit will have. */
    readonly sequence: number,
  ) {}

  /** Atomically replaces (or creates) relPath with bytes. */
  writeFile(relPath: string, bytes: Uint8Array): void {
    const rel = normalize(relPath);
    this.dropUnlinks(rel);
    const tmp = `${this.temporaryBase(rel)}.${this.sequence}.${this.newFiles.length}${TMP_SUFFIX}`;
    this.newFiles.push({ path: rel, tmp, data: bytes });
    this.ops.push({ op: 'rename', path: tmp, to: rel });
  }

  writeJson(relPath: string, value: unknown, options: { compact?: boolean } = {}): void {
    this.writeFile(relPath, encodeJson(value, options));
  }

  deleteFile(relPath: string): void {
    this.ops.push({ op: 'unlink', path: normalize(relPath) });
  }

  /** Journaled in-place write into a file (small: headers, records). */
  pwrite(relPath: string, offset: number, bytes: Uint8Array): void {
    this.ops.push({ op: 'pwrite', path: normalize(relPath), pos: offset, data: Buffer.from(bytes).toString('base64') });
  }

  truncate(relPath: string, length: number): void {
    this.ops.push({ op: 'truncate', path: normalize(relPath), length });
  }

  /** Journaled rename that replaces `to`. */
  rename(fromRel: string, toRel: string): void {
    const to = normalize(toRel);
    this.dropUnlinks(to);
    this.ops.push({ op: 'rename', path: normalize(fromRel), to });
  }

  mkdir(relPath: string): void {
    this.ops.push({ op: 'mkdir', path: normalize(relPath) });
  }

  /** Removes an (emptied) folder; a folder that is gone already is fine. */
  removeDir(relPath: string): void {
    this.ops.push({ op: 'rmdir', path: normalize(relPath) });
  }

  /**
   * Not journaled: written and fsynced before the commit point. Only for space that no
   * committed state references (a free block slot, past a map's committed length), so a
   * crash before the commit point leaves nothing visible.
   */
  writeUnreferenced(relPath: string, offset: number, bytes: Uint8Array | readonly Uint8Array[]): void {
    this.prewrites.push({ path: normalize(relPath), pos: offset, data: bytes });
  }

  /**
   * relPath is created at the commit point from tmpRel, a temporary (see temporaryPath) that
   * the caller filled outside the transaction: fsynced with its folder before the commit
   * point, renamed in place after it (in op order, so after a mkdir of its folder). A crash
   * before the commit point leaves only the temporary, which recovery sweeps.
   */
  adoptFile(tmpRel: string, relPath: string): void {
    const tmp = normalize(tmpRel);
    this.syncFirst.add(tmp);
    this.syncDirsFirst.add(parentOf(tmp));
    this.rename(tmp, relPath);
  }

  /** relPath was written outside the transaction (e.g. spilled disk blocks): fsync it before the commit point. */
  syncBeforeCommit(relPath: string): void {
    this.syncFirst.add(normalize(relPath));
  }

  /** Runs once build() has returned, before anything is written (last-minute ops such as trimming). */
  beforeCommit(callback: () => void): void {
    this.before.push(callback);
  }

  /** @internal */
  runBefore(): void {
    for (let index = 0; index < this.before.length; index++) this.before[index]();
  }

  onCommitted(callback: () => void): void {
    this.committed.push(callback);
  }

  /** Called when the commit fails before its commit point: in-memory state should be reloaded. */
  onAborted(callback: () => void): void {
    this.aborted.push(callback);
  }

  /** @internal */
  runCommitted(): void {
    for (const callback of this.committed) callback();
  }

  /** @internal */
  runAborted(): void {
    for (const callback of this.aborted) {
      try {
        callback();
      } catch {
        // the original failure is what the caller needs to see
      }
    }
  }

  /**
   * Where a new file's temporary goes: beside it, or, when its folder is made by this
   * transaction, in the nearest folder that exists already (so that a crash before the
   * commit point leaves no new folder behind, only temporaries that recovery sweeps).
   */
  private temporaryBase(rel: string): string {
    let dir = parentOf(rel);
    const made = (d: string): boolean => this.ops.some((op) => op.op === 'mkdir' && op.path === d);
    if (!made(dir)) return rel;
    while (dir !== '' && made(dir) && !this.store.exists(dir)) dir = parentOf(dir);
    const inside = dir === '' ? rel : rel.slice(dir.length + 1);
    const flat = inside.split(/[\\/]/).join('%');
    return dir === '' ? flat : `${dir}/${flat}`;
  }

  private dropUnlinks(rel: string): void {
    // An unlink followed by a rename onto the same name would not be idempotent on replay.
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const op = this.ops[i];
      if (op.op === 'unlink' && op.path === rel) this.ops.splice(i, 1);
    }
  }
}

/** The folder of a normalized store path ('' for the store root). */
function parentOf(rel: string): string {
  if (path.isAbsolute(rel)) return path.dirname(rel);
  const at = rel.lastIndexOf('/');
  return at < 0 ? '' : rel.slice(0, at);
}

/**
 * A fresh temporary name beside relPath, for content a caller builds up before a commit
 * (Transaction.adoptFile): recovery sweeps it if the process dies before the commit point.
 */
export function temporaryPath(relPath: string): string {
  const rel = normalize(relPath);
  return `${rel}.${randomUUID().slice(0, 8)}${TMP_SUFFIX}`;
}

function normalize(relPath: string): string {
  // An absolute path names a file outside the store that the store's journal covers too
  // (a VM's SnapshotFileLocation, SPEC R22). Never with '..'.
  if (path.isAbsolute(relPath)) {
    if (relPath.split(/[\\/]/).includes('..')) throw new Error(`bad store path '${relPath}'`);
    return path.normalize(relPath);
  }
  const rel = relPath.split(path.sep).join('/');
  if (rel.startsWith('/') || rel.split('/').includes('..') || rel.length === 0) throw new Error(`bad store path '${relPath}'`);
  return rel;
}

export function encodeSequence(seq: number): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeBigUInt64LE(BigInt(seq), 0);
  bytes.writeUInt32LE(crc32(bytes.subarray(0, 8)), 8);
  bytes.write('CLSQ', 12, 'latin1');
  return bytes;
}

export class Store {
  private readonly lock: FileLock;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly verifiers: Verifier[] = [];
  private lastSequence = 0;
  private storeId = '';
  private recoveryNeeded = false;
  /** lab.json as the lock-free open read it (handed on once, see takeOpenedLab). */
  private opened: { seq: number; data: LabFile } | undefined;
  /** Callers between beginTemporaries() and endTemporaries(), and whether this instance wrote lab.sweep. */
  private pendingTemporaries = 0;
  private sweepMarked = false;

  private constructor(
    readonly root: string,
    readonly io: Io,
    readonly lockTimeoutMs: number,
  ) {
    this.lock = new FileLock(path.join(root, LOCK_FILE));
  }

  get id(): string {
    return this.storeId;
  }

  /** Sequence of the last commit this instance made or saw. */
  get knownSequence(): number {
    return this.lastSequence;
  }

  static async open(root: string, options: { lockTimeoutMs?: number; io?: Io } = {}): Promise<Store> {
    const io = options.io ?? new NodeIo();
    const absolute = path.resolve(root);
    if (!io.exists(absolute)) io.mkdir(absolute);
    const store = new Store(absolute, io, options.lockTimeoutMs ?? 5000);
    if (!store.openWithoutLock()) await store.withLock(() => store.openUnderLock());
    return store;
  }

  /**
   * lab.json's data as open() read it without the lock, with the sequence it belongs to;
   * undefined when open() took the locked path or it was taken already. Saves a reader a
   * second parse of a file that is megabytes at 50 VMs x 50 checkpoints.
   */
  takeOpenedLab(): { seq: number; data: LabFile } | undefined {
    const opened = this.opened;
    this.opened = undefined;
    return opened;
  }

  /**
   * True while a commit is being applied (its journal record is written and not yet
   * cleared) or an interrupted one awaits recovery. A reader that does not take the lock
   * reads lab.seq, then the files, then checks this and lab.seq again: when this is false
   * and the sequence did not move, no commit touched anything in between (a commit writes
   * its record before it changes any file, bumps lab.seq last, and clears the record after).
   */
  journalPending(): boolean {
    try {
      return this.io.size(this.abs(JOURNAL_FILE)) > 0;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /**
   * A caller is about to create temporaries (temporaryPath) that outlive one commit (a new
   * VM's pool, filled before the commit that adopts it): marks the store so that recovery
   * sweeps them if the process dies. Call endTemporaries() once they are adopted or deleted.
   */
  beginTemporaries(): void {
    if (this.pendingTemporaries === 0 && !this.sweepMarked) {
      this.io.writeFile(this.abs(SWEEP_FILE), new Uint8Array(0));
      this.sweepMarked = true;
    }
    this.pendingTemporaries++;
  }

  /**
   * See beginTemporaries(). Never throws (a marker left behind only costs one sweep).
   * leftBehind: a temporary could not be deleted; lab.sweep stays for the next recovery.
   */
  endTemporaries(options: { leftBehind?: boolean } = {}): void {
    if (this.pendingTemporaries > 0) this.pendingTemporaries--;
    if (options.leftBehind) this.sweepMarked = false;
    if (this.pendingTemporaries > 0 || !this.sweepMarked) return;
    this.sweepMarked = false;
    try {
      this.io.unlink(this.abs(SWEEP_FILE));
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      // the next recovery sweeps and removes it
    }
  }

  abs(relPath: string): string {
    const rel = normalize(relPath);
    if (path.isAbsolute(rel)) return rel;
    return path.join(this.root, ...rel.split('/'));
  }

  exists(relPath: string): boolean {
    return this.io.exists(this.abs(relPath));
  }

  readFile(relPath: string): Buffer {
    try {
      return this.io.readFile(this.abs(relPath));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw new StoreFileError(relPath, 'the file is missing.');
      throw new StoreFileError(relPath, `the file cannot be read (${(error as Error).message}).`);
    }
  }

  readJson<T>(relPath: string): T {
    return decodeJson<T>(relPath, this.readFile(relPath));
  }

  /** Cheap, lock-free: the sequence number of the store's last commit (by any process). */
  readSequence(): number {
    const file = this.abs(SEQUENCE_FILE);
    for (let attempt = 0; ; attempt++) {
      let bytes: Buffer;
      try {
        bytes = this.io.readFile(file);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return 0;
        throw error;
      }
      if (bytes.length === 16 && bytes.toString('latin1', 12, 16) === 'CLSQ' && bytes.readUInt32LE(8) === crc32(bytes.subarray(0, 8))) {
        return Number(bytes.readBigUInt64LE(0));
      }
      if (attempt >= 3) throw new StoreFileError(SEQUENCE_FILE, 'the file is damaged.');
    }
  }

  /** True when another process committed since this instance last looked (drop caches then). */
  changedElsewhere(): boolean {
    return this.readSequence() !== this.lastSequence;
  }

  /** Marks the current sequence as seen (after reloading caches). */
  markSeen(): number {
    this.lastSequence = this.readSequence();
    return this.lastSequence;
  }

  addVerifier(verifier: Verifier): void {
    this.verifiers.push(verifier);
  }

  /**
   * R31: runs fn holding the store's lock; recovers first if needed. Calls queue one behind
   * the other and are not re-entrant: fn must not call withLock on this store (it would
   * wait for itself). Re-entrancy once came from an AsyncLocalStorage, which costs every
   * promise of the process a hook (a third of a 200 MB Roll In's time) and leaked the "held"
   * mark into callbacks scheduled from inside fn that ran after the lock was released.
   */
  withLock<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      await this.lock.acquire(this.lockTimeoutMs);
      try {
        this.recoverIfNeeded();
        return await fn();
      } finally {
        this.lock.release();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** One atomic, durable operation (R28). Takes the lock for the call when not inside withLock. */
  commit(build: (tx: Transaction) => void): void {
    if (this.lock.isHeld) {
      this.commitLocked(build);
      return;
    }
    this.lock.acquireSync(this.lockTimeoutMs);
    try {
      this.recoverIfNeeded();
      this.commitLocked(build);
    } finally {
      this.lock.release();
    }
  }

  /** R29: checks every metadata file, the journal and every registered layer's references. Changes nothing. */
  verify(): Problem[] {
    const problems: Problem[] = [];
    const journal = this.abs(JOURNAL_FILE);
    if (this.io.exists(journal) && this.io.size(journal) > 0) {
      problems.push({ file: JOURNAL_FILE, problem: 'an interrupted operation has not been recovered yet.' });
    }
    try {
      this.readSequence();
    } catch (error) {
      problems.push({ file: SEQUENCE_FILE, problem: (error as Error).message });
    }
    if (!this.exists(LAB_FILE)) problems.push({ file: LAB_FILE, problem: 'the file is missing.' });
    for (const rel of this.listFiles()) {
      if (!METADATA_EXTENSIONS.some((ext) => rel.endsWith(ext))) continue;
      try {
        this.readJson(rel);
      } catch (error) {
        problems.push({ file: rel, problem: error instanceof StoreFileError ? error.message.slice(rel.length + 2) : String(error) });
      }
    }
    for (const verifier of [...globalVerifiers, ...this.verifiers]) {
      try {
        problems.push(...verifier(this));
      } catch (error) {
        problems.push({ file: '', problem: `verification failed: ${(error as Error).message}` });
      }
    }
    return problems;
  }

  /** Every file under the store (relative, '/'-separated), except backups, lock and temporaries. */
  listFiles(under = ''): string[] {
    const out: string[] = [];
    this.walk(
      under,
      (child, name, isDirectory) => {
        if (child === name && name === LOCK_FILE) return false;
        if (isDirectory()) return true;
        if (!name.endsWith(TMP_SUFFIX)) out.push(child);
        return false;
      },
      true,
    );
    return out;
  }

  // ---------------------------------------------------------------- internals

  /**
   * The common open: nothing to recover (empty journal, no lab.sweep) and lab.json in the
   * current format. One read and one parse of lab.json, no lock, no walk of the store.
   * False sends open() down the locked path, which recovers, migrates or reports.
   */
  private openWithoutLock(): boolean {
    try {
      if (this.journalPending() || this.io.exists(this.abs(SWEEP_FILE))) return false;
      const seq = this.readSequence();
      const { format, data } = decodeCurrent<LabFile>(LAB_FILE, this.io.readFile(this.abs(LAB_FILE)));
      if (format !== STORE_FORMAT || data === undefined || data === null || typeof data.storeId !== 'string') return false;
      if (this.journalPending() || this.readSequence() !== seq) return false;
      this.storeId = data.storeId;
      this.lastSequence = seq;
      this.opened = { seq, data };
      return true;
    } catch {
      return false; // the locked path reports what is wrong
    }
  }

  private openUnderLock(): void {
    this.recover(true);
    const labPath = this.abs(LAB_FILE);
    if (!this.io.exists(labPath)) {
      const others = this.io.readdir(this.root).filter((name) => STORE_DIRS.includes(name));
      const hasData = others.some((dir) => this.io.readdir(path.join(this.root, dir)).length > 0);
      if (hasData) throw new StoreFileError(LAB_FILE, 'the file is missing, but the store holds virtual machine files.');
      const storeId = randomUUID();
      this.commitLocked((tx) => {
        for (const dir of STORE_DIRS) tx.mkdir(dir);
        tx.writeJson(LAB_FILE, { storeId, vms: [] } satisfies LabFile);
      });
    }
    const { format, data } = decodeCurrent<LabFile>(LAB_FILE, this.io.readFile(labPath));
    if (format === undefined) throw new StoreFileError(LAB_FILE, 'the file has no format version.');
    if (format > STORE_FORMAT) {
      throw new LabError(
        'StoreFormatNewer',
        `The lab store '${this.root}' was written by a newer Checkpoint Lab (store format ${format}); this version reads store format ${STORE_FORMAT}.`,
      );
    }
    if (format < STORE_FORMAT) runMigrations(this, format);
    const lab = format < STORE_FORMAT ? this.readJson<LabFile>(LAB_FILE) : data!;
    if (typeof lab.storeId !== 'string') throw new StoreFileError(LAB_FILE, 'the file has no store Id.');
    this.storeId = lab.storeId;
    this.lastSequence = this.readSequence();
  }

  private recoverIfNeeded(): void {
    if (this.recoveryNeeded || this.journalPending() || (this.pendingTemporaries === 0 && this.io.exists(this.abs(SWEEP_FILE)))) this.recover(false);
  }

  /** R28: roll the interrupted commit forward (or drop a torn record), then reclaim orphans. */
  private recover(sweepTemporaries: boolean): void {
    const journal = this.abs(JOURNAL_FILE);
    const sweepFile = this.abs(SWEEP_FILE);
    const marked = this.pendingTemporaries === 0 && this.io.exists(sweepFile);
    if (marked) sweepTemporaries = true;
    if (this.io.exists(journal) && this.io.size(journal) > 0) {
      const record = decodeRecord(this.io.readFile(journal));
      if (record) this.apply(record, true);
      this.io.truncate(journal, 0);
      this.io.fsync(journal);
      sweepTemporaries = true;
    }
    if (sweepTemporaries) {
      for (const rel of this.listTemporaries()) {
        try {
          this.io.unlink(this.abs(rel));
        } catch (error) {
          if (errnoCode(error) !== 'ENOENT') throw error;
        }
      }
      if (marked) {
        try {
          this.io.unlink(sweepFile);
        } catch (error) {
          if (errnoCode(error) !== 'ENOENT') throw error;
        }
        this.sweepMarked = false;
      }
    }
    this.recoveryNeeded = false;
  }

  private listTemporaries(): string[] {
    const out: string[] = [];
    this.walk('', (child, name, isDirectory) => {
      if (!name.endsWith(TMP_SUFFIX)) return isDirectory();
      out.push(child);
      return false;
    });
    return out;
  }

  /**
   * Walks the store below `rel` depth first, leaving out Backups. `visit` gets each
   * entry's relative path and name and returns true to descend into it; it asks
   * isDirectory() only where it needs to, so plain files cost no stat.
   */
  private walk(rel: string, visit: (child: string, name: string, isDirectory: () => boolean) => boolean, sorted = false): void {
    const dir = rel ? this.abs(rel) : this.root;
    let names: string[];
    try {
      names = this.io.readdir(dir);
    } catch {
      return;
    }
    if (sorted) names.sort();
    for (const name of names) {
      if (!rel && name === BACKUP_DIR) continue;
      const child = rel ? `${rel}/${name}` : name;
      if (visit(child, name, () => this.io.isDirectory(path.join(dir, name)))) this.walk(child, visit, sorted);
    }
  }

  private commitLocked(build: (tx: Transaction) => void): void {
    if (this.recoveryNeeded) this.recover(false);
    const tx = new Transaction(this, this.readSequence() + 1);
    try {
      build(tx);
      tx.runBefore();
    } catch (error) {
      tx.runAborted();
      throw error;
    }
    tx.pwrite(SEQUENCE_FILE, 0, encodeSequence(tx.sequence));
    const record: JournalRecord = { seq: tx.sequence, ops: tx.ops };
    const journal = this.abs(JOURNAL_FILE);
    let current = JOURNAL_FILE;
    let temporaries = false;
    try {
      // A. prewrites, fsynced with their folders (temporaries only once lab.sweep marks them)
      const toSync = new Set<string>(tx.syncFirst);
      const dirs = new Set<string>();
      if (tx.newFiles.length > 0) {
        current = tx.newFiles[0].path; // the marker is part of writing them: name what the user knows
        this.beginTemporaries();
        temporaries = true;
      }
      for (const file of tx.newFiles) {
        current = file.path;
        const tmp = this.abs(file.tmp);
        const dir = path.dirname(tmp);
        if (!this.io.exists(dir)) {
          this.io.mkdir(dir);
          dirs.add(path.dirname(dir));
        }
        this.io.writeFile(tmp, file.data);
        toSync.add(file.tmp);
        dirs.add(dir);
      }
      for (const write of tx.prewrites) {
        current = write.path;
        this.io.pwrite(this.abs(write.path), write.pos, write.data);
        toSync.add(write.path);
      }
      for (const rel of toSync) {
        current = rel;
        this.io.fsync(this.abs(rel));
      }
      for (const dir of tx.syncDirsFirst) dirs.add(dir === '' ? this.root : this.abs(dir));
      for (const dir of dirs) this.io.fsyncDir(dir);
      // B. the commit point
      current = JOURNAL_FILE;
      const isNew = !this.io.exists(journal);
      this.io.pwrite(journal, 0, encodeRecord(record));
      this.io.fsync(journal);
      if (isNew) this.io.fsyncDir(this.root);
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      this.cleanupFailed(tx);
      if (temporaries) this.endTemporaries();
      tx.runAborted();
      if (errnoCode(error) === 'ENOSPC') throw new StoreFullError(current);
      if (error instanceof LabError) throw error;
      throw new StoreIoError(current, error);
    }
    // C. apply; on failure the journal rolls it forward
    try {
      this.apply(record, false);
      this.io.truncate(journal, 0);
      if (temporaries) {
        temporaries = false;
        this.endTemporaries();
      }
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      this.recoveryNeeded = true;
      // the journal record now marks the store for recovery, which sweeps temporaries too
      if (temporaries) this.endTemporaries();
      try {
        this.recover(false);
      } catch {
        tx.runAborted();
        throw new LabError(
          'StoreRecoveryNeeded',
          `The operation was recorded but could not be completed (${(error as Error).message}); it will be completed when the store is next opened.`,
        );
      }
    }
    this.lastSequence = tx.sequence;
    tx.runCommitted();
  }

  private cleanupFailed(tx: Transaction): void {
    try {
      for (const file of tx.newFiles) {
        const tmp = this.abs(file.tmp);
        if (this.io.exists(tmp)) this.io.unlink(tmp);
      }
      // adopted temporaries belong to their caller, who deletes them (onAborted)
      const journal = this.abs(JOURNAL_FILE);
      if (this.io.exists(journal) && this.io.size(journal) > 0) this.io.truncate(journal, 0);
    } catch {
      // the next recovery sweeps what is left
    }
  }

  private apply(record: JournalRecord, replay: boolean): void {
    const files = new Set<string>();
    const dirs = new Set<string>();
    const { ops } = record;
    const goneLater = (index: number, rel: string): boolean =>
      ops.slice(index + 1).some((op) => (op.op === 'rename' || op.op === 'unlink') && op.path === rel);
    ops.forEach((op, index) => {
      const file = this.abs(op.path);
      switch (op.op) {
        case 'pwrite':
          if (replay && !this.io.exists(file) && goneLater(index, op.path)) return;
          this.io.pwrite(file, op.pos, Buffer.from(op.data, 'base64'));
          files.add(file);
          return;
        case 'truncate':
          if (!this.io.exists(file)) {
            if (replay && goneLater(index, op.path)) return;
            this.io.pwrite(file, 0, Buffer.alloc(0));
          }
          this.io.truncate(file, op.length);
          files.add(file);
          return;
        case 'rename': {
          if (replay && !this.io.exists(file)) return;
          // a replay skips the writes to a file that was renamed already, so they must be
          // durable before the name moves (a power cut keeps the rename and may drop them)
          if (files.delete(file)) this.io.fsync(file);
          const to = this.abs(op.to);
          this.io.rename(file, to);
          dirs.add(path.dirname(file));
          dirs.add(path.dirname(to));
          return;
        }
        case 'unlink':
          try {
            this.io.unlink(file);
          } catch (error) {
            if (errnoCode(error) !== 'ENOENT') throw error;
          }
          files.delete(file);
          dirs.add(path.dirname(file));
          return;
        case 'rmdir':
          if (this.io.exists(file)) {
            this.io.rmdir(file);
            dirs.add(path.dirname(file));
          }
          return;
        case 'mkdir':
          if (!this.io.exists(file)) {
            this.io.mkdir(file);
            dirs.add(path.dirname(file));
          }
          return;
      }
    });
    for (const file of files) if (this.io.exists(file)) this.io.fsync(file);
    for (const dir of dirs) if (this.io.exists(dir)) this.io.fsyncDir(dir);
  }
}
