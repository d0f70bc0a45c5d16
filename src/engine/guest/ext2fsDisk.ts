/**
 * The bridge between libext2fs (npm `ext2fs`, WebAssembly) and a lab BlockDevice.
 *
 * It is a file-disk `Disk` subclass because that is the shape ext2fs mounts, but it
 * overrides read/write/flush/discard to go straight to the device: the base class's
 * bookkeeping (recorded writes/reads, discard chunk lists) made a probe 25x slower,
 * and its read-only mode silently drops writes, where we must fail loudly. The flags
 * are passed as off anyway so nothing in the base class ever records.
 *
 * Write combining: libext2fs writes file data one 4 KiB block at a time, and for each
 * block also zeroes it on allocation and rewrites the extent and inode-table blocks
 * (about four writes per block of data). A few staging runs absorb that: a write that
 * extends a run is appended, a write inside a run lands in place, reads inside a run are
 * served from it. A full run reaches the device as one large write, which the store puts
 * straight into its pool without a copy per block. Runs never overlap; anything that
 * touches a run's range in another way flushes that run first. settle() empties them all
 * (GuestFs calls it after every operation and before reading the device itself).
 */
import { Disk, ReadResult, WriteResult } from 'file-disk';
import type { BlockDevice } from '../disk/blockDevice';

export class ReadOnlyDeviceError extends Error {
  constructor() {
    super('The disk is read-only.');
    this.name = 'ReadOnlyDeviceError';
  }
}

/** One staging run: bytes [start, start + length) of the disk, newer than the device's. */
interface Run {
  start: number;
  length: number;
  data: Buffer;
  lastUse: number;
}

const BLOCK = 4096;
/** Bytes per run: large enough for the store's direct-to-pool path, small enough to keep. */
export const RUN_BYTES = 1024 * 1024;
/** The data stream, the extent block and the inode-table block, with room for one more. */
const MAX_RUNS = 4;

export class BlockDeviceDisk extends Disk {
  /** Set when libext2fs tried to write to a read-only device (reported as EIO by the WASM side). */
  refusedWrite = false;
  private runs: Run[] = [];
  private spare: Buffer[] = [];
  private tick = 0;

  constructor(readonly device: BlockDevice) {
    super(device.readOnly, /* recordWrites */ false, /* recordReads */ false, /* discardIsZero */ true);
  }

  protected async _getCapacity(): Promise<number> {
    return this.device.capacity;
  }

  override async read(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<ReadResult> {
    this.readNow(buffer, bufferOffset, length, fileOffset);
    return { bytesRead: length, buffer };
  }

  /** A synchronous read that sees staged writes. */
  readNow(buffer: Uint8Array, bufferOffset: number, length: number, fileOffset: number): void {
    if (this.runs.length > 0) {
      const run = this.runAround(fileOffset, length);
      if (run) {
        const at = fileOffset - run.start;
        buffer.set(run.data.subarray(at, at + length), bufferOffset);
        return;
      }
      this.flushOverlapping(fileOffset, length);
    }
    this.device.read(buffer, bufferOffset, length, fileOffset);
  }

  override async write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<WriteResult> {
    if (this.device.readOnly) {
      this.refusedWrite = true;
      throw new ReadOnlyDeviceError();
    }
    this.stage(buffer, bufferOffset, length, fileOffset);
    return { bytesWritten: length, buffer };
  }

  override async flush(): Promise<void> {
    this.settle();
    if (!this.device.readOnly) this.device.flush();
  }

  override async discard(offset: number, length: number): Promise<void> {
    if (this.device.readOnly) {
      this.refusedWrite = true;
      throw new ReadOnlyDeviceError();
    }
    this.flushOverlapping(offset, length);
    this.device.discard(offset, length);
  }

  /** Hands every staged write to the device (still buffered there until the store commits). */
  settle(): void {
    while (this.runs.length > 0) this.flushRun(this.runs[0]);
  }

  protected async _read(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<ReadResult> {
    return this.read(buffer, bufferOffset, length, fileOffset);
  }

  protected async _write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<WriteResult> {
    return this.write(buffer, bufferOffset, length, fileOffset);
  }

  protected async _flush(): Promise<void> {
    return this.flush();
  }

  private stage(buffer: Uint8Array, offset: number, length: number, position: number): void {
    if (length === 0) return;
    const aligned = position % BLOCK === 0 && length % BLOCK === 0 && length < RUN_BYTES;
    if (!aligned) {
      // unaligned (the 1 KiB superblock) or already large: straight to the device
      this.flushOverlapping(position, length);
      this.device.write(buffer, offset, length, position);
      return;
    }
    const inside = this.runAround(position, length);
    if (inside) {
      inside.data.set(buffer.subarray(offset, offset + length), position - inside.start);
      inside.lastUse = ++this.tick;
      return;
    }
    let run = this.runs.find((r) => r.start + r.length === position);
    if (run && run.length + length > RUN_BYTES) {
      // full: one large write to the device; the stream goes on in the same run
      this.device.write(run.data, 0, run.length, run.start);
      run.start = position;
      run.length = 0;
    }
    this.flushOverlapping(position, length, run);
    if (!run) {
      if (this.runs.length >= MAX_RUNS) this.flushRun(this.runs.reduce((a, b) => (a.lastUse <= b.lastUse ? a : b)));
      run = { start: position, length: 0, data: this.spare.pop() ?? Buffer.allocUnsafe(RUN_BYTES), lastUse: 0 };
      this.runs.push(run);
    }
    run.data.set(buffer.subarray(offset, offset + length), run.length);
    run.length += length;
    run.lastUse = ++this.tick;
  }

  /** The run holding all of [position, position + length), if any. */
  private runAround(position: number, length: number): Run | undefined {
    for (const run of this.runs) if (position >= run.start && position + length <= run.start + run.length) return run;
    return undefined;
  }

  private flushOverlapping(position: number, length: number, except?: Run): void {
    for (const run of [...this.runs]) {
      if (run !== except && run.length > 0 && position < run.start + run.length && run.start < position + length) this.flushRun(run);
    }
  }

  private flushRun(run: Run): void {
    this.runs.splice(this.runs.indexOf(run), 1);
    if (run.length > 0) this.device.write(run.data, 0, run.length, run.start);
    this.spare.push(run.data);
  }
}
