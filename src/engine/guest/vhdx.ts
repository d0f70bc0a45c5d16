/**
 * Dynamic VHDX, written and read by the lab's own code (MS-VHDX [VX]), so exports open in
 * Hyper-V and qemu-img without extra dependencies.
 *
 * Layout we write (every structure 1 MiB aligned, as the spec recommends):
 *   0        file type identifier ("vhdxfile", creator)
 *   64 KiB   header 1, 128 KiB header 2 (CRC-32C each; the one with the higher sequence wins)
 *   192 KiB  region table 1, 256 KiB region table 2 (BAT and metadata regions)
 *   1 MiB    log (1 MiB, empty: LogGuid is zero, so nothing is replayed)
 *   2 MiB    metadata region: table, then file parameters, virtual disk size, page 83 data,
 *            logical sector size 512, physical sector size 4096
 *   3 MiB    BAT; then payload blocks
 * Payload blocks are 1 MiB (Microsoft's advice for Linux guests on ext4); a block whose bytes
 * are all zero is left out (PAYLOAD_BLOCK_NOT_PRESENT), the others are FULLY_PRESENT.
 * Sector bitmap entries, which the BAT interleaves after every chunk-ratio payload entries,
 * stay SB_BLOCK_NOT_PRESENT as the spec requires for a disk without a parent.
 */

// ---- CRC-32C (Castagnoli), table driven ----
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// ---- GUIDs in the on-disk (Windows, mixed-endian) form ----
export function guidToBytes(guid: string): Buffer {
  const hex = guid.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`bad GUID ${guid}`);
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

export function bytesToGuid(bytes: Uint8Array): string {
  const b = Buffer.from(bytes);
  const part = (x: Buffer) => x.toString('hex');
  return [
    part(Buffer.from(b.subarray(0, 4)).reverse()),
    part(Buffer.from(b.subarray(4, 6)).reverse()),
    part(Buffer.from(b.subarray(6, 8)).reverse()),
    part(b.subarray(8, 10)),
    part(b.subarray(10, 16)),
  ].join('-').toUpperCase();
}

export const VHDX_GUIDS = {
  bat: '2DC27766-F623-4200-9D64-115E9BFD4A08',
  metadata: '8B7CA206-4790-4B9A-B8FE-575F050F886E',
  fileParameters: 'CAA16737-FA36-4D43-B3B6-33F0AA44E76B',
  virtualDiskSize: '2FA54224-CD1B-4876-B211-5DBED83BF4B8',
  page83Data: 'BECA12AB-B2E6-4523-93EF-C309E000C746',
  logicalSectorSize: '8141BF1D-A96F-4709-BA47-F233A8FAAB5F',
  physicalSectorSize: 'CDA348C7-445D-4471-9CC9-E9885251C556',
  parentLocator: 'A8D35F2D-B30B-454D-ABF7-D3D84834AB0C',
};

export const KIB = 1024;
export const MIB = 1024 * 1024;
export const VHDX_BLOCK_SIZE = MIB;
export const LOGICAL_SECTOR = 512;
export const PHYSICAL_SECTOR = 4096;

export const BAT_STATE = {
  PAYLOAD_BLOCK_NOT_PRESENT: 0,
  PAYLOAD_BLOCK_UNDEFINED: 1,
  PAYLOAD_BLOCK_ZERO: 2,
  PAYLOAD_BLOCK_UNMAPPED: 3,
  PAYLOAD_BLOCK_FULLY_PRESENT: 6,
  PAYLOAD_BLOCK_PARTIALLY_PRESENT: 7,
  SB_BLOCK_NOT_PRESENT: 0,
  SB_BLOCK_PRESENT: 6,
};

export interface VhdxGeometry {
  virtualSize: number;
  blockSize: number;
  logicalSectorSize: number;
  chunkRatio: number;
  payloadBlocks: number;
  totalBatEntries: number;
}

export function vhdxGeometry(virtualSize: number, blockSize = VHDX_BLOCK_SIZE, logicalSectorSize = LOGICAL_SECTOR): VhdxGeometry {
  const chunkRatio = (2 ** 23 * logicalSectorSize) / blockSize;
  const payloadBlocks = Math.ceil(virtualSize / blockSize);
  const sectorBitmapBlocks = Math.ceil(payloadBlocks / chunkRatio);
  // Dynamic disk: sector bitmap entries sit after every chunkRatio payload entries.
  const totalBatEntries = payloadBlocks + Math.floor((payloadBlocks - 1) / chunkRatio);
  void sectorBitmapBlocks;
  return { virtualSize, blockSize, logicalSectorSize, chunkRatio, payloadBlocks, totalBatEntries };
}

/** Index in the BAT of payload block `block` (sector bitmap entries interleaved). */
export function batIndexOfBlock(block: number, chunkRatio: number): number {
  return block + Math.floor(block / chunkRatio);
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

export interface VhdxLayout {
  logOffset: number;
  logLength: number;
  metadataOffset: number;
  metadataLength: number;
  batOffset: number;
  batLength: number;
  firstPayloadOffset: number;
}

export function vhdxLayout(geometry: VhdxGeometry): VhdxLayout {
  const batLength = alignUp(geometry.totalBatEntries * 8, MIB);
  return {
    logOffset: MIB,
    logLength: MIB,
    metadataOffset: 2 * MIB,
    metadataLength: MIB,
    batOffset: 3 * MIB,
    batLength,
    firstPayloadOffset: 3 * MIB + batLength,
  };
}

export function fileTypeIdentifier(): Buffer {
  const b = Buffer.alloc(64 * KIB);
  b.write('vhdxfile', 0, 'latin1');
  b.write('Checkpoint Lab', 8, 'utf16le');
  return b;
}

export function vhdxHeader(sequence: bigint, fileWriteGuid: string, dataWriteGuid: string, layout: VhdxLayout): Buffer {
  const b = Buffer.alloc(4 * KIB);
  b.write('head', 0, 'latin1');
  b.writeBigUInt64LE(sequence, 8);
  guidToBytes(fileWriteGuid).copy(b, 16);
  guidToBytes(dataWriteGuid).copy(b, 32);
  // LogGuid (48..64) stays zero: no log to replay.
  b.writeUInt16LE(0, 64); // LogVersion
  b.writeUInt16LE(1, 66); // Version
  b.writeUInt32LE(layout.logLength, 68);
  b.writeBigUInt64LE(BigInt(layout.logOffset), 72);
  b.writeUInt32LE(crc32c(b), 4);
  return b;
}

export function vhdxRegionTable(layout: VhdxLayout): Buffer {
  const b = Buffer.alloc(64 * KIB);
  b.write('regi', 0, 'latin1');
  b.writeUInt32LE(2, 8); // EntryCount
  const entry = (at: number, guid: string, offset: number, length: number) => {
    guidToBytes(guid).copy(b, at);
    b.writeBigUInt64LE(BigInt(offset), at + 16);
    b.writeUInt32LE(length, at + 24);
    b.writeUInt32LE(1, at + 28); // Required
  };
  entry(16, VHDX_GUIDS.bat, layout.batOffset, layout.batLength);
  entry(48, VHDX_GUIDS.metadata, layout.metadataOffset, layout.metadataLength);
  b.writeUInt32LE(crc32c(b), 4);
  return b;
}

export function vhdxMetadata(geometry: VhdxGeometry, page83Guid: string, metadataLength: number): Buffer {
  const b = Buffer.alloc(metadataLength);
  b.write('metadata', 0, 'latin1');
  const items: Array<{ guid: string; data: Buffer; virtualDisk: boolean }> = [];
  const u32 = (v: number) => {
    const x = Buffer.alloc(4);
    x.writeUInt32LE(v);
    return x;
  };
  const fileParameters = Buffer.alloc(8);
  fileParameters.writeUInt32LE(geometry.blockSize, 0);
  fileParameters.writeUInt32LE(0, 4); // LeaveBlocksAllocated = 0, HasParent = 0
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(geometry.virtualSize));
  items.push({ guid: VHDX_GUIDS.fileParameters, data: fileParameters, virtualDisk: false });
  items.push({ guid: VHDX_GUIDS.virtualDiskSize, data: size, virtualDisk: true });
  items.push({ guid: VHDX_GUIDS.page83Data, data: guidToBytes(page83Guid), virtualDisk: true });
  items.push({ guid: VHDX_GUIDS.logicalSectorSize, data: u32(geometry.logicalSectorSize), virtualDisk: true });
  items.push({ guid: VHDX_GUIDS.physicalSectorSize, data: u32(PHYSICAL_SECTOR), virtualDisk: true });
  b.writeUInt16LE(items.length, 10);
  let dataAt = 64 * KIB;
  items.forEach((item, i) => {
    const at = 32 + i * 32;
    guidToBytes(item.guid).copy(b, at);
    b.writeUInt32LE(dataAt, at + 16);
    b.writeUInt32LE(item.data.length, at + 20);
    b.writeUInt32LE((item.virtualDisk ? 2 : 0) | 4, at + 24); // IsVirtualDisk, IsRequired
    item.data.copy(b, dataAt);
    dataAt += alignUp(item.data.length, 8);
  });
  return b;
}

export function batEntry(state: number, fileOffset: number): bigint {
  return (BigInt(fileOffset / MIB) << 20n) | BigInt(state);
}
