/**
 * Formatting a new VM disk with ext4, without e2fsprogs on the user's machine.
 *
 * ext2fs (libext2fs in WebAssembly) cannot make a file system, so the lab ships, for
 * every supported size (1..64 GiB), the non-zero blocks of an empty ext4 made by
 * scripts/make-fs-templates.sh (fixed UUID, hash seed and time, so it is reproducible).
 * They are tiny (the 64 GiB one is under 7 KiB compressed). formatDisk writes only those
 * blocks: the rest of a new disk already reads as zeros, and writing zeros would make a
 * sparse disk dense.
 *
 * File system choices (made in the script): 4 KiB blocks, extents, flex_bg, 64bit,
 * metadata_csum, no journal (libext2fs never writes through a journal, and the store
 * makes every guest write atomic, so a journal would only cost space and format
 * bytes), no resize inode (lab disks never grow), 0% reserved blocks.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import type { BlockDevice } from '../disk/blockDevice';
import { LabError } from '../errors';

export const MIN_DISK_GIB = 1;
export const MAX_DISK_GIB = 64;
export const GIB = 1024 ** 3;
const MAGIC = 'CLABFST1';

export interface FsTemplate {
  blockSize: number;
  capacity: number;
  /** Runs of consecutive non-zero blocks, each with its bytes. */
  runs: Array<{ position: number; data: Buffer }>;
}

let templateDirectory: string | undefined;

/** Where the templates live; found next to the sources or the bundle unless set here. */
export function setTemplateDirectory(dir: string): void {
  templateDirectory = dir;
}

function findTemplateDirectory(): string {
  if (templateDirectory) return templateDirectory;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'assets', 'fs-templates');
    if (fs.existsSync(path.join(candidate, 'ext4-01g.tpl'))) {
      templateDirectory = candidate;
      return candidate;
    }
    dir = path.dirname(dir);
  }
  throw new LabError('FsTemplateMissing', `The empty file-system templates (assets/fs-templates) were not found near ${__dirname}.`);
}

export function templateFileName(sizeGiB: number): string {
  return `ext4-${String(sizeGiB).padStart(2, '0')}g.tpl`;
}

export function checkDiskSize(sizeGiB: number): void {
  if (!Number.isInteger(sizeGiB) || sizeGiB < MIN_DISK_GIB || sizeGiB > MAX_DISK_GIB) {
    throw new LabError('DiskSize', `The disk size must be a whole number of GiB from ${MIN_DISK_GIB} to ${MAX_DISK_GIB}; got ${sizeGiB}.`);
  }
}

const cache = new Map<number, FsTemplate>();

export function loadTemplate(sizeGiB: number): FsTemplate {
  checkDiskSize(sizeGiB);
  const cached = cache.get(sizeGiB);
  if (cached) return cached;
  const file = path.join(findTemplateDirectory(), templateFileName(sizeGiB));
  let body: Buffer;
  try {
    body = zlib.inflateSync(fs.readFileSync(file));
  } catch (error) {
    throw new LabError('FsTemplateDamaged', `The file-system template ${file} cannot be read: ${(error as Error).message}`);
  }
  const template = parseTemplate(body, file);
  if (template.capacity !== sizeGiB * GIB) {
    throw new LabError('FsTemplateDamaged', `The file-system template ${file} is for ${template.capacity} bytes, not ${sizeGiB} GiB.`);
  }
  cache.set(sizeGiB, template);
  return template;
}

function parseTemplate(body: Buffer, file: string): FsTemplate {
  const damaged = (why: string) => new LabError('FsTemplateDamaged', `The file-system template ${file} is damaged: ${why}.`);
  if (body.length < 32 || body.toString('latin1', 0, 8) !== MAGIC) throw damaged('bad magic');
  const version = body.readUInt32LE(8);
  if (version !== 1) throw damaged(`unknown version ${version}`);
  const blockSize = body.readUInt32LE(12);
  const capacity = Number(body.readBigUInt64LE(16));
  const runCount = body.readUInt32LE(24);
  const uniqueCount = body.readUInt32LE(28);
  let at = 32;
  const runs: Array<{ first: number; count: number }> = [];
  let blockCount = 0;
  for (let i = 0; i < runCount; i++) {
    runs.push({ first: Number(body.readBigUInt64LE(at)), count: body.readUInt32LE(at + 8) });
    blockCount += runs[i].count;
    at += 12;
  }
  const refsAt = at;
  const uniqueAt = refsAt + blockCount * 4;
  if (body.length !== uniqueAt + uniqueCount * blockSize) throw damaged('wrong length');
  let ref = 0;
  const out: FsTemplate['runs'] = [];
  for (const run of runs) {
    const data = Buffer.alloc(run.count * blockSize);
    for (let i = 0; i < run.count; i++, ref++) {
      const index = body.readUInt32LE(refsAt + ref * 4);
      if (index >= uniqueCount) throw damaged('block reference out of range');
      body.copy(data, i * blockSize, uniqueAt + index * blockSize, uniqueAt + (index + 1) * blockSize);
    }
    out.push({ position: run.first * blockSize, data });
  }
  return { blockSize, capacity, runs: out };
}

/**
 * Puts an empty ext4 file system on a new (all-zero) disk of sizeGiB GiB. Writes only
 * the template's non-zero blocks; the caller commits the store afterwards.
 */
export function formatDisk(device: BlockDevice, sizeGiB: number): void {
  checkDiskSize(sizeGiB);
  if (device.capacity !== sizeGiB * GIB) {
    throw new LabError('DiskSize', `The disk holds ${device.capacity} bytes, not ${sizeGiB} GiB.`);
  }
  if (device.readOnly) throw new LabError('GuestReadOnly', 'A read-only disk cannot be formatted.');
  for (const run of loadTemplate(sizeGiB).runs) {
    device.write(run.data, 0, run.data.length, run.position);
  }
  device.flush();
}
