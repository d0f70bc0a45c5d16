/**
 * The redo journal: one record per commit, written whole at offset 0 of lab.journal and
 * fsynced before any committed file is touched. A record is a header line
 *   CLJ<format> <body length> <crc32 hex of body>\n
 * followed by a JSON body {seq, ops}. A torn or damaged record fails its CRC and is
 * ignored (the commit never happened); a whole record is replayed (ops are idempotent).
 */
import { crc32, hex32, STORE_FORMAT } from './codec';

export type JournalOp =
  | { op: 'pwrite'; path: string; pos: number; data: string /* base64 */ }
  | { op: 'truncate'; path: string; length: number }
  | { op: 'rename'; path: string; to: string }
  | { op: 'unlink'; path: string }
  | { op: 'rmdir'; path: string }
  | { op: 'mkdir'; path: string };

export interface JournalRecord {
  seq: number;
  ops: JournalOp[];
}

export function encodeRecord(record: JournalRecord): Buffer {
  const body = Buffer.from(JSON.stringify(record), 'utf8');
  const header = Buffer.from(`CLJ${STORE_FORMAT} ${body.length} ${hex32(crc32(body))}\n`, 'utf8');
  return Buffer.concat([header, body]);
}

/** The record in bytes, or undefined when there is none or it is torn / damaged. */
export function decodeRecord(bytes: Buffer): JournalRecord | undefined {
  const newline = bytes.indexOf(0x0a);
  if (newline < 0 || newline > 64) return undefined;
  const match = /^CLJ(\d+) (\d+) ([0-9a-f]{8})$/.exec(bytes.subarray(0, newline).toString('utf8'));
  if (!match) return undefined;
  const length = Number(match[2]);
  const body = bytes.subarray(newline + 1, newline + 1 + length);
  if (body.length !== length || hex32(crc32(body)) !== match[3]) return undefined;
  try {
    const record = JSON.parse(body.toString('utf8')) as JournalRecord;
    return Array.isArray(record.ops) && typeof record.seq === 'number' ? record : undefined;
  } catch {
    return undefined;
  }
}
