/**
 * Directory listings the provider already served. Why: the engine stats every entry of a
 * folder (about 0.2 ms each), so the Explorer re-listing a 1,000-entry folder would cost
 * ~200 ms every time. A checkpoint's files never change (until it is deleted); Now's are
 * dropped on any change of the store's guest files (this window's, or another process's
 * seen by Lab.refresh()). Pure logic, no 'vscode' import.
 */

export interface CachedEntry {
  name: string;
  directory: boolean;
}

export class ListingCache {
  /** key -> entries; insertion order doubles as recency (LRU). */
  private readonly listings = new Map<string, CachedEntry[]>();

  constructor(private readonly limit = 256) {}

  static key(storeId: string, vmSegment: string, target: string, guestPath: string): string {
    return `${storeId}\n${vmSegment.toLowerCase()}\n${target.toLowerCase()}\n${guestPath}`;
  }

  get(key: string): CachedEntry[] | undefined {
    const found = this.listings.get(key);
    if (found) {
      this.listings.delete(key);
      this.listings.set(key, found);
    }
    return found;
  }

  set(key: string, entries: CachedEntry[]): void {
    this.listings.delete(key);
    this.listings.set(key, entries);
    while (this.listings.size > this.limit) this.listings.delete(this.listings.keys().next().value as string);
  }

  /** Drops Now's listings of a store (`target` 'now'), or everything of the store. */
  invalidate(storeId: string, what: 'now' | 'all'): void {
    for (const key of [...this.listings.keys()]) {
      const [store, , target] = key.split('\n');
      if (store === storeId && (what === 'all' || target === 'now')) this.listings.delete(key);
    }
  }

  get size(): number {
    return this.listings.size;
  }
}
