/**
 * A sparse map from virtual block number to a value (a pool slot, or ZERO_BLOCK), kept in
 * 4 KiB pages of Int32 so a 64 GiB disk's map costs memory only where blocks exist and a
 * lookup is two array indexings whatever the disk's history (R27).
 */
export const ABSENT = -1;
/** A block explicitly zeroed (discarded) in a differencing disk: reads zeros, hides the parent. */
export const ZERO_BLOCK = -2;

const PAGE_BITS = 10;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

export class BlockMap {
  private pages: Array<Int32Array | undefined> = [];
  private counts: number[] = [];
  private entries = 0;
  private dataEntries = 0;

  get size(): number {
    return this.entries;
  }

  /** Entries whose value is a pool slot (>= 0), kept as entries change so that it costs O(1). */
  get dataCount(): number {
    return this.dataEntries;
  }

  get(block: number): number {
    const page = this.pages[block >>> PAGE_BITS];
    return page === undefined ? ABSENT : page[block & PAGE_MASK];
  }

  has(block: number): boolean {
    return this.get(block) !== ABSENT;
  }

  set(block: number, value: number): void {
    const index = block >>> PAGE_BITS;
    let page = this.pages[index];
    if (page === undefined) {
      page = new Int32Array(PAGE_SIZE).fill(ABSENT);
      this.pages[index] = page;
      this.counts[index] = 0;
    }
    const within = block & PAGE_MASK;
    const old = page[within];
    if (old === ABSENT) {
      this.entries++;
      this.counts[index]++;
    } else if (old >= 0) this.dataEntries--;
    if (value >= 0) this.dataEntries++;
    page[within] = value;
  }

  delete(block: number): number {
    const index = block >>> PAGE_BITS;
    const page = this.pages[index];
    if (page === undefined) return ABSENT;
    const within = block & PAGE_MASK;
    const old = page[within];
    if (old !== ABSENT) {
      page[within] = ABSENT;
      this.entries--;
      if (old >= 0) this.dataEntries--;
      if (--this.counts[index] === 0) this.pages[index] = undefined;
    }
    return old;
  }

  /** Visits entries in block order. */
  forEach(visit: (block: number, value: number) => void): void {
    const { pages } = this;
    for (let index = 0; index < pages.length; index++) {
      const page = pages[index];
      if (page === undefined) continue;
      const base = index << PAGE_BITS;
      for (let within = 0; within < PAGE_SIZE; within++) {
        const value = page[within];
        if (value !== ABSENT) visit(base + within, value);
      }
    }
  }

  clone(): BlockMap {
    const copy = new BlockMap();
    copy.pages = this.pages.map((page) => (page === undefined ? undefined : page.slice()));
    copy.counts = this.counts.slice();
    copy.entries = this.entries;
    copy.dataEntries = this.dataEntries;
    return copy;
  }
}
