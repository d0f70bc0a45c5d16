/**
 * Process-wide accounting of mounted guest file systems.
 *
 * libext2fs runs in one WebAssembly module per process whose heap is fixed at 16 MiB and
 * cannot grow: when a mount (or an operation on one) needs more, the module aborts
 * ("Aborted(OOM)") and every VM's file access in the process is gone until it restarts (in
 * VS Code: the extension host). Each mount holds the file system's bitmaps and tables,
 * which grow with the disk: measured by mounting one formatted disk again and again, mounts that fit
 * before the abort: 1 GiB 217, 4 GiB 65, 16 GiB 17, 32 GiB 8, 64 GiB 4; about 64 KiB per
 * GiB of disk plus a little. So every mount goes through here: it is charged a conservative
 * estimate, and before it is made the least recently used idle mounts are unmounted until
 * the total fits a budget that leaves room for transfers (1 MiB chunks) and libext2fs's own
 * allocations. A mount in use by an operation is pinned and never evicted; when nothing
 * can be evicted the operation fails with a clear error instead of the module aborting.
 * There are also count limits: Now mounts (rw) and cached checkpoint mounts (ro).
 */
import { LabError } from './errors';
import type { GuestFs } from './guest';

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/** A conservative estimate of the WebAssembly heap one mount of a disk of capacityBytes holds. */
export function mountCostBytes(capacityBytes: number): number {
  return 64 * KIB + 64 * KIB * Math.ceil(capacityBytes / GIB);
}

export type MountKind = 'now' | 'checkpoint';

export interface MountLimits {
  /** Heap bytes (by mountCostBytes) all mounts together may hold (default 11 MiB of the 16). */
  budgetBytes: number;
  /** Now (read-write) mounts at once, over all VMs (default 8). */
  maxNow: number;
  /** Cached read-only checkpoint mounts at once (default 8). */
  maxCheckpoint: number;
}

export const DEFAULT_MOUNT_LIMITS: Readonly<MountLimits> = { budgetBytes: 11 * MIB, maxNow: 8, maxCheckpoint: 8 };

interface Entry {
  bytes: number;
  kind: MountKind;
  lastUsed: number;
  pins: number;
  /** Detaches the mount from its owner (synchronously) before it is unmounted for room. */
  evict: () => void;
  closing?: Promise<void>;
}

export class MountBudget {
  private readonly entries = new Map<GuestFs, Entry>();
  private clock = 0;
  private queue: Promise<unknown> = Promise.resolve();
  limits: MountLimits = { ...DEFAULT_MOUNT_LIMITS };

  /** Bytes charged to mounts now (closing ones included until they are gone). */
  get usedBytes(): number {
    let total = 0;
    for (const entry of this.entries.values()) total += entry.bytes;
    return total;
  }

  count(kind?: MountKind): number {
    let n = 0;
    for (const entry of this.entries.values()) if (kind === undefined || entry.kind === kind) n++;
    return n;
  }

  /**
   * Mounts through doMount once there is room: evicts least recently used idle mounts (of
   * the same kind first when that kind is at its count limit). The new mount starts pinned
   * (unpin it when the operation ends). One mount at a time in the process.
   */
  mount(capacityBytes: number, kind: MountKind, doMount: () => Promise<GuestFs>, evict: () => void): Promise<GuestFs> {
    const bytes = mountCostBytes(capacityBytes);
    const run = async (): Promise<GuestFs> => {
      await this.makeRoom(bytes, kind);
      const fsx = await doMount();
      this.entries.set(fsx, { bytes, kind, lastUsed: ++this.clock, pins: 1, evict });
      return fsx;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Unmounts fsx and stops charging it (use instead of fsx.unmount() for mounts made here). */
  unmount(fsx: GuestFs): Promise<void> {
    const entry = this.entries.get(fsx);
    if (!entry) return fsx.unmount();
    entry.closing ??= fsx.unmount().finally(() => this.entries.delete(fsx));
    return entry.closing;
  }

  /** Marks fsx as used by an operation: not evicted until unpinned; most recently used. */
  pin(fsx: GuestFs): void {
    const entry = this.entries.get(fsx);
    if (!entry) return;
    entry.pins++;
    entry.lastUsed = ++this.clock;
  }

  unpin(fsx: GuestFs): void {
    const entry = this.entries.get(fsx);
    if (entry && entry.pins > 0) entry.pins--;
  }

  private async makeRoom(bytes: number, kind: MountKind): Promise<void> {
    const limit = kind === 'now' ? this.limits.maxNow : this.limits.maxCheckpoint;
    for (;;) {
      const overCount = this.count(kind) >= limit;
      const overBytes = this.usedBytes + bytes > this.limits.budgetBytes;
      if (!overCount && !overBytes) return;
      let victim: [GuestFs, Entry] | undefined;
      for (const pair of this.entries) {
        const entry = pair[1];
        if (entry.pins > 0 || entry.closing) continue;
        if (overCount && !overBytes && entry.kind !== kind) continue;
        if (!victim || entry.lastUsed < victim[1].lastUsed) victim = pair;
      }
      if (victim) {
        victim[1].evict();
        await this.unmount(victim[0]).catch(() => undefined);
        continue;
      }
      const closing = [...this.entries.values()].filter((entry) => entry.closing).map((entry) => entry.closing);
      if (closing.length > 0) {
        await Promise.all(closing.map((promise) => promise!.catch(() => undefined)));
        continue;
      }
      throw new LabError(
        'GuestMountLimit',
        'Too many guest file systems are in use at once for the memory of the guest file system module; finish other file operations and try again.',
      );
    }
  }
}

/** The one budget of this process (the WebAssembly module is per process). */
export const mountBudget = new MountBudget();
