/**
 * Guest path rules (SPEC section 6: absolute, no `..`, no NUL; lab limit of 4096
 * characters, Linux's PATH_MAX). Every guest entry point normalises through here so
 * that libext2fs, which resolves paths itself and would happily follow `..`, only
 * ever sees clean absolute paths.
 */
import { GuestError } from './errors';

export const MAX_GUEST_PATH = 4096;

function invalid(path: string, why: string): GuestError {
  const shown = path.length > 200 ? `${path.slice(0, 200)}...` : path.replace(/\0/g, '\\0');
  return new GuestError('GuestPathInvalid', `The guest path '${shown}' is not valid: ${why}.`, path);
}

/** Validates and normalises a guest path: '/a//b/./c/' -> '/a/b/c'; '/' stays '/'. */
export function normalizeGuestPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw invalid(String(path ?? ''), 'it is empty');
  if (path.includes('\0')) throw invalid(path, 'it contains a NUL character');
  if (path.length > MAX_GUEST_PATH) throw invalid(path, `it is longer than ${MAX_GUEST_PATH} characters`);
  if (!path.startsWith('/')) throw invalid(path, "it must be absolute (start with '/')");
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw invalid(path, "'..' components are not allowed");
    if (Buffer.byteLength(part) > 255) throw invalid(path, `the name '${part.slice(0, 40)}...' is longer than 255 bytes`);
    parts.push(part);
  }
  return '/' + parts.join('/');
}

export function splitGuestPath(normalized: string): string[] {
  return normalized === '/' ? [] : normalized.slice(1).split('/');
}

export function parentOf(normalized: string): string {
  const at = normalized.lastIndexOf('/');
  return at <= 0 ? '/' : normalized.slice(0, at);
}

export function joinGuestPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** True when `path` is `root` or inside it (both normalised). */
export function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(root === '/' ? '/' : `${root}/`);
}
