/**
 * R31: one writer at a time. The lock is a file created exclusively at the store root,
 * holding {pid, hostname, acquiredAt}. A holder that is dead on this host (no such process,
 * or a zombie that was killed but not yet reaped) is taken over at once; otherwise we poll
 * until the timeout and report StoreBusy. Plain fs (not Io): the lock is not store data.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { LabError } from '../errors';

export const STORE_BUSY_MESSAGE = 'The lab store is in use by another process.';

export class StoreBusyError extends LabError {
  constructor() {
    super('StoreBusy', STORE_BUSY_MESSAGE);
    this.name = 'StoreBusyError';
  }
}

export interface LockHolder {
  pid: number;
  hostname: string;
  acquiredAt: string;
}

/** True when pid names a live, non-zombie process on this host. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    // no /proc (not Linux): trust kill(0)
  }
  return true;
}

export function readLockHolder(lockFile: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as LockHolder;
    return typeof parsed.pid === 'number' && typeof parsed.hostname === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export class FileLock {
  private held = false;
  constructor(readonly lockFile: string) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** One attempt: true when we now hold the lock. */
  tryAcquire(): boolean {
    for (let attempt = 0; attempt < 3; attempt++) {
      const me: LockHolder = { pid: process.pid, hostname: os.hostname(), acquiredAt: new Date().toISOString() };
      try {
        const fd = fs.openSync(this.lockFile, 'wx', 0o644);
        try {
          fs.writeSync(fd, JSON.stringify(me));
        } finally {
          fs.closeSync(fd);
        }
        this.held = true;
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readLockHolder(this.lockFile);
      if (holder === undefined) {
        // Being written right now, or garbage left by a crash between create and write.
        let age = 0;
        try {
          age = Date.now() - fs.statSync(this.lockFile).mtimeMs;
        } catch {
          continue; // gone: retry
        }
        if (age < 2000) return false;
      } else if (holder.hostname !== os.hostname() || isProcessAlive(holder.pid)) {
        return false;
      }
      // Dead holder: take over. Re-read right before removing to narrow the race with another taker.
      const again = readLockHolder(this.lockFile);
      if (JSON.stringify(again) !== JSON.stringify(holder)) continue;
      try {
        fs.unlinkSync(this.lockFile);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return false;
  }

  async acquire(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.tryAcquire()) return;
      if (Date.now() >= deadline) throw new StoreBusyError();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** For synchronous callers (a commit outside withLock): blocks the thread while waiting. */
  acquireSync(timeoutMs: number): void {
    const deadline = Date.now() + timeoutMs;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      if (this.tryAcquire()) return;
      if (Date.now() >= deadline) throw new StoreBusyError();
      Atomics.wait(sleeper, 0, 0, 25);
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    const holder = readLockHolder(this.lockFile);
    if (holder && holder.pid === process.pid && holder.hostname === os.hostname()) {
      try {
        fs.unlinkSync(this.lockFile);
      } catch {
        // already gone
      }
    }
  }
}
