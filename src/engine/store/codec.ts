/**
 * Checksummed metadata files. Every JSON file of the store is an envelope
 *   {"format": <store format>, "checksum": "crc32:<hex of the compact JSON of data>", "data": ...}
 * written pretty-printed so people can read it. A truncated file fails to parse, a hand
 * edit breaks the checksum, an unknown format is named: each a StoreFileError naming the file.
 */
import * as zlib from 'node:zlib';
import { StoreFileError } from '../errors';

/** Current on-disk format of the store. Bump it and add a migration (migrations.ts) when files change shape. */
export const STORE_FORMAT = 1;

export function crc32(data: Uint8Array | string, initial = 0): number {
  return zlib.crc32(data, initial) >>> 0;
}

export function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

/**
 * A metadata file: format, checksum (crc32 of the data's compact JSON) and data. Pretty by
 * default, for people reading the store; `compact` for the big machine-kept index (lab.json
 * is megabytes at 50 VMs x 50 checkpoints, and a second stringify per commit showed in
 * profiles). Readers do not care: the checksum is taken over the parsed data.
 */
export function encodeJson(value: unknown, options: { compact?: boolean } = {}): Buffer {
  const compact = JSON.stringify(value);
  if (compact === undefined) throw new TypeError('value is not JSON');
  const checksum = `crc32:${hex32(crc32(compact))}`;
  if (options.compact) return Buffer.from(`{"format":${STORE_FORMAT},"checksum":"${checksum}","data":${compact}}\n`, 'utf8');
  const pretty = JSON.stringify(value, null, 2);
  return Buffer.from(`{\n"format": ${STORE_FORMAT},\n"checksum": "${checksum}",\n"data": ${pretty}\n}\n`, 'utf8');
}

/** The format version a metadata file declares, or undefined when it declares none. */
export function declaredFormat(relPath: string, bytes: Uint8Array): number | undefined {
  const parsed = parseJson(relPath, bytes);
  const format = (parsed as { format?: unknown } | null)?.format;
  return typeof format === 'number' ? format : undefined;
}

function parseJson(relPath: string, bytes: Uint8Array): unknown {
  if (bytes.length === 0) throw new StoreFileError(relPath, 'the file is empty (truncated or damaged).');
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new StoreFileError(relPath, 'the file is not valid JSON (truncated or damaged).');
  }
}

export function decodeJson<T>(relPath: string, bytes: Uint8Array): T {
  return decodeParsed<T>(relPath, parseJson(relPath, bytes));
}

/**
 * One parse for both questions a store's open asks of lab.json: the format it declares
 * (undefined when none) and, when that is the current format, its checked data (else
 * undefined: the caller migrates or refuses). Throws StoreFileError like decodeJson.
 */
export function decodeCurrent<T>(relPath: string, bytes: Uint8Array): { format: number | undefined; data?: T } {
  const parsed = parseJson(relPath, bytes);
  const format = (parsed as { format?: unknown } | null)?.format;
  if (typeof format !== 'number') return { format: undefined };
  if (format !== STORE_FORMAT) return { format };
  return { format, data: decodeParsed<T>(relPath, parsed) };
}

function decodeParsed<T>(relPath: string, value: unknown): T {
  const parsed = value as { format?: unknown; checksum?: unknown; data?: unknown } | null;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new StoreFileError(relPath, 'the file is not a Checkpoint Lab metadata file.');
  }
  if (typeof parsed.format !== 'number') throw new StoreFileError(relPath, 'the file has no format version.');
  if (parsed.format > STORE_FORMAT) {
    throw new StoreFileError(
      relPath,
      `the file was written in store format ${parsed.format}, newer than format ${STORE_FORMAT} that this version of Checkpoint Lab reads.`,
    );
  }
  if (parsed.format < STORE_FORMAT) {
    throw new StoreFileError(relPath, `the file is in the old store format ${parsed.format}; format ${STORE_FORMAT} was expected (open the store to migrate it).`);
  }
  if (typeof parsed.checksum !== 'string' || !('data' in parsed)) {
    throw new StoreFileError(relPath, 'the file has no checksum.');
  }
  const actual = `crc32:${hex32(crc32(JSON.stringify(parsed.data)))}`;
  if (actual !== parsed.checksum) {
    throw new StoreFileError(relPath, `checksum mismatch (stored ${parsed.checksum}, computed ${actual}): the file was edited outside Checkpoint Lab or is damaged.`);
  }
  return parsed.data as T;
}
