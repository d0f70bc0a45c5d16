/**
 * One VM's virtual hard disks: a tree of differencing disks over one block pool.
 *
 * On disk (under `Virtual Hard Disks/<VM Id>/`):
 *   blocks.pool             4 KiB slots of guest data; a slot belongs to at most one disk
 *   disk0.vhdx              the base disk: a block map (diskFile.ts), not the data
 *   disk0_<GUID>.avhdx      differencing disks: the same map format, with a parent name
 * A disk maps virtual block -> pool slot (or "zeroed"); a read resolves a block in the newest
 * disk of the chain that has it, zeros if none (R26). Why this shape:
 *   - sparse: a new 64 GiB disk is a 512-byte header and an empty pool;
 *   - freeze (R7) is O(1): flag the disk frozen and create an empty child;
 *   - merge (R16, R20) moves no data: the smaller of the two maps is folded into the larger
 *     (as ReFS block clone remaps extents), so its cost follows the smaller side;
 *   - copy-on-write: data only ever goes to free slots and is referenced by a commit, so a
 *     crash leaves the before state, and freed slots are reused only after their commit (R28, R30);
 *   - reads cost the same at any depth (R27): each open view keeps one flattened map,
 *     built once from the chain and updated incrementally by commits.
 * Writes are buffered in memory, spilled to free slots when they grow, and referenced
 * only by commitWrites() inside a store commit; the whole blocks of large writes skip the
 * buffer and go straight from the caller's buffer to free slots (still copy-on-write).
 */
import { randomUUID } from 'node:crypto';
import { LabError, StoreFileError } from '../errors';
import { crc32 } from '../store/codec';
import { errnoCode } from '../store/io';
import { type Problem, registerVerifier, type Store, StoreFullError, temporaryPath, type Transaction } from '../store/store';
import { type BlockDevice, checkRange } from './blockDevice';
import { ABSENT, BlockMap, ZERO_BLOCK } from './blockMap';
import { decodeDiskFile, ENTRY_SIZE, encodeHeader, HEADER_SIZE } from './diskFile';

export const BLOCK_SIZE = 4096;
export const MAX_CAPACITY = 64 * 1024 ** 3;
export const DISKS_DIR = 'Virtual Hard Disks';
export const POOL_FILE = 'blocks.pool';
const DEFAULT_SPILL_BYTES = 32 * 1024 * 1024;
const DEFAULT_DIRECT_WRITE_BYTES = 64 * 1024;
/** Pool bytes written outside a commit after which the device is asked to start writing them back. */
const WRITEBACK_BYTES = 16 * 1024 * 1024;
const DISK_NAME = /^(disk\d+)(?:_([0-9a-fA-F-]{36}))?\.(a?vhdx)$/;

export interface VmDisksOptions {
  /** Dirty bytes held in memory before they are spilled to free slots (default 32 MiB). */
  spillThresholdBytes?: number;
  /**
   * Writes whose whole-block part is at least this long go straight from the caller's buffer
   * to free pool slots instead of being copied into memory (default 64 KiB; tests lower it).
   */
  directWriteBytes?: number;
  /** GUID source for new differencing disks (tests make it deterministic). */
  newGuid?: () => string;
}

export interface DiskInfo {
  file: string;
  parent: string | null;
  frozen: boolean;
  children: string[];
  /** Bytes of pool blocks this disk itself holds. */
  ownBytes: number;
}

export interface DiskUsage {
  /** What deleting just this view's checkpoint would free, by R16 (its disk deleted or merged). */
  exclusiveBytes: number;
  /** Bytes this view reads from blocks that another of the given views reads too. */
  sharedBytes: number;
  /** Bytes of blocks this view reads (its whole chain). */
  referencedBytes: number;
}

interface WriteBuffer {
  dirty: Map<number, Uint8Array>;
  pending: BlockMap;
}

interface DiskNode {
  name: string;
  parent: string | null;
  frozen: boolean;
  capacity: number;
  map: BlockMap;
  entryCount: number;
  entriesCrc: number;
  children: Set<string>;
  writes?: WriteBuffer;
  /** See DiskHeader.generation. */
  generation: number;
}

export class DiskReadOnlyError extends LabError {
  constructor(file: string) {
    super('DiskReadOnly', `The virtual hard disk '${file}' is read-only.`);
  }
}

function diskError(code: string, message: string): LabError {
  return new LabError(code, message);
}

/** A device handed out by VmDisks.device(): dispose() it when done, or VmDisks keeps it until close(). */
export interface DiskBlockDevice extends BlockDevice {
  /** The disk file it reads (follows merges: a merged disk keeps the parent's name). */
  readonly file: string;
  /** True once disposed, or when its disk was deleted or the disks closed. */
  readonly removed: boolean;
  /** Releases the device (idempotent); using it afterwards fails as for a removed disk. */
  dispose(): void;
}

class DiskDevice implements DiskBlockDevice {
  removed = false;
  constructor(
    private readonly owner: VmDisks,
    public file: string,
    readonly mode: 'rw' | 'ro',
    readonly capacity: number,
  ) {}
  get readOnly(): boolean {
    return this.mode === 'ro' || this.owner.isFrozen(this.file);
  }
  read(buffer: Uint8Array, offset: number, length: number, position: number): void {
    checkRange(this, length, position);
    this.owner.readView(this.alive(), buffer, offset, length, position);
  }
  write(buffer: Uint8Array, offset: number, length: number, position: number): void {
    checkRange(this, length, position);
    if (this.readOnly) throw new DiskReadOnlyError(this.file);
    this.owner.writeView(this.alive(), buffer, offset, length, position);
  }
  flush(): void {
    this.alive();
  }
  discard(position: number, length: number): void {
    checkRange(this, length, position);
    if (this.readOnly) throw new DiskReadOnlyError(this.file);
    this.owner.discardView(this.alive(), position, length);
  }
  allocatedRanges(): Array<{ position: number; length: number }> {
    return this.owner.allocatedRanges(this.alive(), this.capacity);
  }
  dispose(): void {
    this.removed = true;
    this.owner.releaseDevice(this);
  }
  private alive(): string {
    if (this.removed) throw diskError('DiskRemoved', `The virtual hard disk '${this.file}' no longer exists.`);
    return this.file;
  }
}

export class VmDisks {
  private readonly nodes = new Map<string, DiskNode>();
  /** Disk files that failed to load: file -> problem. */
  readonly damaged = new Map<string, string>();
  private readonly views = new Map<string, BlockMap>();
  private readonly devices = new Set<DiskDevice>();
  // pool state
  private poolSlots = 0;
  private used = new Uint8Array(0);
  private slotCrc = new Uint32Array(0);
  private free: number[] = [];
  private readFd: number | undefined;
  private dirtyBytes = 0;
  private spilled = false;
  /** Pool bytes written (spilled or direct) since the last background writeback was started. */
  private unsyncedPoolBytes = 0;
  private readonly abortHooked = new WeakSet<Transaction>();
  private readonly trimHooked = new WeakSet<Transaction>();
  private readonly replacedIn = new WeakMap<Transaction, Set<string>>();
  /** Data bytes copied by merges (R20: stays 0); for benchmarks and tests. */
  copiedDataBytes = 0;
  readonly dir: string;
  private readonly spillThreshold: number;
  private readonly directWriteBytes: number;
  private readonly newGuid: () => string;
  /**
   * Disks made by prepare() and not committed yet: they exist only in memory and in a
   * temporary pool file beside the VM's folder, until a commit creates the folder, the
   * base disk file and renames the pool into place (all in that one transaction).
   */
  private pending: { poolTmp: string } | undefined;
  private readonly createdIn = new WeakSet<Transaction>();

  private constructor(
    readonly store: Store,
    readonly vmId: string,
    options: VmDisksOptions,
  ) {
    this.dir = `${DISKS_DIR}/${vmId}`;
    this.spillThreshold = options.spillThresholdBytes ?? DEFAULT_SPILL_BYTES;
    this.directWriteBytes = Math.max(BLOCK_SIZE, options.directWriteBytes ?? DEFAULT_DIRECT_WRITE_BYTES);
    this.newGuid = options.newGuid ?? randomUUID;
  }

  // ------------------------------------------------------------ lifecycle

  /**
   * A new VM's disks: an empty sparse base disk0.vhdx of capacityBytes (a multiple of 4 KiB,
   * up to 64 GiB), created by tx. Writes to it (a format, an import) may be committed by
   * commitWrites() in the same transaction or a later one.
   */
  static create(store: Store, tx: Transaction, vmId: string, capacityBytes: number, options: VmDisksOptions = {}): VmDisks {
    const disks = VmDisks.prepare(store, vmId, capacityBytes, options);
    disks.commitCreate(tx);
    return disks;
  }

  /**
   * A new VM's disks, not yet in the store: write to them (format, import copy, which may
   * take many awaits), then commitWrites(tx) creates them with their data in ONE
   * transaction (R28: after a crash the VM's disks either do not exist or hold everything).
   * Until then nothing but a temporary pool file exists (swept by recovery after a crash);
   * close() deletes it.
   */
  static prepare(store: Store, vmId: string, capacityBytes: number, options: VmDisksOptions = {}): VmDisks {
    if (!Number.isInteger(capacityBytes) || capacityBytes < BLOCK_SIZE || capacityBytes > MAX_CAPACITY || capacityBytes % BLOCK_SIZE !== 0) {
      throw diskError('InvalidDiskSize', `The virtual disk size must be a multiple of 4 KiB between 4 KiB and 64 GiB (got ${capacityBytes} bytes).`);
    }
    const disks = new VmDisks(store, vmId, options);
    if (store.exists(disks.dir) && store.io.readdir(store.abs(disks.dir)).length > 0) {
      throw diskError('DiskExists', `The virtual hard disks of '${vmId}' already exist.`);
    }
    const base: DiskNode = {
      name: 'disk0.vhdx',
      parent: null,
      frozen: false,
      capacity: capacityBytes,
      map: new BlockMap(),
      entryCount: 0,
      entriesCrc: 0,
      children: new Set(),
      generation: 0,
    };
    // beside the VM's folder (which does not exist yet), in DISKS_DIR
    const poolTmp = temporaryPath(`${DISKS_DIR}/${vmId}.${POOL_FILE}`);
    let marked = false;
    try {
      // recovery sweeps the temporary if the process dies before the commit that adopts it
      store.beginTemporaries();
      marked = true;
      store.io.writeFile(store.abs(poolTmp), new Uint8Array(0));
    } catch (error) {
      if (marked) store.endTemporaries();
      if (errnoCode(error) === 'ENOSPC') throw new StoreFullError(poolTmp);
      throw error;
    }
    disks.pending = { poolTmp };
    disks.nodes.set(base.name, base);
    return disks;
  }

  /** True until the transaction that creates prepared disks has committed. */
  get isPending(): boolean {
    return this.pending !== undefined;
  }

  /** The creation of prepared disks, as part of tx: folder, base disk file, the pool renamed into place. */
  private commitCreate(tx: Transaction): void {
    const pending = this.pending;
    if (!pending || this.createdIn.has(tx)) return;
    this.createdIn.add(tx);
    this.hookAbort(tx);
    const base = this.node('disk0.vhdx');
    tx.mkdir(this.dir);
    tx.writeFile(this.rel(base.name), this.header(base));
    // written whole (not appended to) by any later change in this transaction: it is not at its name yet
    this.markReplaced(tx, this.rel(base.name));
    tx.adoptFile(pending.poolTmp, this.rel(POOL_FILE));
    tx.onCommitted(() => {
      this.pending = undefined;
      this.store.endTemporaries();
      // the open handle follows the renamed file, but start afresh on the final name
      if (this.readFd !== undefined) this.store.io.close(this.readFd);
      this.readFd = undefined;
    });
  }

  static load(store: Store, vmId: string, options: VmDisksOptions = {}): VmDisks {
    const disks = new VmDisks(store, vmId, options);
    if (!store.exists(disks.dir)) throw new StoreFileError(disks.dir, 'the folder of the virtual hard disks is missing.');
    disks.loadFromFiles();
    return disks;
  }

  /** Deletes every disk file of the VM and its pool (Remove VM). */
  static removeAll(tx: Transaction, vmId: string): void {
    const dir = `${DISKS_DIR}/${vmId}`;
    const { store } = tx;
    if (!store.exists(dir)) return;
    for (const name of store.io.readdir(store.abs(dir))) tx.deleteFile(`${dir}/${name}`);
    tx.removeDir(dir);
  }

  /** Closes the pool's read handle (and deletes the pool of uncommitted prepared disks); the object is unusable afterwards. */
  close(): void {
    if (this.readFd !== undefined) this.store.io.close(this.readFd);
    this.readFd = undefined;
    if (this.pending) {
      const tmp = this.store.abs(this.pending.poolTmp);
      this.pending = undefined;
      try {
        this.store.io.unlink(tmp);
        this.store.endTemporaries();
      } catch {
        // recovery sweeps temporaries on the next open (lab.sweep stays until then)
        this.store.endTemporaries({ leftBehind: true });
      }
    }
    for (const device of this.devices) device.removed = true;
    this.devices.clear();
  }

  // ------------------------------------------------------------ queries

  list(): DiskInfo[] {
    return [...this.nodes.values()].map((node) => ({
      file: node.name,
      parent: node.parent,
      frozen: node.frozen,
      children: [...node.children].sort(),
      ownBytes: this.ownSlots(node) * BLOCK_SIZE,
    }));
  }

  has(diskFile: string): boolean {
    return this.nodes.has(diskFile);
  }

  isFrozen(diskFile: string): boolean {
    return this.node(diskFile).frozen;
  }

  /** Disk file -> its path relative to the store root. */
  rel(diskFile: string): string {
    return `${this.dir}/${diskFile}`;
  }

  hasUncommittedWrites(): boolean {
    for (const node of this.nodes.values()) if (node.writes && (node.writes.dirty.size > 0 || node.writes.pending.size > 0)) return true;
    return false;
  }

  /**
   * A block device on diskFile. 'rw' needs a disk that is not frozen (Now's) and follows it:
   * after freeze it writes to the new child, after a merge it keeps the merged name. 'ro'
   * reads the disk as it is (a checkpoint's view).
   */
  device(diskFile: string, mode: 'rw' | 'ro'): DiskBlockDevice {
    const node = this.node(diskFile);
    if (mode === 'rw' && node.frozen) throw new DiskReadOnlyError(diskFile);
    const device = new DiskDevice(this, diskFile, mode, node.capacity);
    this.devices.add(device);
    return device;
  }

  /** Devices handed out and not yet disposed (leak checks). */
  get openDeviceCount(): number {
    return this.devices.size;
  }

  /** @internal DiskDevice.dispose() */
  releaseDevice(device: BlockDevice): void {
    this.devices.delete(device as DiskDevice);
  }

  // ------------------------------------------------------------ operations (inside store.commit)

  /** Makes every buffered write durable as part of tx (a guest write, R28). */
  commitWrites(tx: Transaction): void {
    this.checkCurrent();
    this.commitCreate(tx);
    this.hookAbort(tx);
    const freed: number[] = [];
    for (const node of this.nodes.values()) this.commitNodeWrites(tx, node, freed);
    this.releaseOnCommit(tx, freed);
    this.trimPool(tx);
  }

  /**
   * Bumps diskFile's write generation in tx without writing data (DiskHeader.generation):
   * for a change to a VM's Now that is not on its disk (its memory, /run).
   */
  touch(tx: Transaction, diskFile: string): void {
    this.checkCurrent();
    const node = this.node(diskFile);
    node.generation = (node.generation + 1) >>> 0;
    tx.pwrite(this.rel(node.name), 0, this.header(node));
  }

  /** R7: diskFile becomes read-only; returns the new empty child `disk0_<GUID>.avhdx` that takes the writes. O(1). */
  freeze(tx: Transaction, diskFile: string): string {
    this.checkCurrent();
    this.hookAbort(tx);
    const node = this.node(diskFile);
    if (node.frozen) throw diskError('DiskFrozen', `The virtual hard disk '${diskFile}' is already frozen.`);
    const freed: number[] = [];
    this.commitNodeWrites(tx, node, freed);
    this.releaseOnCommit(tx, freed);
    node.frozen = true;
    tx.pwrite(this.rel(node.name), 0, this.header(node));
    const child = this.addChild(tx, node);
    const view = this.views.get(node.name);
    if (view) {
      this.views.set(child.name, view);
      this.views.delete(node.name);
    }
    for (const device of this.devices) if (device.file === node.name && device.mode === 'rw') device.file = child.name;
    return child.name;
  }

  /** R11 (apply): a new empty differencing disk whose parent is the frozen parentFile. */
  createChild(tx: Transaction, parentFile: string): string {
    this.checkCurrent();
    this.hookAbort(tx);
    const parent = this.node(parentFile);
    if (!parent.frozen) throw diskError('DiskNotFrozen', `The virtual hard disk '${parentFile}' is not frozen; only a frozen disk can have differencing disks.`);
    return this.addChild(tx, parent).name;
  }

  /** Drops a disk that has no children (Now's differencing disk, on apply), with its buffered writes. */
  discard(tx: Transaction, diskFile: string): void {
    this.checkCurrent();
    this.hookAbort(tx);
    const node = this.node(diskFile);
    if (node.children.size > 0) throw diskError('DiskHasChildren', `The virtual hard disk '${diskFile}' has differencing disks and cannot be discarded.`);
    const freed: number[] = [];
    this.deleteNode(tx, node, freed);
    this.releaseOnCommit(tx, freed);
    this.trimPool(tx);
  }

  /**
   * R16/R19 for every disk not in `referenced` (the disks of checkpoints and Now): no child ->
   * deleted; one child -> merged, the pair keeping the parent's file name; two or more -> kept.
   * Merges remap blocks (R20). Returns old -> new names of disks that were merged away.
   */
  collapse(tx: Transaction, referenced: ReadonlySet<string>): Map<string, string> {
    this.checkCurrent();
    this.hookAbort(tx);
    for (const name of referenced) this.node(name);
    const refs = new Set(referenced);
    const renames = new Map<string, string>();
    const freed: number[] = [];
    if (this.damaged.size > 0) return renames; // the tree is not fully known: change nothing
    for (let changed = true; changed; ) {
      changed = false;
      for (const node of [...this.nodes.values()]) {
        if (refs.has(node.name) || !node.frozen || this.nodes.get(node.name) !== node) continue;
        if (node.children.size === 0) {
          this.deleteNode(tx, node, freed);
          changed = true;
        } else if (node.children.size === 1) {
          const child = this.node([...node.children][0]);
          const oldName = child.name;
          this.merge(tx, node, child, freed);
          if (refs.delete(oldName)) refs.add(node.name);
          for (const [from, to] of renames) if (to === oldName) renames.set(from, node.name);
          renames.set(oldName, node.name);
          changed = true;
        }
      }
    }
    this.releaseOnCommit(tx, freed);
    this.trimPool(tx);
    return renames;
  }

  /** R30: per view (checkpoint or Now disk) exclusive and shared bytes. */
  usage(viewFiles: readonly string[]): Map<string, DiskUsage> {
    const viewSet = new Set(viewFiles);
    const refcount = new Uint16Array(this.poolSlots);
    const tables = viewFiles.map((file) => this.viewTable(file));
    for (const table of new Set(tables)) table.forEach((_block, slot) => refcount[slot]++);
    const result = new Map<string, DiskUsage>();
    viewFiles.forEach((file, index) => {
      let shared = 0;
      let referenced = 0;
      tables[index].forEach((_block, slot) => {
        referenced++;
        if (refcount[slot] >= 2) shared++;
      });
      result.set(file, { exclusiveBytes: this.exclusiveBlocks(file, viewSet) * BLOCK_SIZE, sharedBytes: shared * BLOCK_SIZE, referencedBytes: referenced * BLOCK_SIZE });
    });
    return result;
  }

  private exclusiveBlocks(file: string, views: ReadonlySet<string>): number {
    const node = this.node(file);
    const overlap = (parent: DiskNode, child: DiskNode): number => {
      let count = 0;
      if (child.map.size < parent.map.size) {
        child.map.forEach((block) => {
          if (parent.map.get(block) >= 0) count++;
        });
      } else {
        parent.map.forEach((block, slot) => {
          if (slot >= 0 && child.map.has(block)) count++;
        });
      }
      return count;
    };
    if (node.children.size === 0) {
      // deleted; an unreferenced parent left with one child then merges with it
      let count = this.ownSlots(node);
      const parent = node.parent === null ? undefined : this.nodes.get(node.parent);
      if (parent && !views.has(parent.name) && parent.children.size === 2) {
        const other = [...parent.children].find((name) => name !== node.name)!;
        count += overlap(parent, this.node(other));
      }
      return count;
    }
    if (node.children.size === 1) return overlap(node, this.node([...node.children][0]));
    return 0;
  }

  /** Pool bytes on disk vs bytes referenced by some disk (R30). */
  space(): { poolBytes: number; referencedBytes: number } {
    let referenced = 0;
    for (const node of this.nodes.values()) referenced += this.ownSlots(node);
    return { poolBytes: this.poolSlots * BLOCK_SIZE, referencedBytes: referenced * BLOCK_SIZE };
  }

  /** R29: precise problems of this VM's disk files; reads only. */
  verify(): Problem[] {
    const problems: Problem[] = [];
    for (const [file, problem] of this.damaged) problems.push({ file: this.rel(file), problem });
    const pool = this.rel(POOL_FILE);
    const owner = new Map<number, string>();
    for (const node of this.nodes.values()) {
      const file = this.rel(node.name);
      if (node.parent !== null && !this.nodes.has(node.parent) && !this.damaged.has(node.parent)) {
        problems.push({ file, problem: `its parent disk '${node.parent}' is missing.` });
      }
      node.map.forEach((block, slot) => {
        if (slot < 0) return;
        if (slot >= this.poolSlots) {
          problems.push({ file, problem: `block ${block} (at byte ${block * BLOCK_SIZE}) refers to slot ${slot}, which is missing from ${POOL_FILE}.` });
        } else if (owner.has(slot)) {
          problems.push({ file, problem: `block ${block} shares slot ${slot} with '${owner.get(slot)}'.` });
        } else owner.set(slot, node.name);
      });
    }
    if (owner.size > 0) {
      const poolPath = this.store.abs(pool);
      if (!this.store.io.exists(poolPath)) {
        problems.push({ file: pool, problem: 'the block pool is missing.' });
        return problems;
      }
      const fd = this.store.io.openRead(poolPath);
      try {
        const chunkSlots = 256;
        const chunk = Buffer.alloc(chunkSlots * BLOCK_SIZE);
        for (let first = 0; first < this.poolSlots; first += chunkSlots) {
          const count = Math.min(chunkSlots, this.poolSlots - first);
          let any = false;
          for (let slot = first; slot < first + count && !any; slot++) any = owner.has(slot);
          if (!any) continue;
          this.store.io.pread(fd, chunk, 0, count * BLOCK_SIZE, first * BLOCK_SIZE);
          for (let slot = first; slot < first + count; slot++) {
            const disk = owner.get(slot);
            if (disk === undefined) continue;
            const at = (slot - first) * BLOCK_SIZE;
            if (crc32(chunk.subarray(at, at + BLOCK_SIZE)) !== this.slotCrc[slot]) {
              problems.push({ file: pool, problem: `slot ${slot} (a block of '${disk}') fails its checksum.` });
            }
          }
        }
      } finally {
        this.store.io.close(fd);
      }
    }
    return problems;
  }

  // ------------------------------------------------------------ device internals

  /** @internal */
  readView(file: string, buffer: Uint8Array, offset: number, length: number, position: number): void {
    const node = this.node(file);
    const table = this.viewTable(file);
    const writes = node.writes;
    let done = 0;
    // Runs of consecutive slots are read with one pread.
    let runSlot = -1;
    let runStart = 0;
    let runLength = 0;
    const flush = (): void => {
      if (runLength > 0) this.readSlots(buffer, offset + runStart, runLength, runSlot, file);
      runLength = 0;
    };
    while (done < length) {
      const at = position + done;
      const block = Math.floor(at / BLOCK_SIZE);
      const within = at - block * BLOCK_SIZE;
      const count = Math.min(length - done, BLOCK_SIZE - within);
      let slot = ABSENT;
      const dirty = writes?.dirty.get(block);
      if (dirty !== undefined) {
        flush();
        buffer.set(dirty.subarray(within, within + count), offset + done);
        done += count;
        continue;
      }
      const pending = writes === undefined ? ABSENT : writes.pending.get(block);
      slot = pending !== ABSENT ? pending : table.get(block);
      if (slot < 0) {
        flush();
        buffer.fill(0, offset + done, offset + done + count);
      } else {
        const byteAt = slot * BLOCK_SIZE + within;
        if (runLength > 0 && runSlot + runLength === byteAt) runLength += count;
        else {
          flush();
          runSlot = byteAt;
          runStart = done;
          runLength = count;
        }
      }
      done += count;
    }
    flush();
  }

  private readSlots(buffer: Uint8Array, offset: number, length: number, poolPosition: number, file: string): void {
    if (this.readFd === undefined) this.readFd = this.store.io.openRead(this.store.abs(this.poolRel()));
    let done = 0;
    while (done < length) {
      const got = this.store.io.pread(this.readFd, buffer, offset + done, length - done, poolPosition + done);
      if (got === 0) {
        throw new StoreFileError(this.rel(POOL_FILE), `a block of '${file}' at pool offset ${poolPosition + done} is missing (the pool is truncated).`);
      }
      done += got;
    }
  }

  /** @internal */
  writeView(file: string, buffer: Uint8Array, offset: number, length: number, position: number): void {
    const node = this.node(file);
    const writes = (node.writes ??= { dirty: new Map(), pending: new BlockMap() });
    const firstFull = Math.ceil(position / BLOCK_SIZE) * BLOCK_SIZE;
    const fullEnd = Math.floor((position + length) / BLOCK_SIZE) * BLOCK_SIZE;
    if (fullEnd - firstFull >= this.directWriteBytes && this.writeDirect(writes, buffer, offset + firstFull - position, firstFull / BLOCK_SIZE, (fullEnd - firstFull) / BLOCK_SIZE)) {
      // the partial blocks at either end are merged with the disk's bytes in memory
      if (firstFull > position) this.writeBuffered(file, writes, buffer, offset, firstFull - position, position);
      if (position + length > fullEnd) this.writeBuffered(file, writes, buffer, offset + fullEnd - position, position + length - fullEnd, fullEnd);
    } else this.writeBuffered(file, writes, buffer, offset, length, position);
    if (this.dirtyBytes > this.spillThreshold) this.spill();
  }

  /**
   * Large aligned writes: the whole blocks go from the caller's buffer straight to free pool
   * slots (no copy in memory), recorded as pending like spilled blocks. Still copy-on-write:
   * the slots are unreferenced until commitWrites() (whose commit fsyncs the pool first), and
   * the caller may reuse its buffer at once since the bytes are already in the pool file.
   * Returns false (the caller buffers instead) when another process changed the store, as
   * spilling then would risk slots that process has taken; the commit reports it (DiskStale).
   */
  private writeDirect(writes: WriteBuffer, buffer: Uint8Array, at: number, firstBlock: number, count: number): boolean {
    if (this.store.readSequence() !== this.store.knownSequence) return false;
    const pool = this.poolRel();
    const poolPath = this.store.abs(pool);
    const slots = this.allocate(count);
    try {
      let runStart = 0;
      for (let index = 1; index <= count; index++) {
        if (index === count || slots[index] !== slots[index - 1] + 1) {
          this.store.io.pwrite(poolPath, slots[runStart] * BLOCK_SIZE, buffer.subarray(at + runStart * BLOCK_SIZE, at + index * BLOCK_SIZE));
          runStart = index;
        }
      }
    } catch (error) {
      for (const slot of slots) this.releaseNow(slot);
      if (errnoCode(error) === 'ENOSPC') throw new StoreFullError(pool);
      throw error;
    }
    this.spilled = true;
    this.wroteToPool(count * BLOCK_SIZE);
    const { byteOffset } = buffer;
    for (let index = 0; index < count; index++) {
      const slot = slots[index];
      this.slotCrc[slot] = crc32(new Uint8Array(buffer.buffer, byteOffset + at + index * BLOCK_SIZE, BLOCK_SIZE));
      const block = firstBlock + index;
      if (writes.dirty.delete(block)) this.dirtyBytes -= BLOCK_SIZE;
      const old = writes.pending.get(block);
      if (old >= 0) this.releaseNow(old);
      writes.pending.set(block, slot);
    }
    return true;
  }

  private writeBuffered(file: string, writes: WriteBuffer, buffer: Uint8Array, offset: number, length: number, position: number): void {
    let done = 0;
    // Large aligned writes: one copy, sliced per block.
    const firstFull = Math.ceil(position / BLOCK_SIZE) * BLOCK_SIZE;
    const fullEnd = Math.floor((position + length) / BLOCK_SIZE) * BLOCK_SIZE;
    const bulk = fullEnd - firstFull >= 16 * BLOCK_SIZE ? Uint8Array.prototype.slice.call(buffer, offset + firstFull - position, offset + fullEnd - position) : undefined; // a copy, even of a Buffer
    while (done < length) {
      const at = position + done;
      const block = Math.floor(at / BLOCK_SIZE);
      const within = at - block * BLOCK_SIZE;
      const count = Math.min(length - done, BLOCK_SIZE - within);
      let data: Uint8Array;
      if (count === BLOCK_SIZE) {
        data = bulk !== undefined && at >= firstFull && at < fullEnd ? new Uint8Array(bulk.buffer, bulk.byteOffset + at - firstFull, BLOCK_SIZE) : Uint8Array.prototype.slice.call(buffer, offset + done, offset + done + BLOCK_SIZE); // a plain copy (Buffer.from of a view copies through the slow array-like path)
      } else {
        const existing = writes.dirty.get(block);
        if (existing !== undefined) data = existing; // our own copy: change it in place
        else {
          data = Buffer.alloc(BLOCK_SIZE);
          this.readView(file, data, 0, BLOCK_SIZE, block * BLOCK_SIZE);
        }
        data.set(buffer.subarray(offset + done, offset + done + count), within);
      }
      this.setDirty(writes, block, data);
      done += count;
    }
  }

  /** @internal */
  discardView(file: string, position: number, length: number): void {
    const node = this.node(file);
    const writes = (node.writes ??= { dirty: new Map(), pending: new BlockMap() });
    const table = this.viewTable(file);
    const end = position + length;
    for (let at = position; at < end; ) {
      const block = Math.floor(at / BLOCK_SIZE);
      const blockStart = block * BLOCK_SIZE;
      const upto = Math.min(end, blockStart + BLOCK_SIZE);
      if (at === blockStart && upto === blockStart + BLOCK_SIZE) {
        if (writes.dirty.delete(block)) this.dirtyBytes -= BLOCK_SIZE;
        const pending = writes.pending.get(block);
        if (pending >= 0) this.releaseNow(pending);
        if (table.get(block) >= 0) writes.pending.set(block, ZERO_BLOCK);
        else writes.pending.delete(block);
      } else {
        this.writeView(file, new Uint8Array(upto - at), 0, upto - at, at);
      }
      at = upto;
    }
  }

  /** @internal */
  allocatedRanges(file: string, capacity: number): Array<{ position: number; length: number }> {
    const node = this.node(file);
    const blocks = new Set<number>();
    this.viewTable(file).forEach((block) => blocks.add(block));
    if (node.writes) {
      node.writes.pending.forEach((block, slot) => (slot >= 0 ? blocks.add(block) : blocks.delete(block)));
      for (const block of node.writes.dirty.keys()) blocks.add(block);
    }
    const sorted = [...blocks].sort((a, b) => a - b);
    const ranges: Array<{ position: number; length: number }> = [];
    for (const block of sorted) {
      const position = block * BLOCK_SIZE;
      const length = Math.min(BLOCK_SIZE, capacity - position);
      const last = ranges[ranges.length - 1];
      if (last && last.position + last.length === position) last.length += length;
      else ranges.push({ position, length });
    }
    return ranges;
  }

  // ------------------------------------------------------------ internals

  private node(file: string): DiskNode {
    const node = this.nodes.get(file);
    if (node) return node;
    const problem = this.damaged.get(file);
    if (problem !== undefined) throw new StoreFileError(this.rel(file), problem);
    throw new StoreFileError(this.rel(file), 'the virtual hard disk is missing.');
  }

  private header(node: DiskNode): Buffer {
    return encodeHeader({ frozen: node.frozen, capacity: node.capacity, entryCount: node.entryCount, entriesCrc: node.entriesCrc, parent: node.parent, generation: node.generation });
  }

  /** O(1): list(), space() and the usage figures must not walk whole maps (a 1 GiB disk has 262144 entries). */
  private ownSlots(node: DiskNode): number {
    return node.map.dataCount;
  }

  /** The flattened map of file's chain: block -> slot, for blocks that hold data. */
  private viewTable(file: string): BlockMap {
    const cached = this.views.get(file);
    if (cached) return cached;
    const chain: DiskNode[] = [];
    for (let node: DiskNode | undefined = this.node(file); node; node = node.parent === null ? undefined : this.node(node.parent)) {
      chain.push(node);
      if (chain.length > 10_000) throw new StoreFileError(this.rel(file), 'its chain of parent disks loops.');
    }
    const table = new BlockMap();
    for (let index = chain.length - 1; index >= 0; index--) {
      chain[index].map.forEach((block, slot) => {
        if (slot >= 0) table.set(block, slot);
        else table.delete(block);
      });
    }
    this.views.set(file, table);
    return table;
  }

  private addChild(tx: Transaction, parent: DiskNode): DiskNode {
    const match = DISK_NAME.exec(parent.name);
    const base = match ? match[1] : 'disk0';
    let name = '';
    do name = `${base}_${this.newGuid().toUpperCase()}.avhdx`;
    while (this.nodes.has(name) || this.damaged.has(name));
    const child: DiskNode = {
      name,
      parent: parent.name,
      frozen: false,
      capacity: parent.capacity,
      map: new BlockMap(),
      entryCount: 0,
      entriesCrc: 0,
      children: new Set(),
      generation: parent.generation,
    };
    tx.writeFile(this.rel(child.name), this.header(child));
    this.nodes.set(child.name, child);
    parent.children.add(child.name);
    return child;
  }

  private deleteNode(tx: Transaction, node: DiskNode, freed: number[]): void {
    node.map.forEach((_block, slot) => {
      if (slot >= 0) freed.push(slot);
    });
    if (node.writes) {
      this.dirtyBytes -= node.writes.dirty.size * BLOCK_SIZE;
      node.writes.pending.forEach((_block, slot) => {
        if (slot >= 0) this.releaseNow(slot);
      });
      node.writes = undefined;
    }
    tx.deleteFile(this.rel(node.name));
    if (node.parent !== null) this.nodes.get(node.parent)?.children.delete(node.name);
    this.nodes.delete(node.name);
    this.views.delete(node.name);
    for (const device of this.devices) if (device.file === node.name) device.removed = true;
  }

  /** Folds child into parent without moving data; the result keeps the parent's name. */
  private merge(tx: Transaction, parent: DiskNode, child: DiskNode, freed: number[]): void {
    const parentName = parent.name;
    const childName = child.name;
    // what the merged disk reads as has not changed, but its generation must not go back
    parent.generation = child.generation = Math.max(parent.generation, child.generation);
    let result: DiskNode;
    if (child.map.size <= parent.map.size) {
      // the child is the smaller side: append its entries to the parent's map
      const entries = Buffer.alloc(child.map.size * ENTRY_SIZE);
      let at = 0;
      child.map.forEach((block, slot) => {
        const old = parent.map.get(block);
        if (old >= 0) freed.push(old);
        parent.map.set(block, slot);
        at = this.putEntry(entries, at, block, slot);
      });
      parent.frozen = child.frozen;
      parent.children = child.children;
      parent.writes = child.writes;
      this.appendEntries(tx, parent, entries);
      tx.deleteFile(this.rel(childName));
      result = parent;
    } else {
      // the parent is the smaller side: add its surviving entries to the child, which takes the parent's name
      const entries = Buffer.alloc(parent.map.size * ENTRY_SIZE);
      let at = 0;
      parent.map.forEach((block, slot) => {
        if (child.map.has(block)) {
          if (slot >= 0) freed.push(slot);
        } else {
          child.map.set(block, slot);
          at = this.putEntry(entries, at, block, slot);
        }
      });
      child.parent = parent.parent;
      this.appendEntries(tx, child, entries.subarray(0, at));
      tx.rename(this.rel(childName), this.rel(parentName));
      this.markReplaced(tx, this.rel(parentName));
      child.name = parentName;
      result = child;
    }
    this.nodes.delete(childName);
    this.nodes.set(parentName, result);
    for (const grandchild of result.children) {
      const node = this.node(grandchild);
      node.parent = parentName;
      tx.pwrite(this.rel(node.name), 0, this.header(node));
    }
    this.views.delete(parentName);
    const view = this.views.get(childName);
    if (view) {
      this.views.delete(childName);
      this.views.set(parentName, view);
    }
    for (const device of this.devices) {
      if (device.file === childName) device.file = parentName;
    }
  }

  private putEntry(entries: Buffer, at: number, block: number, slot: number): number {
    entries.writeUInt32LE(block, at);
    entries.writeInt32LE(slot, at + 4);
    entries.writeUInt32LE(slot >= 0 ? this.slotCrc[slot] : 0, at + 8);
    return at + ENTRY_SIZE;
  }

  /**
   * Appends entries past node's committed end (unreferenced until the journaled header moves
   * the count), or rewrites the whole map when dead entries dominate (amortised compaction).
   */
  private appendEntries(tx: Transaction, node: DiskNode, entries: Buffer): void {
    const file = this.rel(node.name);
    const total = node.entryCount + entries.length / ENTRY_SIZE;
    // A file replaced earlier in this transaction is not yet at its name: rewrite it whole again.
    const replaced = this.replacedIn.get(tx);
    if (total > 2 * node.map.size + 8192 || replaced?.has(file)) {
      const all = Buffer.alloc(node.map.size * ENTRY_SIZE);
      let at = 0;
      node.map.forEach((block, slot) => {
        at = this.putEntry(all, at, block, slot);
      });
      node.entryCount = node.map.size;
      node.entriesCrc = crc32(all);
      tx.writeFile(file, Buffer.concat([this.header(node), all]));
      this.markReplaced(tx, file);
      return;
    }
    if (entries.length > 0) {
      tx.writeUnreferenced(file, HEADER_SIZE + node.entryCount * ENTRY_SIZE, entries);
      node.entriesCrc = crc32(entries, node.entriesCrc);
      node.entryCount = total;
    }
    tx.pwrite(file, 0, this.header(node));
  }

  private markReplaced(tx: Transaction, file: string): void {
    let set = this.replacedIn.get(tx);
    if (!set) this.replacedIn.set(tx, (set = new Set()));
    set.add(file);
  }

  private commitNodeWrites(tx: Transaction, node: DiskNode, freed: number[]): void {
    const writes = node.writes;
    if (!writes || (writes.dirty.size === 0 && writes.pending.size === 0)) return;
    const pool = this.poolRel();
    if (writes.dirty.size > 0) this.placeDirty(writes, (position, parts) => tx.writeUnreferenced(pool, position, parts));
    if (this.spilled) tx.syncBeforeCommit(pool);
    const entries = Buffer.alloc(writes.pending.size * ENTRY_SIZE);
    let at = 0;
    const table = this.views.get(node.name);
    writes.pending.forEach((block, slot) => {
      const old = node.map.get(block);
      if (old >= 0) freed.push(old);
      node.map.set(block, slot);
      if (table) {
        if (slot >= 0) table.set(block, slot);
        else table.delete(block);
      }
      at = this.putEntry(entries, at, block, slot);
    });
    node.writes = undefined;
    node.generation = (node.generation + 1) >>> 0;
    this.appendEntries(tx, node, entries);
    tx.onCommitted(() => {
      this.spilled = false;
    });
  }

  private setDirty(writes: WriteBuffer, block: number, data: Uint8Array): void {
    if (!writes.dirty.has(block)) this.dirtyBytes += BLOCK_SIZE;
    writes.dirty.set(block, data);
    const pending = writes.pending.get(block);
    if (pending !== ABSENT) {
      writes.pending.delete(block);
      if (pending >= 0) this.releaseNow(pending);
    }
  }

  /** Moves dirty blocks to free slots (write through `write`), recording them as pending. */
  private placeDirty(writes: WriteBuffer, write: (position: number, parts: Uint8Array[]) => void): void {
    const blocks = [...writes.dirty.keys()].sort((a, b) => a - b);
    const slots = this.allocate(blocks.length);
    let runStart = 0;
    for (let index = 0; index <= blocks.length; index++) {
      if (index === blocks.length || (index > runStart && slots[index] !== slots[index - 1] + 1)) {
        const parts: Uint8Array[] = [];
        for (let at = runStart; at < index; at++) {
          const part = writes.dirty.get(blocks[at])!;
          const last = parts[parts.length - 1];
          // blocks cut from one large write sit side by side in memory: write them as one piece
          if (last !== undefined && last.buffer === part.buffer && last.byteOffset + last.length === part.byteOffset) {
            parts[parts.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.length + part.length);
          } else parts.push(part);
        }
        if (parts.length > 0) write(slots[runStart] * BLOCK_SIZE, parts);
        runStart = index;
      }
      if (index === blocks.length) break;
      const data = writes.dirty.get(blocks[index])!;
      this.slotCrc[slots[index]] = crc32(data);
      writes.pending.set(blocks[index], slots[index]);
    }
    this.dirtyBytes -= blocks.length * BLOCK_SIZE;
    writes.dirty.clear();
  }

  /** Writes every dirty block to free slots now (bounded memory); they stay unreferenced until a commit. */
  private spill(): void {
    this.checkCurrent();
    const pool = this.poolRel();
    try {
      for (const node of this.nodes.values()) {
        if (node.writes && node.writes.dirty.size > 0) {
          const bytes = node.writes.dirty.size * BLOCK_SIZE;
          this.placeDirty(node.writes, (position, parts) => this.store.io.pwrite(this.store.abs(pool), position, parts));
          this.spilled = true;
          this.wroteToPool(bytes);
        }
      }
    } catch (error) {
      if (errnoCode(error) === 'ENOSPC') throw new StoreFullError(pool);
      throw error;
    }
  }

  /**
   * Big writes reach the pool long before their commit fsyncs it: every WRITEBACK_BYTES, let
   * the device start on them in the background, so that its work overlaps ours (checksums,
   * later writes) instead of all waiting for the commit's fsync. Durability is unchanged: the
   * commit still fsyncs the pool before its commit point.
   */
  private wroteToPool(bytes: number): void {
    this.unsyncedPoolBytes += bytes;
    if (this.unsyncedPoolBytes < WRITEBACK_BYTES) return;
    this.unsyncedPoolBytes = 0;
    this.store.io.startWriteback?.(this.store.abs(this.poolRel()));
  }

  private allocate(count: number): number[] {
    const slots: number[] = [];
    while (slots.length < count && this.free.length > 0) {
      const slot = this.free.pop()!;
      if (slot < this.poolSlots && this.used[slot] === 0) slots.push(slot);
    }
    if (slots.length < count) this.growSlots(this.poolSlots + (count - slots.length));
    while (slots.length < count) slots.push(this.poolSlots++);
    for (const slot of slots) this.used[slot] = 1;
    return slots;
  }

  private growSlots(needed: number): void {
    if (needed <= this.used.length) return;
    const size = Math.max(needed, this.used.length * 2, 1024);
    const used = new Uint8Array(size);
    used.set(this.used);
    this.used = used;
    const crcs = new Uint32Array(size);
    crcs.set(this.slotCrc);
    this.slotCrc = crcs;
  }

  /** An uncommitted (spilled) slot is free again at once. */
  private releaseNow(slot: number): void {
    this.used[slot] = 0;
    this.free.push(slot);
  }

  /** Slots a commit stops referencing: unused from now (for trimming) but reusable only once it is durable. */
  private releaseOnCommit(tx: Transaction, freed: number[]): void {
    if (freed.length === 0) return;
    for (const slot of freed) this.used[slot] = 0;
    tx.onCommitted(() => {
      for (const slot of freed) if (slot < this.poolSlots && this.used[slot] === 0) this.free.push(slot);
    });
  }

  /** R30: gives back the free tail of the pool, once the transaction's changes are all known. */
  private trimPool(tx: Transaction): void {
    if (this.trimHooked.has(tx)) return;
    this.trimHooked.add(tx);
    tx.beforeCommit(() => {
      let end = this.poolSlots;
      while (end > 0 && this.used[end - 1] !== 1) end--;
      if (end === this.poolSlots) return;
      tx.truncate(this.rel(POOL_FILE), end * BLOCK_SIZE);
      this.poolSlots = end;
      this.free = this.free.filter((slot) => slot < end);
    });
  }

  private hookAbort(tx: Transaction): void {
    if (this.abortHooked.has(tx)) return;
    this.abortHooked.add(tx);
    // prepared disks whose creating commit failed have nothing to reload: they are gone
    tx.onAborted(() => (this.createdIn.has(tx) ? this.close() : this.loadFromFiles()));
  }

  /** The pool file written to now: the temporary one until prepared disks are committed. */
  private poolRel(): string {
    return this.pending ? this.pending.poolTmp : this.rel(POOL_FILE);
  }

  /** Refuses to write when another process changed the store since we loaded (reload the disks then). */
  private checkCurrent(): void {
    if (this.store.readSequence() !== this.store.knownSequence) {
      throw diskError('DiskStale', 'The lab store was changed by another process; reload the virtual hard disks and try again.');
    }
  }

  /** (Re)reads every disk file of the VM; damaged files are remembered, not fatal (R25). */
  private loadFromFiles(): void {
    const { io } = this.store;
    this.nodes.clear();
    this.damaged.clear();
    this.views.clear();
    this.dirtyBytes = 0;
    this.spilled = false;
    const poolPath = this.store.abs(this.rel(POOL_FILE));
    this.poolSlots = io.exists(poolPath) ? Math.floor(io.size(poolPath) / BLOCK_SIZE) : 0;
    this.used = new Uint8Array(0);
    this.slotCrc = new Uint32Array(0);
    this.growSlots(this.poolSlots);
    const names = io.readdir(this.store.abs(this.dir)).filter((name) => DISK_NAME.test(name));
    for (const name of names) {
      try {
        const { header, entries } = decodeDiskFile(this.rel(name), io.readFile(this.store.abs(this.rel(name))));
        const node: DiskNode = {
          name,
          parent: header.parent,
          frozen: header.frozen,
          capacity: header.capacity,
          map: new BlockMap(),
          entryCount: header.entryCount,
          entriesCrc: header.entriesCrc,
          generation: header.generation ?? 0,
          children: new Set(),
        };
        const live = new BlockMap(); // block -> entry index, to take each live slot's crc
        for (let index = 0; index < header.entryCount; index++) {
          const block = entries.readUInt32LE(index * ENTRY_SIZE);
          node.map.set(block, entries.readInt32LE(index * ENTRY_SIZE + 4));
          live.set(block, index);
        }
        node.map.forEach((block, slot) => {
          if (slot < 0) return;
          if (slot >= this.used.length) this.growSlots(slot + 1);
          this.used[slot] = 1;
          this.slotCrc[slot] = entries.readUInt32LE(live.get(block) * ENTRY_SIZE + 8);
        });
        this.nodes.set(name, node);
      } catch (error) {
        if (!(error instanceof StoreFileError)) throw error;
        this.damaged.set(name, error.message.slice(this.rel(name).length + 2));
      }
    }
    for (const node of this.nodes.values()) {
      if (node.parent !== null) this.nodes.get(node.parent)?.children.add(node.name);
    }
    // Free slots, lowest first. With a damaged disk its slots are unknown: only grow the pool.
    this.free = [];
    if (this.damaged.size === 0) for (let slot = this.poolSlots - 1; slot >= 0; slot--) if (this.used[slot] === 0) this.free.push(slot);
    for (const device of this.devices) if (!this.nodes.has(device.file)) device.removed = true;
  }
}

/** Every VM's disks take part in store.verify() (R29). */
export function verifyAllDisks(store: Store): Problem[] {
  if (!store.exists(DISKS_DIR)) return [];
  const problems: Problem[] = [];
  for (const vmId of store.io.readdir(store.abs(DISKS_DIR))) {
    if (!store.io.isDirectory(store.abs(`${DISKS_DIR}/${vmId}`))) continue;
    try {
      const disks = VmDisks.load(store, vmId);
      try {
        problems.push(...disks.verify());
      } finally {
        disks.close();
      }
    } catch (error) {
      problems.push({ file: `${DISKS_DIR}/${vmId}`, problem: (error as Error).message });
    }
  }
  return problems;
}

registerVerifier(verifyAllDisks);
