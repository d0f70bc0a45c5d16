/**
 * The bridge between libext2fs (npm `ext2fs`, WebAssembly) and a lab BlockDevice.
 *
 * It is a file-disk `Disk` subclass because that is the shape ext2fs mounts, but it
 * overrides read/write/flush/discard to go straight to the device: the base class's
 * bookkeeping (recorded writes/reads, discard chunk lists) made a probe 25x slower,
 * and its read-only mode silently drops writes, where we must fail loudly. The flags
 * are passed as off anyway so nothing in the base class ever records.
 */
import { Disk, ReadResult, WriteResult } from 'file-disk';
import type { BlockDevice } from '../disk/blockDevice';

export class ReadOnlyDeviceError extends Error {
  constructor() {
    super('The disk is read-only.');
    this.name = 'ReadOnlyDeviceError';
  }
}

export class BlockDeviceDisk extends Disk {
  /** Set when libext2fs tried to write to a read-only device (reported as EIO by the WASM side). */
  refusedWrite = false;

  constructor(readonly device: BlockDevice) {
    super(device.readOnly, /* recordWrites */ false, /* recordReads */ false, /* discardIsZero */ true);
  }

  protected async _getCapacity(): Promise<number> {
    return this.device.capacity;
  }

  override async read(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<ReadResult> {
    this.device.read(buffer, bufferOffset, length, fileOffset);
    return { bytesRead: length, buffer };
  }

  override async write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<WriteResult> {
    if (this.device.readOnly) {
      this.refusedWrite = true;
      throw new ReadOnlyDeviceError();
    }
    this.device.write(buffer, bufferOffset, length, fileOffset);
    return { bytesWritten: length, buffer };
  }

  override async flush(): Promise<void> {
    if (!this.device.readOnly) this.device.flush();
  }

  override async discard(offset: number, length: number): Promise<void> {
    if (this.device.readOnly) {
      this.refusedWrite = true;
      throw new ReadOnlyDeviceError();
    }
    this.device.discard(offset, length);
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
}
