/**
 * Why this exists: the guest's timestamps have whole seconds, and VS Code decides whether a
 * file changed by its etag (mtime and size). An Apply that brings back a file of the same
 * size written in the same second would look unchanged, and the editor would keep showing
 * the discarded text. So for files VS Code has read (open documents) the provider keeps a
 * digest of the content it served, and after a change event re-reads a "suspect" file on
 * its next stat: if the content differs, the file's version goes up and the reported mtime
 * moves by that many milliseconds (below the second the guest reports, so it stays true).
 * Unrelated files keep their etag, so a dirty editor is not told its file changed when
 * another file of the VM was written.
 *
 * Pure logic, no 'vscode' import.
 */
import { createHash } from 'node:crypto';

interface Tracked {
  digest: string;
  version: number;
  suspect: boolean;
}

export function digestOf(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('base64');
}

export class ContentVersions {
  /** Insertion order doubles as recency (re-inserted on use): an LRU. */
  private readonly files = new Map<string, Tracked>();

  constructor(private readonly limit = 1000) {}

  /** Records what was served or written for `key` (a URI string); bumps the version when the content is new. */
  record(key: string, data: Uint8Array): void {
    const digest = digestOf(data);
    const previous = this.files.get(key);
    this.files.delete(key);
    const version = previous === undefined ? 0 : previous.digest === digest ? previous.version : previous.version + 1;
    this.files.set(key, { digest, version, suspect: false });
    while (this.files.size > this.limit) this.files.delete(this.files.keys().next().value as string);
  }

  /** Forgets a file (deleted or renamed away). */
  forget(key: string): void {
    this.files.delete(key);
  }

  /** Marks tracked keys that match as suspect; returns them. */
  markSuspect(matches: (key: string) => boolean): string[] {
    const marked: string[] = [];
    for (const [key, tracked] of this.files) {
      if (matches(key)) {
        tracked.suspect = true;
        marked.push(key);
      }
    }
    return marked;
  }

  isSuspect(key: string): boolean {
    return this.files.get(key)?.suspect === true;
  }

  isTracked(key: string): boolean {
    return this.files.has(key);
  }

  /** The version to fold into mtime: 0..999 ms. */
  offsetMs(key: string): number {
    const tracked = this.files.get(key);
    return tracked === undefined ? 0 : tracked.version % 1000;
  }

  keys(): string[] {
    return [...this.files.keys()];
  }

  get size(): number {
    return this.files.size;
  }
}

/**
 * The mtime VS Code sees: the guest's (whole seconds) plus the version in milliseconds.
 * A guest time with milliseconds of its own is kept as it is.
 */
export function reportedMtime(guestMs: number, offsetMs: number): number {
  if (!Number.isFinite(guestMs)) return offsetMs;
  return guestMs % 1000 === 0 ? guestMs + offsetMs : guestMs;
}
