/**
 * The block-device shape every virtual disk of the lab offers to the guest file
 * system (modelled on balena's file-disk: read, write, flush, discard, capacity).
 * Synchronous on purpose: the lab's disks serve reads from memory-resident maps and
 * buffered blocks, and the ext2fs adapter wraps these calls in promises itself.
 */
export interface BlockDevice {
  /** Virtual size in bytes. */
  readonly capacity: number;
  /** True when writes are refused (a frozen disk, a checkpoint view). */
  readonly readOnly: boolean;
  /** Fills buffer[offset, offset+length) with the disk's bytes at position; unwritten ranges read as zeros. */
  read(buffer: Uint8Array, offset: number, length: number, position: number): void;
  /** Writes buffer[offset, offset+length) at position; buffered until the owner commits. */
  write(buffer: Uint8Array, offset: number, length: number, position: number): void;
  /** Hands buffered writes to the layer below (not yet durable: durability is the store's commit). */
  flush(): void;
  /** Marks a range as unused: it reads as zeros afterwards and may free space. */
  discard(position: number, length: number): void;
  /**
   * The byte ranges that may hold data (sorted, non-overlapping, block aligned);
   * everything outside reads as zeros. Lets export and copy skip the sparse parts.
   */
  allocatedRanges(): Array<{ position: number; length: number }>;
}

export class DeviceRangeError extends RangeError {}

export function checkRange(device: BlockDevice, length: number, position: number): void {
  if (!Number.isInteger(position) || !Number.isInteger(length) || position < 0 || length < 0 || position + length > device.capacity) {
    throw new DeviceRangeError(`I/O of ${length} bytes at ${position} is outside the ${device.capacity}-byte disk`);
  }
}

/**
 * A sparse in-memory disk: the reference the guest layer's tests and benchmarks
 * compare the store against ("ext2fs on a plain memory buffer").
 */
export class MemoryBlockDevice implements BlockDevice {
  private static readonly chunkSize = 64 * 1024;
  private readonly chunks = new Map<number, Uint8Array>();
  readOnly = false;

  constructor(readonly capacity: number) {}

  read(buffer: Uint8Array, offset: number, length: number, position: number): void {
    checkRange(this, length, position);
    let done = 0;
    while (done < length) {
      const at = position + done;
      const index = Math.floor(at / MemoryBlockDevice.chunkSize);
      const within = at % MemoryBlockDevice.chunkSize;
      const count = Math.min(length - done, MemoryBlockDevice.chunkSize - within);
      const chunk = this.chunks.get(index);
      if (chunk) buffer.set(chunk.subarray(within, within + count), offset + done);
      else buffer.fill(0, offset + done, offset + done + count);
      done += count;
    }
  }

  write(buffer: Uint8Array, offset: number, length: number, position: number): void {
    if (this.readOnly) throw new Error('The disk is read-only.');
    checkRange(this, length, position);
    let done = 0;
    while (done < length) {
      const at = position + done;
      const index = Math.floor(at / MemoryBlockDevice.chunkSize);
      const within = at % MemoryBlockDevice.chunkSize;
      const count = Math.min(length - done, MemoryBlockDevice.chunkSize - within);
      let chunk = this.chunks.get(index);
      if (!chunk) {
        chunk = new Uint8Array(MemoryBlockDevice.chunkSize);
        this.chunks.set(index, chunk);
      }
      chunk.set(buffer.subarray(offset + done, offset + done + count), within);
      done += count;
    }
  }

  flush(): void {}

  discard(position: number, length: number): void {
    checkRange(this, length, position);
    this.write(new Uint8Array(length), 0, length, position);
  }

  allocatedRanges(): Array<{ position: number; length: number }> {
    const size = MemoryBlockDevice.chunkSize;
    return [...this.chunks.keys()]
      .sort((a, b) => a - b)
      .map((index) => ({ position: index * size, length: Math.min(size, this.capacity - index * size) }));
  }

  /** Bytes of memory held (for benchmarks). */
  get allocatedBytes(): number {
    return this.chunks.size * MemoryBlockDevice.chunkSize;
  }
}
