/**
 * The lab's disk file (disk0.vhdx, disk0_<GUID>.avhdx): a block map, not the data.
 *   bytes 0..511   header: magic "CLABVHD1", disk format u32, flags u32 (1 = frozen),
 *                  capacity f64, committed entry count u32, rolling crc32 of the entries u32,
 *                  parent file name (u16 length + UTF-8; empty for a base disk), write generation u32
 *                  at 500 (0 in files from before it), header crc32 at 508
 *   bytes 512..    entries of 12 bytes: virtual block u32, pool slot i32 (-2 = zeroed), crc32 of the block's data
 * Entries are appended past the committed count (unreferenced until the header, a journaled
 * 512-byte write, moves the count), so a commit costs what it adds; later entries win.
 */
import { StoreFileError } from '../errors';
import { crc32 } from '../store/codec';

export const HEADER_SIZE = 512;
export const ENTRY_SIZE = 12;
export const DISK_FORMAT = 1;
const MAGIC = 'CLABVHD1';

export interface DiskHeader {
  frozen: boolean;
  capacity: number;
  entryCount: number;
  entriesCrc: number;
  parent: string | null;
  /**
   * Bumped by every commit that changes what the disk reads as while it is a VM's Now (or,
   * for Now, its memory: see VmDisks.touch); a new child starts from its parent's, a merge
   * keeps the larger. So while a VM keeps its Now (no apply, no lifecycle change) an equal
   * generation means nothing was written. Absent (0) in files written before it existed.
   */
  generation?: number;
}

const GENERATION_AT = 500;

export function encodeHeader(header: DiskHeader): Buffer {
  const bytes = Buffer.alloc(HEADER_SIZE);
  bytes.write(MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(DISK_FORMAT, 8);
  bytes.writeUInt32LE(header.frozen ? 1 : 0, 12);
  bytes.writeDoubleLE(header.capacity, 16);
  bytes.writeUInt32LE(header.entryCount, 24);
  bytes.writeUInt32LE(header.entriesCrc >>> 0, 28);
  const parent = Buffer.from(header.parent ?? '', 'utf8');
  if (parent.length > 400) throw new Error('parent file name too long');
  bytes.writeUInt16LE(parent.length, 32);
  parent.copy(bytes, 34);
  bytes.writeUInt32LE((header.generation ?? 0) >>> 0, GENERATION_AT);
  bytes.writeUInt32LE(crc32(bytes.subarray(0, 508)), 508);
  return bytes;
}

/** Decodes and checks a whole disk file; errors name the file (relPath). */
export function decodeDiskFile(relPath: string, bytes: Buffer): { header: DiskHeader; entries: Buffer } {
  if (bytes.length < HEADER_SIZE) throw new StoreFileError(relPath, `the disk file is truncated (${bytes.length} bytes, its header needs ${HEADER_SIZE}).`);
  if (bytes.toString('latin1', 0, 8) !== MAGIC) throw new StoreFileError(relPath, 'the file is not a Checkpoint Lab virtual hard disk.');
  if (bytes.readUInt32LE(508) !== crc32(bytes.subarray(0, 508))) throw new StoreFileError(relPath, 'the disk header fails its checksum (damaged or edited).');
  const format = bytes.readUInt32LE(8);
  if (format !== DISK_FORMAT) {
    throw new StoreFileError(relPath, `the disk is in disk format ${format}; this version of Checkpoint Lab reads disk format ${DISK_FORMAT}.`);
  }
  const parentLength = bytes.readUInt16LE(32);
  const header: DiskHeader = {
    frozen: (bytes.readUInt32LE(12) & 1) === 1,
    capacity: bytes.readDoubleLE(16),
    entryCount: bytes.readUInt32LE(24),
    entriesCrc: bytes.readUInt32LE(28),
    parent: parentLength === 0 ? null : bytes.toString('utf8', 34, 34 + parentLength),
    generation: bytes.readUInt32LE(GENERATION_AT),
  };
  const end = HEADER_SIZE + header.entryCount * ENTRY_SIZE;
  if (bytes.length < end) throw new StoreFileError(relPath, `the disk file is truncated (${bytes.length} bytes, its block map needs ${end}).`);
  const entries = bytes.subarray(HEADER_SIZE, end);
  if (crc32(entries) !== header.entriesCrc) throw new StoreFileError(relPath, 'the block map fails its checksum (damaged or edited).');
  return { header, entries };
}

/** The write generation in a disk file's header (its first HEADER_SIZE bytes); undefined when they are not a sound header. */
export function headerGeneration(bytes: Uint8Array): number | undefined {
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (header.length < HEADER_SIZE || header.toString('latin1', 0, 8) !== MAGIC) return undefined;
  if (header.readUInt32LE(508) !== crc32(header.subarray(0, 508))) return undefined;
  return header.readUInt32LE(GENERATION_AT);
}
