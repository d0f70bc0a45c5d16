/**
 * How VMs and checkpoints are persisted, and how they become the public VmInfo /
 * CheckpointInfo. lab.json holds every VmRecord with its CheckpointRecords: it is the
 * registry AND the index listings read (one JSON read, no WebAssembly). The .vmcx files
 * (`Virtual Machines/<Id>.vmcx`, `<location>/<Checkpoint Id>.vmcx`) hold copies of the same
 * records, as Hyper-V keeps a config file per VM and per checkpoint; they are what
 * verification (R29) and R25 check.
 */
import * as path from 'node:path';
import type {
  CheckpointInfo,
  CheckpointType,
  Generation,
  GuestOs,
  HardwareConfig,
  ItemStatus,
  SnapshotType,
  TakenCheckpointType,
  VmInfo,
  VmState,
} from './model';

/** Version of the engine's part of lab.json (inside the store's format). */
export const ENGINE_FORMAT = 1;
export const VMS_DIR = 'Virtual Machines';
export const SNAPSHOTS_DIR = 'Snapshots';

export interface CheckpointRecord {
  Id: string;
  Name: string;
  ParentId: string | null;
  CreationTime: string;
  SnapshotType: SnapshotType;
  CheckpointType: TakenCheckpointType;
  IsAutomatic: boolean;
  HasSavedState: boolean;
  VmState: VmState;
  Notes: string;
  Config: HardwareConfig;
  /** The frozen disk file it points to (R7), in `Virtual Hard Disks/<VM Id>/`. */
  Disk: string;
  /** Folder of its .vmcx/.vmrs: null = `<store>/Snapshots`, else an absolute path (R22). */
  Location: string | null;
  /** R14: the boot id an automatic checkpoint was taken for. */
  AutomaticBootId: string | null;
  /** Boot id of the memory it holds (HasSavedState), so Apply knows the VM's boot id. */
  MemoryBootId: string | null;
  ExclusiveBytes: number;
  SharedBytes: number;
}

export interface VmRecord {
  Id: string;
  Name: string;
  Generation: Generation;
  GuestOs: GuestOs;
  MemoryStartupBytes: number;
  DiskSizeBytes: number;
  CheckpointType: CheckpointType;
  /** null = `<store>/Snapshots`; else an absolute folder (R22). */
  SnapshotFileLocation: string | null;
  AutomaticCheckpointsEnabled: boolean;
  BackupIntegration: boolean;
  ShutdownIntegration: boolean;
  GuestServicesIntegration: boolean;
  Notes: string;
  State: VmState;
  ParentCheckpointId: string | null;
  CreationTime: string;
  /** Now's differencing (or base) disk file. */
  CurrentDisk: string;
  /** Boot id of the memory while the VM has memory, else null. */
  BootId: string | null;
  Checkpoints: CheckpointRecord[];
  /**
   * Bumped by every commit that replaces Now or its memory through the registry (apply,
   * revert, a lifecycle change); guest writes bump Now's disk generation instead (see
   * Lab.nowVersion). Absent in records from before it: 0.
   */
  NowVersion?: number;
}

export interface LabRegistry {
  storeId: string;
  engineFormat?: number;
  vms: VmRecord[];
  [key: string]: unknown;
}

export interface MemoryFile {
  /** When the payload was serialized: a Running VM's uptime continues from here. */
  savedAtMs: number;
  bootId: string;
  /** RunFs.serialize(), base64. */
  run: string;
}

export function vmConfigFile(vmId: string): string {
  return `${VMS_DIR}/${vmId}.vmcx`;
}

export function vmMemoryFile(vmId: string): string {
  return `${VMS_DIR}/${vmId}.vmrs`;
}

/** Store-relative (default) or absolute path of a checkpoint's file. */
export function checkpointFile(location: string | null, checkpointId: string, ext: 'vmcx' | 'vmrs'): string {
  return location === null ? `${SNAPSHOTS_DIR}/${checkpointId}.${ext}` : path.join(location, `${checkpointId}.${ext}`);
}

export function hardwareOf(vm: VmRecord): HardwareConfig {
  return {
    Generation: vm.Generation,
    MemoryStartupBytes: vm.MemoryStartupBytes,
    BackupIntegration: vm.BackupIntegration,
    ShutdownIntegration: vm.ShutdownIntegration,
    GuestServicesIntegration: vm.GuestServicesIntegration,
  };
}

/** The VM's own config file content: the record without its checkpoints. */
export function vmConfigOf(vm: VmRecord): Omit<VmRecord, 'Checkpoints'> {
  const { Checkpoints: _checkpoints, ...config } = vm;
  void _checkpoints;
  return config;
}

export function toVmInfo(vm: VmRecord, storeRoot: string, status: ItemStatus): VmInfo {
  const parent = vm.ParentCheckpointId === null ? undefined : vm.Checkpoints.find((c) => c.Id === vm.ParentCheckpointId);
  return {
    Id: vm.Id,
    Name: vm.Name,
    State: vm.State,
    Status: status,
    Generation: vm.Generation,
    GuestOs: vm.GuestOs,
    MemoryStartupBytes: vm.MemoryStartupBytes,
    DiskSizeBytes: vm.DiskSizeBytes,
    CheckpointType: vm.CheckpointType,
    SnapshotFileLocation: vm.SnapshotFileLocation ?? path.join(storeRoot, SNAPSHOTS_DIR),
    AutomaticCheckpointsEnabled: vm.AutomaticCheckpointsEnabled,
    BackupIntegration: vm.BackupIntegration,
    ShutdownIntegration: vm.ShutdownIntegration,
    GuestServicesIntegration: vm.GuestServicesIntegration,
    ParentCheckpointId: parent ? parent.Id : null,
    ParentCheckpointName: parent ? parent.Name : null,
    Notes: vm.Notes,
  };
}

export function toCheckpointInfo(vm: VmRecord, cp: CheckpointRecord, status: ItemStatus, byId?: Map<string, CheckpointRecord>): CheckpointInfo {
  const parent = cp.ParentId === null ? undefined : byId ? byId.get(cp.ParentId) : vm.Checkpoints.find((c) => c.Id === cp.ParentId);
  return {
    Id: cp.Id,
    Name: cp.Name,
    VMName: vm.Name,
    VMId: vm.Id,
    ParentSnapshotId: parent ? parent.Id : null,
    ParentSnapshotName: parent ? parent.Name : null,
    SnapshotType: cp.SnapshotType,
    CheckpointType: cp.CheckpointType,
    IsAutomatic: cp.IsAutomatic,
    HasSavedState: cp.HasSavedState,
    VmState: cp.VmState,
    Status: status,
    CreationTime: cp.CreationTime,
    Notes: cp.Notes,
    ExclusiveBytes: cp.ExclusiveBytes,
    SharedBytes: cp.SharedBytes,
  };
}

/** Loose shape check of a registry entry (a hand-edited lab.json must not crash listings, R25/R32). */
export function isVmRecord(value: unknown): value is VmRecord {
  const v = value as VmRecord;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.Id === 'string' &&
    typeof v.Name === 'string' &&
    typeof v.State === 'string' &&
    typeof v.CurrentDisk === 'string' &&
    Array.isArray(v.Checkpoints) &&
    v.Checkpoints.every((c) => typeof c === 'object' && c !== null && typeof c.Id === 'string' && typeof c.Name === 'string' && typeof c.Disk === 'string')
  );
}
