/**
 * GuestView: what the CLI's get-vmfile, list-vmfiles, write-vmfile, remove-vmfile and
 * copy-vmfile (and the editor's file system provider) see of one VM or checkpoint: the
 * disk's ext4 with the memory's RunFs mounted at /run, and GuestAccess deciding writes.
 * Keeping the routing here means no caller can write a checkpoint or a Saved VM by
 * going around the rules, and /run behaves the same everywhere.
 */
import { GuestAccess, RUN_PATH } from './access';
import { GuestError } from './errors';
import type { GuestEntry, GuestFs, GuestStat } from './guestFs';
import { isUnder, normalizeGuestPath } from './paths';
import type { RunFs } from './runFs';

/** One row of list-vmfiles --json. */
export interface GuestListing {
  Path: string;
  Type: 'File' | 'Directory';
  Size: number;
  LastWriteTime: string;
}

export class GuestView {
  constructor(
    readonly access: GuestAccess,
    readonly disk: GuestFs,
    readonly run?: RunFs,
  ) {
    if (run) run.label = access.label;
  }

  get label(): string {
    return this.access.label;
  }

  /** '/run/x' -> '/x' when /run is memory; undefined for disk paths. */
  private runPath(p: string): string | undefined {
    if (!isUnder(p, RUN_PATH)) return undefined;
    return p.slice(RUN_PATH.length) || '/';
  }

  private memory(p: string): RunFs {
    if (!this.access.hasMemory || !this.run) throw this.access.runMissing(p);
    return this.run;
  }

  async stat(path: string): Promise<GuestStat> {
    const p = normalizeGuestPath(path);
    const r = this.runPath(p);
    if (r !== undefined) {
      const stat = this.memory(p).stat(r);
      if (!stat) throw new GuestError('GuestPathNotFound', `The path '${p}' does not exist in ${this.label}.`, p);
      return stat;
    }
    return this.disk.stat(p);
  }

  async exists(path: string): Promise<boolean> {
    const p = normalizeGuestPath(path);
    const r = this.runPath(p);
    if (r !== undefined) return this.access.hasMemory && !!this.run && this.run.stat(r) !== undefined;
    return this.disk.exists(p);
  }

  async readFile(path: string): Promise<Buffer> {
    const p = normalizeGuestPath(path);
    const r = this.runPath(p);
    return r !== undefined ? this.memory(p).readFile(r) : this.disk.readFile(p);
  }

  /** write-vmfile and editor saves. Call sync() (then commit the store) before returning to the user. */
  async writeFile(path: string, data: Uint8Array | string, options: { createParents?: boolean } = {}): Promise<void> {
    const p = normalizeGuestPath(path);
    this.access.assertWrite(p);
    const r = this.runPath(p);
    if (r !== undefined) return this.memory(p).writeFile(r, data, options);
    return this.disk.writeFile(p, data, options);
  }

  /** copy-vmfile: like writeFile, plus the GuestServices rule for a Running VM. */
  async copyIn(path: string, data: Uint8Array, options: { createParents?: boolean } = {}): Promise<void> {
    const p = normalizeGuestPath(path);
    this.access.assertCopyIn(p);
    return this.writeFile(p, data, options);
  }

  async mkdir(path: string, options: { parents?: boolean } = {}): Promise<void> {
    const p = normalizeGuestPath(path);
    this.access.assertWrite(p);
    const r = this.runPath(p);
    if (r !== undefined) return this.memory(p).mkdir(r, options);
    return this.disk.mkdir(p, options);
  }

  async remove(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const p = normalizeGuestPath(path);
    this.access.assertWrite(p);
    const r = this.runPath(p);
    if (r !== undefined) return this.memory(p).remove(r, options);
    return this.disk.remove(p, options);
  }

  async rename(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    const a = normalizeGuestPath(from);
    const b = normalizeGuestPath(to);
    this.access.assertWrite(a);
    this.access.assertWrite(b);
    const ra = this.runPath(a);
    const rb = this.runPath(b);
    if ((ra === undefined) !== (rb === undefined)) {
      throw new GuestError('GuestPathInvalid', `'${a}' cannot be moved to '${b}' in ${this.label}: /run is memory, not disk; copy the file instead.`, b);
    }
    if (ra !== undefined) return this.memory(a).rename(ra, rb!, options);
    return this.disk.rename(a, b, options);
  }

  /** Entries of a folder; the root shows /run while the guest has memory (lost+found stays visible). */
  async list(path = '/'): Promise<GuestEntry[]> {
    const p = normalizeGuestPath(path);
    const r = this.runPath(p);
    if (r !== undefined) return this.memory(p).list(r);
    const entries = await this.disk.list(p);
    if (p !== '/') return entries;
    const withoutRun = entries.filter((e) => e.name !== 'run');
    if (this.access.hasMemory && this.run) {
      const stat = this.run.stat('/')!;
      withoutRun.push({ name: 'run', type: 'Directory', size: 0, mtime: stat.mtime });
      withoutRun.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    }
    return withoutRun;
  }

  /** list-vmfiles rows for one folder (or one file), PascalCase as the SPEC's JSON. */
  async listing(path = '/'): Promise<GuestListing[]> {
    const p = normalizeGuestPath(path);
    const stat = await this.stat(p);
    const row = (full: string, e: { type: string; size: number; mtime: Date }): GuestListing => ({
      Path: full,
      Type: e.type === 'Directory' ? 'Directory' : 'File',
      Size: e.type === 'Directory' ? 0 : e.size,
      LastWriteTime: e.mtime.toISOString(),
    });
    if (stat.type !== 'Directory') return [row(p, stat)];
    return (await this.list(p)).map((e) => row(p === '/' ? `/${e.name}` : `${p}/${e.name}`, e));
  }

  /** Flushes the disk's file system (see GuestFs.sync); /run needs no flush. */
  sync(): Promise<void> {
    return this.disk.sync();
  }
}
