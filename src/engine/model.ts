/**
 * The lab's public data model: what the facade (lab.ts) returns and accepts.
 *
 * VmInfo and CheckpointInfo carry exactly the JSON fields of SPEC section 6 (PascalCase,
 * absent values as null), so the CLI can print them as they are and the tree can read
 * the same objects. Everything here is plain data: no methods, no engine internals.
 */

export type VmState = 'Off' | 'Running' | 'Paused' | 'Saved';
/** `Missing` when the files of a VM or checkpoint are missing or damaged (R25). */
export type ItemStatus = 'Ok' | 'Missing';
export type Generation = 1 | 2;
export type GuestOs = 'linux' | 'windows';
/** The VM setting (Set-VM -CheckpointType). */
export type CheckpointType = 'Disabled' | 'Production' | 'ProductionOnly' | 'Standard';
/** What a checkpoint actually is, after the R9 fallback. */
export type TakenCheckpointType = 'Production' | 'Standard';
/** Standard for user checkpoints, Recovery for those made by backup tools (CLI --recovery). */
export type SnapshotType = 'Standard' | 'Recovery';
export type DiskFormat = 'vhdx' | 'raw';

export const VM_STATES: readonly VmState[] = ['Off', 'Running', 'Paused', 'Saved'];
export const CHECKPOINT_TYPES: readonly CheckpointType[] = ['Disabled', 'Production', 'ProductionOnly', 'Standard'];
export const SNAPSHOT_TYPES: readonly SnapshotType[] = ['Standard', 'Recovery'];
export const GUEST_OSES: readonly GuestOs[] = ['linux', 'windows'];
export const DISK_FORMATS: readonly DiskFormat[] = ['vhdx', 'raw'];

/** A VM as get-vm --json prints it (SPEC section 6). */
export interface VmInfo {
  Id: string;
  Name: string;
  State: VmState;
  Status: ItemStatus;
  Generation: Generation;
  GuestOs: GuestOs;
  MemoryStartupBytes: number;
  DiskSizeBytes: number;
  CheckpointType: CheckpointType;
  /** Absolute path of the folder for checkpoint files (default `<store>/Snapshots`). */
  SnapshotFileLocation: string;
  AutomaticCheckpointsEnabled: boolean;
  BackupIntegration: boolean;
  ShutdownIntegration: boolean;
  GuestServicesIntegration: boolean;
  ParentCheckpointId: string | null;
  ParentCheckpointName: string | null;
  Notes: string;
}

/** A checkpoint as get-vmsnapshot --json prints it (SPEC section 6). */
export interface CheckpointInfo {
  Id: string;
  Name: string;
  VMName: string;
  VMId: string;
  ParentSnapshotId: string | null;
  ParentSnapshotName: string | null;
  SnapshotType: SnapshotType;
  CheckpointType: TakenCheckpointType;
  IsAutomatic: boolean;
  HasSavedState: boolean;
  /** The VM's state when the checkpoint was taken. */
  VmState: VmState;
  Status: ItemStatus;
  /** ISO 8601, UTC. */
  CreationTime: string;
  Notes: string;
  /** What deleting just this checkpoint would free (R16, R30). */
  ExclusiveBytes: number;
  /** What it references that others, Now included, reference too (R30). */
  SharedBytes: number;
}

/** The hardware configuration a checkpoint keeps and Apply restores (R11). */
export interface HardwareConfig {
  Generation: Generation;
  MemoryStartupBytes: number;
  BackupIntegration: boolean;
  ShutdownIntegration: boolean;
  GuestServicesIntegration: boolean;
}

/**
 * How a caller names a VM: a string is matched against Ids first, then names
 * (case-insensitive); `{ id }` and `{ name }` match only that field.
 */
export type VmRef = string | { id: string } | { name: string };

/**
 * How a caller names one checkpoint of a VM: a string is matched against Ids first, then
 * names (case-insensitive, R24: several matches are an error, "Use its Id.").
 */
export type CheckpointRef = string | { id: string } | { name: string };

export interface CreateVmOptions {
  /** 1-100 characters after trimming, no control characters, unique (case-insensitive). */
  name: string;
  /** Default 2. */
  generation?: Generation;
  /** Default 'linux'. */
  guestOs?: GuestOs;
  /** Whole GiB from 1 to 64 (default 4). Ignored when vhdPath is given (the image decides). */
  diskSizeGiB?: number;
  /** 32 MiB - 64 GiB (default 1 GiB). */
  memoryStartupBytes?: number;
  /** An existing raw or dynamic VHDX image holding ext4: copied in as the new VM's disk. */
  vhdPath?: string;
}

/** set-vm: every field optional; only the given ones change (SPEC section 1 validation). */
export interface VmChanges {
  name?: string;
  notes?: string;
  checkpointType?: CheckpointType;
  /** Absolute path of an existing writable folder, or null for the default `<store>/Snapshots` (R22). */
  snapshotFileLocation?: string | null;
  automaticCheckpointsEnabled?: boolean;
  backupIntegration?: boolean;
  shutdownIntegration?: boolean;
  guestServicesIntegration?: boolean;
  /** Only while Off. */
  memoryStartupBytes?: number;
  /** Only while Off. */
  generation?: Generation;
}

export interface CheckpointOptions {
  /** Default: R3's `<VM> - (M/d/yyyy - h:mm:ss AM|PM)`. */
  name?: string;
  /** SnapshotType Recovery (backup tools, CLI --recovery). */
  recovery?: boolean;
}

export interface CheckpointResult {
  checkpoint: CheckpointInfo;
  /** R9's text when Production fell back to Standard ("Standard checkpoint created because ..."). */
  notice?: string;
}

export interface ApplyOptions {
  /** "Create Checkpoint and Apply" (R13): take a checkpoint of Now first; if that fails, nothing is applied. */
  checkpointFirst?: boolean;
}

export interface ApplyResult {
  vm: VmInfo;
  /** The checkpoint taken first (checkpointFirst). */
  checkpointTaken?: CheckpointInfo;
  /** R9 notice of the checkpoint taken first. */
  notice?: string;
}

export interface RemoveCheckpointOptions {
  /** Delete Checkpoint Subtree (R17, --include-all-child-snapshots). */
  includeChildren?: boolean;
}

export interface RemoveCheckpointResult {
  /** Every checkpoint removed (the selected ones and, with includeChildren, their descendants). */
  removed: CheckpointInfo[];
}

/** get-vmsnapshot filters; all optional, combined with AND. */
export interface CheckpointFilter {
  /** Only this VM's checkpoints; all VMs when absent. */
  vm?: VmRef;
  /** Name or wildcard pattern (`*`, `?`), case-insensitive. A plain name that matches nothing is an error (R24). */
  name?: string;
  id?: string;
  snapshotType?: SnapshotType;
  /** Only descendants of this checkpoint (needs vm). */
  childOf?: CheckpointRef;
}

/** Progress and cancellation for long work (export, import, merges). */
export interface ProgressOptions {
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

export interface ExportOptions extends ProgressOptions {
  /** Default 'vhdx'. */
  diskFormat?: DiskFormat;
}

export interface ExportResult {
  /** `<DIR>/<VM name>` */
  folder: string;
  /** `<folder>/Virtual Machines/<Id>.vmcx` */
  configFile: string;
  /** `<folder>/Virtual Hard Disks/disk0.vhdx` or `disk0.raw` */
  diskFile: string;
}

export interface ImportOptions extends ProgressOptions {
  /** New name; required when the exported name is already in use. */
  name?: string;
}

/** Where a guest file operation looks: Now (default) or a checkpoint (read-only). */
export interface GuestTarget {
  checkpoint?: CheckpointRef;
}

/** One row of list-vmfiles --json. */
export interface GuestFileInfo {
  Path: string;
  Type: 'File' | 'Directory';
  Size: number;
  LastWriteTime: string;
}

/** One row of compare-vmsnapshot --json. */
export interface GuestChangeInfo {
  Path: string;
  Change: 'Added' | 'Removed' | 'Modified';
}

/**
 * The guest files of one VM's Now, as the editFiles() batch sees them: the same rules as
 * the single operations (GuestAccess), committed once when the callback returns.
 */
export interface GuestFiles {
  readonly label: string;
  stat(path: string): Promise<GuestFileInfo>;
  exists(path: string): Promise<boolean>;
  readFile(path: string): Promise<Buffer>;
  list(path?: string): Promise<GuestFileInfo[]>;
  writeFile(path: string, data: Uint8Array | string, options?: { createParents?: boolean }): Promise<void>;
  /** copy-vmfile: writeFile plus the GuestServices rule for a Running VM. */
  copyIn(path: string, data: Uint8Array, options?: { createParents?: boolean }): Promise<void>;
  mkdir(path: string, options?: { parents?: boolean }): Promise<void>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  rename(from: string, to: string, options?: { overwrite?: boolean }): Promise<void>;
}

/** test-vmstore --json (R29). */
export interface VerifyResult {
  Healthy: boolean;
  Problems: Array<{ File: string; Problem: string }>;
}

/** Runtime details of a VM beyond the SPEC JSON (tooltips, status bars). */
export interface VmDetails {
  vm: VmInfo;
  CreationTime: string;
  CheckpointCount: number;
  /** Boot id while the VM has memory (Running, Paused, Saved), else null. */
  BootId: string | null;
  /** Uptime in ms while the VM has memory, else null. */
  UptimeMs: number | null;
}

/** Error codes the engine's facade throws (LabError.code); messages are the SPEC's text. */
export type LabErrorCode =
  | 'VmNotFound'
  | 'CheckpointNotFound'
  | 'CheckpointAmbiguous'
  | 'InvalidName'
  | 'VmNameInUse'
  | 'InvalidSetting'
  | 'InvalidSize'
  | 'InvalidState'
  | 'ShutdownUnavailable'
  | 'TurnOffFirst'
  | 'CheckpointsDisabled'
  | 'CheckpointLimit'
  | 'ProductionUnavailable'
  | 'NoCheckpointToRevert'
  | 'SnapshotLocationLocked'
  | 'SnapshotLocationInvalid'
  | 'ItemMissing'
  | 'ExportExists'
  | 'ImportRefused'
  | 'Cancelled'
  | 'LabClosed';
