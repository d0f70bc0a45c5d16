/**
 * One pass over a linked host folder: readdir per folder and lstat per file, as git's
 * index refresh does. Files whose size, mtime and inode match the manifest keep their
 * content id without being read; the others are read later, by the sync that needs them.
 * Excluded paths (the link's globs, and .gitignore files when asked) are pruned.
 *
 * Racy files (git's "racily clean" entries): a file modified within the file system's
 * timestamp granularity of the scan could change again without its size or mtime moving,
 * so the manifest must not vouch for it by its stat. Such entries are saved smudged
 * (see smudged()) and read again at the next scan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExcludeRules } from './globs';
import type { HostEntry } from './manifest';
import { LoopError } from './errors';

export interface ScannedFile {
  size: number;
  mtimeMs: number;
  ino: number;
  /** Known when the stat matches the manifest; otherwise the file must be read. */
  id?: string;
  /** Modified so close to the scan that an equal stat later would prove nothing. */
  racy: boolean;
}

export interface HostScan {
  files: Map<string, ScannedFile>;
  /** Folders (relative), parents before children. */
  dirs: string[];
  rules: ExcludeRules;
}

export interface ScanOptions {
  excludes: readonly string[];
  useGitignore: boolean;
}

export function buildRules(root: string, options: ScanOptions): ExcludeRules {
  const rules = new ExcludeRules().add(options.excludes);
  if (options.useGitignore) addGitignore(rules, root, '');
  return rules;
}

function addGitignore(rules: ExcludeRules, dirAbs: string, base: string): void {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dirAbs, '.gitignore'), 'utf8');
  } catch {
    return;
  }
  rules.add(text.split('\n'), base);
}

/** Checks the folder exists and is a folder: "The linked folder '<path>' does not exist." */
export function assertHostFolder(root: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch {
    throw new LoopError('HostFolderMissing', `The linked folder '${root}' does not exist.`);
  }
  if (!stat.isDirectory()) throw new LoopError('HostFolderMissing', `The linked folder '${root}' is not a folder.`);
}

/**
 * How close to `referenceMs` an mtime must be for the file to count as racy. File times
 * come from a coarse kernel clock that lags Date.now() by up to a tick; file systems
 * with whole-second times (FAT's are 2 s) need a window of their granularity.
 */
function racyWindowMs(mtimeMs: number): number {
  return mtimeMs % 1000 === 0 ? 2_000 : 100;
}

export function isRacy(mtimeMs: number, referenceMs: number): boolean {
  return mtimeMs >= referenceMs - racyWindowMs(mtimeMs);
}

/** The manifest entry of a racy file: a stat no file ever has, so the next scan reads it again. */
export function smudged(entry: HostEntry): HostEntry {
  return { ...entry, mtimeMs: -1 };
}

export function scanHost(root: string, known: Record<string, HostEntry>, options: ScanOptions): HostScan {
  assertHostFolder(root);
  const startedMs = Date.now(); // the reference for racy files
  const rules = buildRules(root, options);
  const files = new Map<string, ScannedFile>();
  const dirs: string[] = [];
  const visit = (dirAbs: string, dirRel: string): void => {
    if (options.useGitignore && dirRel !== '') addGitignore(rules, dirAbs, dirRel);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dirAbs, { withFileTypes: true });
    } catch (error) {
      throw new LoopError('HostFolderUnreadable', `The folder '${dirAbs}' cannot be read: ${(error as Error).message}`);
    }
    const subdirs: Array<[string, string]> = [];
    for (const entry of entries) {
      const rel = dirRel ? `${dirRel}/${entry.name}` : entry.name;
      const abs = dirAbs + path.sep + entry.name; // path.join normalizes: a cost per file here
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      let stat: fs.Stats | undefined;
      if (entry.isSymbolicLink()) {
        // a link to a file is copied as that file; links to folders are not followed (cycles)
        try {
          stat = fs.statSync(abs);
        } catch {
          continue;
        }
        isDir = false;
        isFile = stat.isFile();
      }
      if (isDir) {
        if (rules.excludes(rel, true)) continue;
        subdirs.push([abs, rel]);
        continue;
      }
      if (!isFile || rules.excludes(rel, false)) continue;
      try {
        stat ??= fs.lstatSync(abs);
      } catch {
        continue; // vanished while scanning
      }
      const before = known[rel];
      const scanned: ScannedFile = { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, racy: isRacy(stat.mtimeMs, startedMs) };
      if (before && before.size === stat.size && before.mtimeMs === stat.mtimeMs && before.ino === stat.ino) scanned.id = before.id;
      files.set(rel, scanned);
    }
    subdirs.sort((a, b) => (a[1] < b[1] ? -1 : 1));
    for (const [abs, rel] of subdirs) {
      dirs.push(rel);
      visit(abs, rel);
    }
  };
  visit(root, '');
  return { files, dirs, rules };
}
