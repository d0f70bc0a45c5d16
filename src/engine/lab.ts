/**
 * The lab facade: open a store, list and find VMs and checkpoints, and every operation of
 * SPEC sections 2-3 with Hyper-V's rules. The CLI, the tree, the commands and the file
 * system provider call only this class.
 *
 * Every changing operation runs under the store's lock (R31) and commits once (R28).
 * Listings read lab.json only (one JSON read, no WebAssembly, no disk maps).
 */
import { LabError } from './errors';
import type { Io } from './store/io';
import type { Disposable, LabChangeListener } from './events';
import type {
  ApplyOptions,
  ApplyResult,
  CheckpointFilter,
  CheckpointInfo,
  CheckpointOptions,
  CheckpointRef,
  CheckpointResult,
  CreateVmOptions,
  ExportOptions,
  ExportResult,
  GuestChangeInfo,
  GuestFileInfo,
  GuestFiles,
  GuestTarget,
  ImportOptions,
  ProgressOptions,
  RemoveCheckpointOptions,
  RemoveCheckpointResult,
  VerifyResult,
  VmChanges,
  VmDetails,
  VmInfo,
  VmRef,
} from './model';

export interface LabOptions {
  /** R31: how long to wait for another process's lock (default 5000 ms). */
  lockTimeoutMs?: number;
  /** File-system access (tests inject faults). */
  io?: Io;
  /** Clock for default names (R3) and CreationTime (tests). */
  now?: () => Date;
  /** Source of VM and checkpoint Ids (tests); default crypto.randomUUID. */
  newId?: () => string;
  /** Where the ext4 templates live when not found next to the code. */
  templateDirectory?: string;
}

function notImplemented(what: string, ..._args: unknown[]): Error {
  return new LabError('NotImplemented', `Lab.${what} is not implemented yet.`);
}

export class Lab {
  // ------------------------------------------------------------------ opening

  /** Opens (creating if needed) the store at storeRoot; recovers an interrupted operation first (R28). */
  static async open(storeRoot: string, options?: LabOptions): Promise<Lab> {
    throw notImplemented('open', storeRoot, options);
  }

  /** The store's Id (for checkpoint-lab: URIs). */
  get storeId(): string {
    throw notImplemented('storeId');
  }

  /** Absolute path of the store folder. */
  get root(): string {
    throw notImplemented('root');
  }

  /** Releases file handles and mounted file systems. Uncommitted work does not exist: every operation committed. */
  async close(): Promise<void> {
    throw notImplemented('close');
  }

  // ------------------------------------------------------------------ events

  /** Subscribes to change events (vm added/changed/removed, checkpoints changed, guest files changed, store changed). */
  onDidChange(listener: LabChangeListener): Disposable {
    throw notImplemented('onDidChange', listener);
  }

  /**
   * Checks whether another process committed to the store since this Lab last looked; if so,
   * drops caches and emits 'storeChanged'. Cheap (reads a 16-byte file); returns true on change.
   */
  async refresh(): Promise<boolean> {
    throw notImplemented('refresh');
  }

  /** Polls refresh() every intervalMs (default 500) until disposed (R31: the tree refreshes within a second). */
  watch(intervalMs?: number): Disposable {
    throw notImplemented('watch', intervalMs);
  }

  // ------------------------------------------------------------------ VMs

  /** Every VM, sorted by name. One JSON read; Status reflects missing files (R25). */
  async listVms(): Promise<VmInfo[]> {
    throw notImplemented('listVms');
  }

  /** One VM by Id or name; "No virtual machine named '<name>' was found." */
  async getVm(vm: VmRef): Promise<VmInfo> {
    throw notImplemented('getVm', vm);
  }

  /** VmInfo plus creation time, checkpoint count, boot id and uptime. */
  async getVmDetails(vm: VmRef): Promise<VmDetails> {
    throw notImplemented('getVmDetails', vm);
  }

  /** new-vm: creates a VM, Off, with a formatted ext4 disk (or the given image's). */
  async createVm(options: CreateVmOptions): Promise<VmInfo> {
    throw notImplemented('createVm', options);
  }

  /** set-vm with SPEC section 1 validation (memory and generation only while Off; R22 for the location). */
  async setVm(vm: VmRef, changes: VmChanges): Promise<VmInfo> {
    throw notImplemented('setVm', vm, changes);
  }

  /** Renames a VM (same validation as R4, unique case-insensitively). */
  async renameVm(vm: VmRef, newName: string): Promise<VmInfo> {
    throw notImplemented('renameVm', vm, newName);
  }

  /** remove-vm: refuses Running or Paused ("Turn off '<VM>' first."); deletes the VM's files. Works on a Missing VM (R25). */
  async removeVm(vm: VmRef): Promise<void> {
    throw notImplemented('removeVm', vm);
  }

  // ------------------------------------------------------------------ lifecycle (SPEC section 2)

  /** Off -> Running (R14 first) or Saved -> Running (same boot id and /run). */
  async start(vm: VmRef): Promise<VmInfo> {
    throw notImplemented('start', vm);
  }

  /** Running -> Paused (suspend-vm). */
  async pause(vm: VmRef): Promise<VmInfo> {
    throw notImplemented('pause', vm);
  }

  /** Paused -> Running. */
  async resume(vm: VmRef): Promise<VmInfo> {
    throw notImplemented('resume', vm);
  }

  /** Running or Paused -> Saved (memory kept in `Virtual Machines/<Id>.vmrs`). */
  async save(vm: VmRef): Promise<VmInfo> {
    throw notImplemented('save', vm);
  }

  /** Clean Running -> Off: needs the Shutdown integration service; R15. */
  async shutDown(vm: VmRef): Promise<VmInfo> {
    throw notImplemented('shutDown', vm);
  }

  /** Running or Paused -> Off, memory lost. */
  async turnOff(vm: VmRef): Promise<VmInfo> {
    throw notImplemented('turnOff', vm);
  }

  /** Saved -> Off, memory discarded (remove-saved-state). */
  async removeSavedState(vm: VmRef): Promise<VmInfo> {
    throw notImplemented('removeSavedState', vm);
  }

  /** Extension deactivation (lab rule): every Running or Paused VM is Saved. Returns the VMs saved. */
  async saveAllRunning(): Promise<VmInfo[]> {
    throw notImplemented('saveAllRunning');
  }

  // ------------------------------------------------------------------ checkpoints (SPEC section 3)

  /** checkpoint-vm: R1-R10; `notice` carries R9's fallback text. */
  async checkpoint(vm: VmRef, options?: CheckpointOptions): Promise<CheckpointResult> {
    throw notImplemented('checkpoint', vm, options);
  }

  /**
   * get-vmsnapshot: checkpoints of one VM (filter.vm) or of every VM, in tree order
   * (parents before children, siblings by creation time). One JSON read, no WebAssembly.
   */
  async listCheckpoints(filter?: CheckpointFilter): Promise<CheckpointInfo[]> {
    throw notImplemented('listCheckpoints', filter);
  }

  /** One checkpoint by Id or name (R24 errors). */
  async getCheckpoint(vm: VmRef, checkpoint: CheckpointRef): Promise<CheckpointInfo> {
    throw notImplemented('getCheckpoint', vm, checkpoint);
  }

  /** restore-vmsnapshot: R11-R13. */
  async apply(vm: VmRef, checkpoint: CheckpointRef, options?: ApplyOptions): Promise<ApplyResult> {
    throw notImplemented('apply', vm, checkpoint, options);
  }

  /** revert-vm: Apply of ParentCheckpoint (R13); "'<VM>' has no checkpoint to revert to." */
  async revert(vm: VmRef, options?: ApplyOptions): Promise<ApplyResult> {
    throw notImplemented('revert', vm, options);
  }

  /**
   * remove-vmsnapshot: R16-R19. A name selector may use `*` and `?` and removes every match
   * (R24); an Id or plain name selects one. includeChildren removes whole subtrees (R17).
   */
  async removeCheckpoint(vm: VmRef, selector: CheckpointRef, options?: RemoveCheckpointOptions): Promise<RemoveCheckpointResult> {
    throw notImplemented('removeCheckpoint', vm, selector, options);
  }

  /** rename-vmsnapshot (R21, R4 validation). */
  async renameCheckpoint(vm: VmRef, checkpoint: CheckpointRef, newName: string): Promise<CheckpointInfo> {
    throw notImplemented('renameCheckpoint', vm, checkpoint, newName);
  }

  /** Notes of a checkpoint (R21: free text). */
  async setCheckpointNotes(vm: VmRef, checkpoint: CheckpointRef, notes: string): Promise<CheckpointInfo> {
    throw notImplemented('setCheckpointNotes', vm, checkpoint, notes);
  }

  // ------------------------------------------------------------------ export / import (R23)

  /** export-vm: Now, to `<dir>/<VM name>/`. */
  async exportVm(vm: VmRef, dir: string, options?: ExportOptions): Promise<ExportResult> {
    throw notImplemented('exportVm', vm, dir, options);
  }

  /** export-vmsnapshot: a checkpoint's disk and config, to `<dir>/<VM name>/`. */
  async exportCheckpoint(vm: VmRef, checkpoint: CheckpointRef, dir: string, options?: ExportOptions): Promise<ExportResult> {
    throw notImplemented('exportCheckpoint', vm, checkpoint, dir, options);
  }

  /** import-vm: an exported folder, its .vmcx, or a bare raw/VHDX disk; a new VM (new Id), Off. */
  async importVm(path: string, options?: ImportOptions): Promise<VmInfo> {
    throw notImplemented('importVm', path, options);
  }

  // ------------------------------------------------------------------ guest files

  /** get-vmfile: a file's bytes, from Now or a checkpoint. */
  async readFile(vm: VmRef, path: string, target?: GuestTarget): Promise<Buffer> {
    throw notImplemented('readFile', vm, path, target);
  }

  /** list-vmfiles rows for a folder (or one file). */
  async listFiles(vm: VmRef, path?: string, target?: GuestTarget): Promise<GuestFileInfo[]> {
    throw notImplemented('listFiles', vm, path, target);
  }

  /** One row for path (throws when it does not exist). */
  async statFile(vm: VmRef, path: string, target?: GuestTarget): Promise<GuestFileInfo> {
    throw notImplemented('statFile', vm, path, target);
  }

  /** True when path exists in Now or the checkpoint. */
  async fileExists(vm: VmRef, path: string, target?: GuestTarget): Promise<boolean> {
    throw notImplemented('fileExists', vm, path, target);
  }

  /** write-vmfile and editor saves: durable when it returns. */
  async writeFile(vm: VmRef, path: string, data: Uint8Array | string, options?: { createParents?: boolean }): Promise<void> {
    throw notImplemented('writeFile', vm, path, data, options);
  }

  /** copy-vmfile: a host file into the guest (GuestServices rule for a Running VM). */
  async copyFileIn(vm: VmRef, hostPath: string, guestPath: string, options?: { createParents?: boolean }): Promise<void> {
    throw notImplemented('copyFileIn', vm, hostPath, guestPath, options);
  }

  /** remove-vmfile. */
  async removeFile(vm: VmRef, path: string, options?: { recursive?: boolean }): Promise<void> {
    throw notImplemented('removeFile', vm, path, options);
  }

  async mkdir(vm: VmRef, path: string, options?: { parents?: boolean }): Promise<void> {
    throw notImplemented('mkdir', vm, path, options);
  }

  async renameFile(vm: VmRef, from: string, to: string, options?: { overwrite?: boolean }): Promise<void> {
    throw notImplemented('renameFile', vm, from, to, options);
  }

  /**
   * Many guest changes as one operation (sync-vmfolder, folder copies): fn gets Now's files;
   * everything it wrote is committed once when it resolves, and nothing when it throws.
   */
  async editFiles<T>(vm: VmRef, fn: (files: GuestFiles) => Promise<T>, options?: ProgressOptions): Promise<T> {
    throw notImplemented('editFiles', vm, fn, options);
  }

  /** compare-vmsnapshot: changes from checkpoint `from` to `to` (default Now). */
  async compare(vm: VmRef, from: CheckpointRef, to?: CheckpointRef): Promise<GuestChangeInfo[]> {
    throw notImplemented('compare', vm, from, to);
  }

  // ------------------------------------------------------------------ store

  /** test-vmstore (R29): store files, disks and the engine's references; changes nothing. */
  async verify(): Promise<VerifyResult> {
    throw notImplemented('verify');
  }
}
