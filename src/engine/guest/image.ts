/**
 * Disk images for export and import (R23, R33).
 *
 * exportDisk writes a device's bytes as a raw image (sparse: zero blocks are holes, so a
 * raw export is itself the ext4 image, as the guest has no partition table) or as a
 * dynamic VHDX (vhdx.ts). It reads the device only where allocatedRanges() says data may
 * be, so exporting a mostly empty 64 GiB disk is quick.
 *
 * openImportImage recognises a raw image or a dynamic VHDX and yields its non-zero 1 MiB
 * blocks for copying into a new disk. Everything else is refused with a message that says
 * what the file is and why: differencing VHDX, other formats (VHD, QCOW2, VMDK, VDI), sizes
 * that are not a lab disk size, and images without an ext4 superblock at byte 1080.
 * The export folder layout (<DIR>/<VM>/Virtual Machines, Virtual Hard Disks) is the engine's.
 */
import { randomUUID } from 'crypto';
import { promises as fsp } from 'fs';
import type { BlockDevice } from '../disk/blockDevice';
import { GuestError } from './errors';
import { GIB, MAX_DISK_GIB, MIN_DISK_GIB } from './format';
import {
  BAT_STATE,
  KIB,
  MIB,
  VHDX_GUIDS,
  batEntry,
  batIndexOfBlock,
  bytesToGuid,
  crc32c,
  fileTypeIdentifier,
  vhdxGeometry,
  vhdxHeader,
  vhdxLayout,
  vhdxMetadata,
  vhdxRegionTable,
} from './vhdx';

export type DiskImageFormat = 'vhdx' | 'raw';

export interface TransferOptions {
  /** Called after each block with bytes done and total (virtual) bytes. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

const BLOCK = MIB;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

function isZero(buffer: Buffer): boolean {
  return buffer.length === BLOCK ? buffer.equals(ZERO_BLOCK) : buffer.equals(ZERO_BLOCK.subarray(0, buffer.length));
}

/** The 1 MiB block indices that may hold data, from the device's allocated ranges. */
function candidateBlocks(device: BlockDevice): number[] {
  const blocks = new Set<number>();
  for (const range of device.allocatedRanges()) {
    if (range.length <= 0) continue;
    const first = Math.floor(range.position / BLOCK);
    const last = Math.floor((range.position + range.length - 1) / BLOCK);
    for (let b = first; b <= last; b++) blocks.add(b);
  }
  return [...blocks].sort((a, b) => a - b);
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new GuestError('GuestIo', 'The operation was cancelled.');
}

/** Writes the device's bytes to `file` as a raw image or a dynamic VHDX. Overwrites `file`. */
export async function exportDisk(device: BlockDevice, file: string, format: DiskImageFormat, options: TransferOptions = {}): Promise<void> {
  const handle = await fsp.open(file, 'w');
  try {
    if (format === 'raw') await writeRaw(device, handle, options);
    else await writeVhdx(device, handle, options);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeRaw(device: BlockDevice, handle: fsp.FileHandle, options: TransferOptions): Promise<void> {
  await handle.truncate(device.capacity);
  const buffer = Buffer.alloc(BLOCK);
  for (const block of candidateBlocks(device)) {
    checkAborted(options.signal);
    const position = block * BLOCK;
    const length = Math.min(BLOCK, device.capacity - position);
    const data = buffer.subarray(0, length);
    device.read(data, 0, length, position);
    if (!isZero(data)) await handle.write(data, 0, length, position);
    options.onProgress?.(position + length, device.capacity);
  }
}

async function writeVhdx(device: BlockDevice, handle: fsp.FileHandle, options: TransferOptions): Promise<void> {
  const geometry = vhdxGeometry(device.capacity, BLOCK);
  const layout = vhdxLayout(geometry);
  const fileWriteGuid = randomUUID();
  const dataWriteGuid = randomUUID();
  await handle.write(fileTypeIdentifier(), 0, 64 * KIB, 0);
  await handle.write(vhdxHeader(1n, fileWriteGuid, dataWriteGuid, layout), 0, 4 * KIB, 64 * KIB);
  await handle.write(vhdxHeader(2n, fileWriteGuid, dataWriteGuid, layout), 0, 4 * KIB, 128 * KIB);
  const regions = vhdxRegionTable(layout);
  await handle.write(regions, 0, regions.length, 192 * KIB);
  await handle.write(regions, 0, regions.length, 256 * KIB);
  const metadata = vhdxMetadata(geometry, randomUUID(), layout.metadataLength);
  await handle.write(metadata, 0, metadata.length, layout.metadataOffset);

  const bat = Buffer.alloc(layout.batLength);
  let next = layout.firstPayloadOffset;
  const buffer = Buffer.alloc(BLOCK);
  for (const block of candidateBlocks(device)) {
    checkAborted(options.signal);
    const position = block * BLOCK;
    const length = Math.min(BLOCK, device.capacity - position);
    buffer.fill(0);
    device.read(buffer, 0, length, position);
    if (!isZero(buffer)) {
      await handle.write(buffer, 0, BLOCK, next);
      bat.writeBigUInt64LE(batEntry(BAT_STATE.PAYLOAD_BLOCK_FULLY_PRESENT, next), batIndexOfBlock(block, geometry.chunkRatio) * 8);
      next += BLOCK;
    }
    options.onProgress?.(position + length, device.capacity);
  }
  await handle.write(bat, 0, bat.length, layout.batOffset);
  await handle.truncate(next);
}

// ---------------------------------------------------------------- import

export interface ImportImage {
  format: DiskImageFormat;
  file: string;
  /** Bytes of the virtual disk. */
  virtualSize: number;
  /** virtualSize in GiB (a whole number from 1 to 64). */
  sizeGiB: number;
  /** The image's non-zero 1 MiB blocks in order (everything else reads as zeros). */
  blocks(options?: TransferOptions): AsyncIterable<{ position: number; data: Buffer }>;
  /** Copies every non-zero block onto `device` (a new, all-zero disk of virtualSize bytes). */
  copyTo(device: BlockDevice, options?: TransferOptions): Promise<void>;
  close(): Promise<void>;
}

function refuse(file: string, why: string): GuestError {
  return new GuestError('ImageRefused', `The disk image '${file}' cannot be imported: ${why}`);
}

async function readAt(handle: fsp.FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

function recognise(head: Buffer, tail: Buffer): string | undefined {
  const at0 = head.toString('latin1', 0, 8);
  if (head.length >= 4 && head.readUInt32BE(0) === 0x514649fb) return 'a QCOW2 image';
  if (at0 === 'conectix' || tail.toString('latin1', 0, 8) === 'conectix') return 'a VHD image (the older format; convert it to VHDX or raw)';
  if (head.toString('latin1', 0, 4) === 'KDMV' || head.toString('latin1', 0, 21) === '# Disk DescriptorFile') return 'a VMDK image';
  if (head.toString('latin1', 0, 64).includes('VirtualBox Disk Image')) return 'a VDI image';
  return undefined;
}

function checkSize(file: string, size: number): number {
  const gib = size / GIB;
  if (!Number.isInteger(gib) || gib < MIN_DISK_GIB || gib > MAX_DISK_GIB) {
    throw refuse(file, `its virtual size is ${size} bytes; a lab disk is a whole number of GiB from ${MIN_DISK_GIB} to ${MAX_DISK_GIB}.`);
  }
  return gib;
}

function hasExt4Magic(superblockArea: Buffer): boolean {
  return superblockArea.length >= 58 && superblockArea.readUInt16LE(56) === 0xef53;
}

/** Opens a raw or dynamic VHDX image for import; refuses anything else with a clear error. */
export async function openImportImage(file: string): Promise<ImportImage> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (error) {
    throw refuse(file, `it cannot be opened (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
  try {
    const size = (await handle.stat()).size;
    const head = await readAt(handle, 0, Math.min(size, 64 * KIB));
    if (head.toString('latin1', 0, 8) === 'vhdxfile') return await openVhdx(file, handle);
    const other = recognise(head, size >= 512 ? await readAt(handle, size - 512, 512) : Buffer.alloc(0));
    if (other) throw refuse(file, `it is ${other}; only raw images and dynamic VHDX files are supported.`);
    if (!hasExt4Magic(await readAt(handle, 1024, 64))) {
      throw refuse(file, 'it is neither a VHDX file nor a raw image holding an ext4 file system (no ext4 superblock at byte 1080).');
    }
    const sizeGiB = checkSize(file, size);
    return makeImage(file, handle, 'raw', size, sizeGiB, async (block) => {
      const position = block * BLOCK;
      return readAt(handle, position, Math.min(BLOCK, size - position));
    });
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function makeImage(
  file: string,
  handle: fsp.FileHandle,
  format: DiskImageFormat,
  virtualSize: number,
  sizeGiB: number,
  readBlock: (block: number) => Promise<Buffer | undefined>,
): ImportImage {
  const image: ImportImage = {
    format,
    file,
    virtualSize,
    sizeGiB,
    async *blocks(options: TransferOptions = {}) {
      const count = Math.ceil(virtualSize / BLOCK);
      for (let block = 0; block < count; block++) {
        checkAborted(options.signal);
        const data = await readBlock(block);
        if (data && !isZero(data)) yield { position: block * BLOCK, data };
        options.onProgress?.(Math.min(virtualSize, (block + 1) * BLOCK), virtualSize);
      }
    },
    async copyTo(device: BlockDevice, options?: TransferOptions) {
      if (device.capacity !== virtualSize) {
        throw new GuestError('ImageRefused', `The new disk holds ${device.capacity} bytes but '${file}' holds ${virtualSize}.`);
      }
      for await (const { position, data } of image.blocks(options)) device.write(data, 0, data.length, position);
      device.flush();
    },
    close: () => handle.close(),
  };
  return image;
}

async function openVhdx(file: string, handle: fsp.FileHandle): Promise<ImportImage> {
  const damaged = (why: string) => refuse(file, `it is a damaged VHDX file (${why}).`);
  // Headers: the valid one with the higher sequence number is current.
  let header: Buffer | undefined;
  for (const offset of [64 * KIB, 128 * KIB]) {
    const h = await readAt(handle, offset, 4 * KIB);
    if (h.length !== 4 * KIB || h.toString('latin1', 0, 4) !== 'head') continue;
    const stored = h.readUInt32LE(4);
    const copy = Buffer.from(h);
    copy.writeUInt32LE(0, 4);
    if (crc32c(copy) !== stored) continue;
    if (!header || h.readBigUInt64LE(8) > header.readBigUInt64LE(8)) header = h;
  }
  if (!header) throw damaged('no header with a valid checksum');
  if (!header.subarray(48, 64).equals(Buffer.alloc(16))) {
    throw refuse(file, 'its log holds changes that were never applied; open it once in Hyper-V (or qemu-img check -r all) first.');
  }
  // Region table.
  let regions: Buffer | undefined;
  for (const offset of [192 * KIB, 256 * KIB]) {
    const r = await readAt(handle, offset, 64 * KIB);
    if (r.length !== 64 * KIB || r.toString('latin1', 0, 4) !== 'regi') continue;
    const stored = r.readUInt32LE(4);
    const copy = Buffer.from(r);
    copy.writeUInt32LE(0, 4);
    if (crc32c(copy) === stored) {
      regions = r;
      break;
    }
  }
  if (!regions) throw damaged('no region table with a valid checksum');
  const entryCount = regions.readUInt32LE(8);
  if (entryCount > 2047) throw damaged('too many regions');
  let bat: { offset: number; length: number } | undefined;
  let meta: { offset: number; length: number } | undefined;
  for (let i = 0; i < entryCount; i++) {
    const at = 16 + i * 32;
    const guid = bytesToGuid(regions.subarray(at, at + 16));
    const region = { offset: Number(regions.readBigUInt64LE(at + 16)), length: regions.readUInt32LE(at + 24) };
    if (guid === VHDX_GUIDS.bat) bat = region;
    else if (guid === VHDX_GUIDS.metadata) meta = region;
    else if (regions.readUInt32LE(at + 28) & 1) throw refuse(file, `it needs an unknown VHDX region ${guid}.`);
  }
  if (!bat || !meta) throw damaged('the BAT or metadata region is missing');
  // Metadata.
  const metadata = await readAt(handle, meta.offset, meta.length);
  if (metadata.toString('latin1', 0, 8) !== 'metadata') throw damaged('bad metadata table signature');
  const items = new Map<string, Buffer>();
  const itemCount = metadata.readUInt16LE(10);
  for (let i = 0; i < itemCount && 32 + i * 32 + 32 <= metadata.length; i++) {
    const at = 32 + i * 32;
    const guid = bytesToGuid(metadata.subarray(at, at + 16));
    const offset = metadata.readUInt32LE(at + 16);
    const length = metadata.readUInt32LE(at + 20);
    const flags = metadata.readUInt32LE(at + 24);
    if (offset + length > metadata.length) throw damaged(`metadata item ${guid} lies outside its region`);
    items.set(guid, metadata.subarray(offset, offset + length));
    const known = Object.values(VHDX_GUIDS).includes(guid);
    if (!known && flags & 4) throw refuse(file, `it needs an unknown VHDX metadata item ${guid}.`);
  }
  const parameters = items.get(VHDX_GUIDS.fileParameters);
  const sizeItem = items.get(VHDX_GUIDS.virtualDiskSize);
  const sectorItem = items.get(VHDX_GUIDS.logicalSectorSize);
  if (!parameters || parameters.length < 8 || !sizeItem || sizeItem.length < 8 || !sectorItem || sectorItem.length < 4) {
    throw damaged('required metadata (file parameters, virtual disk size, logical sector size) is missing');
  }
  if (parameters.readUInt32LE(4) & 2 || items.has(VHDX_GUIDS.parentLocator)) {
    throw refuse(file, 'it is a differencing VHDX, which only holds changes to a parent disk; import the parent merged with it (a full VHDX) or a raw image.');
  }
  const blockSize = parameters.readUInt32LE(0);
  const logicalSector = sectorItem.readUInt32LE(0);
  if (blockSize < MIB || blockSize > 256 * MIB || (blockSize & (blockSize - 1)) !== 0) throw damaged(`invalid block size ${blockSize}`);
  if (logicalSector !== 512 && logicalSector !== 4096) throw damaged(`invalid logical sector size ${logicalSector}`);
  const virtualSize = Number(sizeItem.readBigUInt64LE(0));
  const geometry = vhdxGeometry(virtualSize, blockSize, logicalSector);
  if (bat.length < geometry.totalBatEntries * 8) throw damaged('the BAT is too small for the virtual size');
  const batBytes = await readAt(handle, bat.offset, geometry.totalBatEntries * 8);
  if (batBytes.length !== geometry.totalBatEntries * 8) throw damaged('the BAT is truncated');
  const fileSize = (await handle.stat()).size;

  // A lab block is 1 MiB; a VHDX block is a multiple of it.
  const readLabBlock = async (labBlock: number): Promise<Buffer | undefined> => {
    const position = labBlock * BLOCK;
    const vBlock = Math.floor(position / blockSize);
    const entry = batBytes.readBigUInt64LE(batIndexOfBlock(vBlock, geometry.chunkRatio) * 8);
    const state = Number(entry & 7n);
    if (state === BAT_STATE.PAYLOAD_BLOCK_PARTIALLY_PRESENT) throw refuse(file, 'it has partially present blocks, which only differencing disks have.');
    if (state !== BAT_STATE.PAYLOAD_BLOCK_FULLY_PRESENT) return undefined;
    const fileOffset = Number(entry >> 20n) * MIB + (position - vBlock * blockSize);
    const length = Math.min(BLOCK, virtualSize - position);
    if (fileOffset + length > fileSize) throw damaged(`block ${vBlock} lies beyond the end of the file`);
    return readAt(handle, fileOffset, length);
  };
  const first = await readLabBlock(0);
  if (!first || !hasExt4Magic(first.subarray(1024, 1088))) {
    throw refuse(file, 'the VHDX does not hold an ext4 file system (no ext4 superblock at byte 1080 of the virtual disk).');
  }
  const sizeGiB = checkSize(file, virtualSize);
  return makeImage(file, handle, 'vhdx', virtualSize, sizeGiB, readLabBlock);
}
