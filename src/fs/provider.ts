/**
 * The `checkpoint-lab` file system (SPEC section 5): a VM's Now read-write and every
 * checkpoint read-only, through the engine's guest operations and their permission rules
 * (SPEC "The guest"). URIs: see uri.ts.
 *
 * Open editors follow the VM: the engine's change events (this window's Apply, Revert,
 * commands; another process's commits seen by the Lab's watch) become batched
 * onDidChangeFile events for the URIs VS Code has open, and versions.ts makes sure their
 * etags move when their content did, even within one second of the guest's clock.
 */
import * as vscode from 'vscode';
import type { GuestFiles, Lab, LabChange } from '../engine';
import { FsError, toFileSystemError } from './errors';
import { ListingCache } from './listingCache';
import type { StoreChange, StoreLabSource } from './storeLabs';
import { checkpointLabel, CHECKPOINTS_SEGMENT, type GuestLocation, type LabLocation, LabUriError, NOW_SEGMENT, nowLabel, nowPath, parseLabUri, SCHEME } from './uri';
import { ContentVersions, reportedMtime } from './versions';

export interface ProviderOptions {
  /** How long change events are collected before they fire (ms). */
  batchDelayMs?: number;
  log?: vscode.LogOutputChannel;
  /** Refreshes the Explorer after changes it cannot see (Apply, another process). */
  refreshExplorer?: () => void;
}

const DIRECTORY_STAT: vscode.FileStat = { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0, permissions: vscode.FilePermission.Readonly };
/** More paths than this in one engine event: refresh the open files instead of each path. */
const MAX_PATH_EVENTS = 200;

function dirnameOf(uri: vscode.Uri): vscode.Uri {
  const at = uri.path.lastIndexOf('/');
  return uri.with({ path: at <= 0 ? '/' : uri.path.slice(0, at) });
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export class LabFileSystemProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  private pending = new Map<string, vscode.FileChangeEvent>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly versions = new ContentVersions();
  private readonly listings = new ListingCache();
  /** VMs (store/vmId) this provider is writing to right now: their local events are its own. */
  private readonly writing = new Map<string, number>();
  private readonly subscription: vscode.Disposable;
  private readonly batchDelayMs: number;

  constructor(
    private readonly labs: StoreLabSource,
    private readonly options: ProviderOptions = {},
  ) {
    this.batchDelayMs = options.batchDelayMs ?? 20;
    this.subscription = labs.onDidChange((event) => {
      // Synchronously, so a listing right after Lab.refresh() never comes from the cache.
      this.invalidateListings(event);
      void this.onStoreChange(event).catch((error) => this.options.log?.debug(`checkpoint-lab: change event: ${String(error)}`));
    });
  }

  // ------------------------------------------------------------------ FileSystemProvider

  watch(): vscode.Disposable {
    // Events come from the engine for the whole store; nothing to set up per watch.
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return this.guard(uri, async () => {
      const location = parseLabUri(uri);
      const lab = await this.labs.labFor(location.storeId);
      if (location.kind === 'store' || location.kind === 'area') return DIRECTORY_STAT;
      if (location.kind === 'vm' || location.kind === 'vmNow' || location.kind === 'checkpoints') {
        await lab.getVm(location.vm);
        return DIRECTORY_STAT;
      }
      if (location.kind === 'checkpoint') {
        await lab.getCheckpoint(location.vm, { id: location.checkpointId });
        return DIRECTORY_STAT;
      }
      const target = this.engineTarget(location);
      const row = await lab.statFile(location.vm, location.guestPath, target);
      const key = uri.toString();
      if (row.Type === 'File' && location.target.kind === 'now' && this.versions.isSuspect(key)) {
        this.versions.record(key, await lab.readFile(location.vm, location.guestPath));
      }
      const guestMs = Date.parse(row.LastWriteTime);
      const mtime = reportedMtime(guestMs, this.versions.offsetMs(key));
      return {
        type: row.Type === 'Directory' ? vscode.FileType.Directory : vscode.FileType.File,
        ctime: mtime,
        mtime,
        size: row.Size,
        permissions: location.target.kind === 'checkpoint' ? vscode.FilePermission.Readonly : undefined,
      };
    });
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    return this.guard(uri, async () => {
      const location = parseLabUri(uri);
      const lab = await this.labs.labFor(location.storeId);
      switch (location.kind) {
        case 'store':
          return [
            [NOW_SEGMENT, vscode.FileType.Directory],
            [CHECKPOINTS_SEGMENT, vscode.FileType.Directory],
          ];
        case 'area':
          return (await lab.listVms()).map((vm) => [vm.Id, vscode.FileType.Directory] as [string, vscode.FileType]);
        case 'vm':
          await lab.getVm(location.vm);
          return [
            [NOW_SEGMENT, vscode.FileType.Directory],
            [CHECKPOINTS_SEGMENT, vscode.FileType.Directory],
          ];
        case 'vmNow':
          return [[nowLabel(await lab.getVm(location.vm)), vscode.FileType.Directory]];
        case 'checkpoints':
          return (await lab.listCheckpoints({ vm: location.vm })).map((cp) => [cp.Id, vscode.FileType.Directory] as [string, vscode.FileType]);
        case 'checkpoint': {
          const vm = await lab.getVm(location.vm);
          const checkpoint = await lab.getCheckpoint({ id: vm.Id }, { id: location.checkpointId });
          return [[checkpointLabel(vm, checkpoint), vscode.FileType.Directory]];
        }
        case 'guest': {
          // Another process's commit shows up here at once (a 16-byte read), not at the next poll.
          await lab.refresh();
          const key = ListingCache.key(location.storeId, location.vm, location.target.kind === 'now' ? 'now' : location.target.checkpointId, location.guestPath);
          let entries = this.listings.get(key);
          if (!entries) {
            const rows = await lab.listFiles(location.vm, location.guestPath, this.engineTarget(location));
            if (rows.length === 1 && rows[0].Path === location.guestPath && rows[0].Type === 'File') {
              throw vscode.FileSystemError.FileNotADirectory(`'${location.guestPath}' is a file, not a folder.`);
            }
            entries = rows.map((row) => ({ name: basename(row.Path), directory: row.Type === 'Directory' }));
            this.listings.set(key, entries);
          }
          return entries.map((entry) => [entry.name, entry.directory ? vscode.FileType.Directory : vscode.FileType.File] as [string, vscode.FileType]);
        }
      }
    });
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.guard(uri, async () => {
      const location = this.guestLocation(uri, 'read');
      const lab = await this.labs.labFor(location.storeId);
      const data = await lab.readFile(location.vm, location.guestPath, this.engineTarget(location));
      if (location.target.kind === 'now') this.versions.record(uri.toString(), data);
      return data;
    });
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array, options: { readonly create: boolean; readonly overwrite: boolean }): Promise<void> {
    return this.guard(uri, async () => {
      const location = await this.writableLocation(uri);
      let created = false;
      await this.edit(location, async (files) => {
        const exists = await files.exists(location.guestPath);
        if (!exists && !options.create) throw vscode.FileSystemError.FileNotFound(uri);
        if (exists && options.create && !options.overwrite) throw vscode.FileSystemError.FileExists(uri);
        created = !exists;
        await files.writeFile(location.guestPath, content);
      });
      this.versions.record(uri.toString(), content);
      if (created) this.queue({ type: vscode.FileChangeType.Created, uri }, { type: vscode.FileChangeType.Changed, uri: dirnameOf(uri) });
      else this.queue({ type: vscode.FileChangeType.Changed, uri });
    });
  }

  async createDirectory(uri: vscode.Uri): Promise<void> {
    return this.guard(uri, async () => {
      const location = await this.writableLocation(uri);
      await this.edit(location, (files) => files.mkdir(location.guestPath));
      this.queue({ type: vscode.FileChangeType.Created, uri }, { type: vscode.FileChangeType.Changed, uri: dirnameOf(uri) });
    });
  }

  async delete(uri: vscode.Uri, options: { readonly recursive: boolean }): Promise<void> {
    return this.guard(uri, async () => {
      const location = await this.writableLocation(uri);
      await this.edit(location, (files) => files.remove(location.guestPath, { recursive: options.recursive }));
      this.forgetUnder(uri);
      this.queue({ type: vscode.FileChangeType.Deleted, uri }, { type: vscode.FileChangeType.Changed, uri: dirnameOf(uri) });
    });
  }

  async rename(oldUri: vscode.Uri, newUri: vscode.Uri, options: { readonly overwrite: boolean }): Promise<void> {
    return this.guard(oldUri, async () => {
      const from = await this.writableLocation(oldUri);
      const to = await this.writableLocation(newUri);
      const sameVm =
        from.storeId === to.storeId &&
        (from.vm.toLowerCase() === to.vm.toLowerCase() ||
          (await this.labs.labFor(from.storeId).then(async (lab) => (await lab.getVm(from.vm)).Id === (await lab.getVm(to.vm)).Id)));
      if (!sameVm) {
        throw vscode.FileSystemError.NoPermissions('Files move only inside one virtual machine; copy them to another one instead.');
      }
      await this.edit(from, (files) => files.rename(from.guestPath, to.guestPath, { overwrite: options.overwrite }));
      this.forgetUnder(oldUri);
      this.queue(
        { type: vscode.FileChangeType.Deleted, uri: oldUri },
        { type: vscode.FileChangeType.Created, uri: newUri },
        { type: vscode.FileChangeType.Changed, uri: dirnameOf(oldUri) },
        { type: vscode.FileChangeType.Changed, uri: dirnameOf(newUri) },
      );
    });
  }

  // ------------------------------------------------------------------ helpers

  private async guard<T>(uri: vscode.Uri, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toFileSystemError(this.explainMissingVm(uri, error));
    }
  }

  /** The earlier layout names a VM by name: after a rename its URIs find nothing, and the message says why. */
  private explainMissingVm(uri: vscode.Uri, error: unknown): unknown {
    if (typeof error !== 'object' || error === null || (error as { code?: unknown }).code !== 'VmNotFound') return error;
    let location: LabLocation;
    try {
      location = parseLabUri(uri);
    } catch {
      return error;
    }
    if (location.kind !== 'guest' || location.label !== undefined) return error;
    return new FsError(
      'VmNotFound',
      `${(error as Error).message} This file was opened by the virtual machine's name ('${location.vm}'); if the VM was renamed, open its disk again from the Checkpoint Lab view.`,
    );
  }

  private engineTarget(location: GuestLocation): { checkpoint?: { id: string } } {
    return location.target.kind === 'checkpoint' ? { checkpoint: { id: location.target.checkpointId } } : {};
  }

  private guestLocation(uri: vscode.Uri, purpose: 'read' | 'write'): GuestLocation {
    let location: LabLocation;
    try {
      location = parseLabUri(uri);
    } catch (error) {
      // Nothing can be created beside 'now' and 'checkpoints': a refusal, not a missing file.
      if (purpose === 'write' && error instanceof LabUriError && error.reason === 'notFound') throw vscode.FileSystemError.NoPermissions(error.message);
      throw error;
    }
    if (location.kind === 'guest') return location;
    if (purpose === 'read') throw vscode.FileSystemError.FileIsADirectory(uri);
    throw vscode.FileSystemError.NoPermissions(this.virtualFolderMessage(location));
  }

  private virtualFolderMessage(location: LabLocation): string {
    switch (location.kind) {
      case 'store':
      case 'area':
        return 'The list of virtual machines is read-only here: create and delete them in the Checkpoint Lab view.';
      case 'vm':
        return `The folder of '${location.vm}' holds only 'now' and 'checkpoints'; change files inside 'now'.`;
      case 'vmNow':
        return "This folder holds only the virtual machine's disk; change files inside it.";
      case 'checkpoint':
        return "This folder holds only the checkpoint's files, which are read-only.";
      default:
        return `Checkpoints of '${location.vm}' are taken and deleted in the Checkpoint Lab view, not as folders.`;
    }
  }

  /** A location that may be written, or the SPEC's refusal for a checkpoint (NoPermissions). */
  private async writableLocation(uri: vscode.Uri): Promise<GuestLocation> {
    const location = this.guestLocation(uri, 'write');
    if (location.target.kind === 'checkpoint') {
      const lab = await this.labs.labFor(location.storeId);
      const checkpoint = await lab.getCheckpoint(location.vm, { id: location.target.checkpointId });
      throw new FsError('ReadOnlyLocation', `The files of checkpoint '${checkpoint.Name}' of '${checkpoint.VMName}' are read-only. Apply the checkpoint to change them.`);
    }
    return location;
  }

  /** One guest change, committed once; its engine event is this provider's own (not re-fired). */
  private async edit(location: GuestLocation, fn: (files: GuestFiles) => Promise<void>): Promise<void> {
    const lab = await this.labs.labFor(location.storeId);
    const vm = await lab.getVm(location.vm);
    const key = `${location.storeId}/${vm.Id}`;
    this.writing.set(key, (this.writing.get(key) ?? 0) + 1);
    try {
      await lab.editFiles({ id: vm.Id }, fn);
    } finally {
      this.listings.invalidate(location.storeId, 'now');
      const left = (this.writing.get(key) ?? 1) - 1;
      if (left <= 0) this.writing.delete(key);
      else this.writing.set(key, left);
    }
  }

  private forgetUnder(uri: vscode.Uri): void {
    const prefix = uri.toString();
    for (const key of this.versions.keys()) if (key === prefix || key.startsWith(`${prefix}/`)) this.versions.forget(key);
  }

  /** Queues change events; they fire together after batchDelayMs (duplicates once). */
  private queue(...events: vscode.FileChangeEvent[]): void {
    for (const event of events) this.pending.set(`${event.type}:${event.uri.toString()}`, event);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const batch = [...this.pending.values()];
        this.pending = new Map();
        if (batch.length > 0) this.emitter.fire(batch);
      }, this.batchDelayMs);
    }
  }

  // ------------------------------------------------------------------ engine changes

  /** URIs of this store VS Code may have open: files read through here, open documents and tabs. */
  private openUris(storeId: string): Map<string, { uri: vscode.Uri; location: GuestLocation }> {
    const found = new Map<string, { uri: vscode.Uri; location: GuestLocation }>();
    const consider = (uri: vscode.Uri): void => {
      if (uri.scheme !== SCHEME || uri.authority !== storeId) return;
      try {
        const location = parseLabUri(uri);
        if (location.kind === 'guest') found.set(uri.toString(), { uri, location });
      } catch {
        // not ours to refresh
      }
    };
    for (const key of this.versions.keys()) consider(vscode.Uri.parse(key));
    for (const document of vscode.workspace.textDocuments) consider(document.uri);
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        const input = tab.input;
        if (input instanceof vscode.TabInputText) consider(input.uri);
        else if (input instanceof vscode.TabInputTextDiff) {
          consider(input.original);
          consider(input.modified);
        }
      }
    }
    return found;
  }

  private workspaceFoldersOf(storeId: string): vscode.WorkspaceFolder[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === SCHEME && folder.uri.authority === storeId);
  }

  private invalidateListings({ storeId, change }: StoreChange): void {
    switch (change.kind) {
      case 'guestFilesChanged':
      case 'vmChanged':
      case 'vmAdded':
        this.listings.invalidate(storeId, 'now');
        break;
      default:
        // checkpoints deleted, VMs removed, another process, another store location
        this.listings.invalidate(storeId, 'all');
    }
  }

  private async onStoreChange({ storeId, change }: StoreChange): Promise<void> {
    if (change.kind === 'storeChanged' || change.kind === 'reset') {
      this.refreshOpen(storeId, () => true);
      if (this.workspaceFoldersOf(storeId).length > 0) this.options.refreshExplorer?.();
      return;
    }
    const lab = await this.labs.labFor(storeId);
    if (change.kind === 'guestFilesChanged') {
      if (change.origin === 'local' && this.writing.has(`${storeId}/${change.vmId}`)) return;
      await this.onGuestFilesChanged(lab, storeId, change);
      return;
    }
    if (change.kind === 'checkpointsChanged' || change.kind === 'vmRemoved') await this.onCheckpointsChanged(lab, storeId, change.vmId);
  }

  private async vmMatcher(lab: Lab, vmId: string): Promise<((segment: string) => boolean) | undefined> {
    try {
      const vm = await lab.getVm({ id: vmId });
      const names = new Set([vm.Id.toLowerCase(), vm.Name.toLowerCase()]);
      return (segment) => names.has(segment.toLowerCase());
    } catch {
      return undefined;
    }
  }

  private async onGuestFilesChanged(lab: Lab, storeId: string, change: Extract<LabChange, { kind: 'guestFilesChanged' }>): Promise<void> {
    const matches = await this.vmMatcher(lab, change.vmId);
    if (!matches) return;
    const paths = change.paths;
    if (paths === undefined || paths.length > MAX_PATH_EVENTS) {
      // Apply, Revert, a big batch: every open file of this VM's Now may have changed.
      this.refreshOpen(storeId, (location) => location.target.kind === 'now' && matches(location.vm));
      const vm = await lab.getVm({ id: change.vmId });
      this.queue({ type: vscode.FileChangeType.Changed, uri: vscode.Uri.from({ scheme: SCHEME, authority: storeId, path: nowPath(vm) }) });
      if (this.workspaceFoldersOf(storeId).length > 0) this.options.refreshExplorer?.();
      return;
    }
    const vm = await lab.getVm({ id: change.vmId });
    const normalized = paths.map((p) => '/' + p.split('/').filter((s) => s !== '' && s !== '.').join('/'));
    this.refreshOpen(
      storeId,
      (location) => location.target.kind === 'now' && matches(location.vm) && normalized.some((p) => location.guestPath === p || location.guestPath.startsWith(p === '/' ? '/' : `${p}/`)),
    );
    for (const p of normalized) {
      const uri = vscode.Uri.from({ scheme: SCHEME, authority: storeId, path: nowPath(vm, p) });
      this.queue({ type: vscode.FileChangeType.Changed, uri }, { type: vscode.FileChangeType.Changed, uri: dirnameOf(uri) });
    }
    if (this.workspaceFoldersOf(storeId).length > 0) this.options.refreshExplorer?.();
  }

  /** Open files of checkpoints that no longer exist (deleted) are reported deleted. */
  private async onCheckpointsChanged(lab: Lab, storeId: string, vmId: string): Promise<void> {
    const open = [...this.openUris(storeId).values()].filter((entry) => entry.location.target.kind === 'checkpoint');
    if (open.length === 0) return;
    const existing = new Set((await lab.listCheckpoints()).map((cp) => cp.Id.toLowerCase()));
    const matches = await this.vmMatcher(lab, vmId);
    for (const { uri, location } of open) {
      if (location.target.kind !== 'checkpoint') continue;
      if (matches && !matches(location.vm)) continue;
      if (!existing.has(location.target.checkpointId.toLowerCase())) this.queue({ type: vscode.FileChangeType.Deleted, uri });
    }
  }

  /** Marks the matching open files suspect (their next stat compares content) and tells VS Code to look. */
  private refreshOpen(storeId: string, filter: (location: GuestLocation) => boolean): void {
    for (const [key, { uri, location }] of this.openUris(storeId)) {
      if (!filter(location)) continue;
      this.versions.markSuspect((k) => k === key);
      this.queue({ type: vscode.FileChangeType.Changed, uri });
    }
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
