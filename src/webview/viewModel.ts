/**
 * What the Settings page is shown for a VM: the form values (controls) and the VM facts
 * and locks around them. Pure functions of the engine's data; no 'vscode' import.
 */
import type { VmDetails, VmInfo } from '../engine/model';
import { messages } from '../engine/rules';
import { controlsFromCheckpointType, DEFAULT_RADIOS } from './checkpointControls';
import type { CheckpointControls, SettingsForm, VmView } from './protocol';

const MIB = 1024 * 1024;

/** R22's message, shown next to the location while the VM has checkpoints (the engine's words). */
export const LOCATION_LOCKED_REASON = messages.locationLocked();

export function memoryLockedReason(vm: Pick<VmInfo, 'Name' | 'State'>): string {
  return `Memory can be changed only while the virtual machine is Off; '${vm.Name}' is ${vm.State}.`;
}

export function missingReason(vm: Pick<VmInfo, 'Name'>): string {
  return `The files of '${vm.Name}' are missing or damaged (R25); it can only be deleted.`;
}

export function formOf(vm: VmInfo, remembered: Pick<CheckpointControls, 'kind' | 'fallbackToStandard'> = DEFAULT_RADIOS): SettingsForm {
  return {
    name: vm.Name,
    notes: vm.Notes,
    checkpoints: controlsFromCheckpointType(vm.CheckpointType, remembered),
    snapshotFileLocation: vm.SnapshotFileLocation,
    automaticCheckpoints: vm.AutomaticCheckpointsEnabled,
    backup: vm.BackupIntegration,
    shutdown: vm.ShutdownIntegration,
    guestServices: vm.GuestServicesIntegration,
    // a size set in bytes through the CLI that is not whole MB shows as a fraction; it is sent only if edited
    memoryMiB: vm.MemoryStartupBytes / MIB,
  };
}

export function vmViewOf(details: Pick<VmDetails, 'vm' | 'CheckpointCount'>, defaultSnapshotFileLocation: string): VmView {
  const vm = details.vm;
  const locked: VmView['locked'] = {};
  if (vm.Status === 'Missing') locked.all = missingReason(vm);
  if (details.CheckpointCount > 0) locked.snapshotFileLocation = LOCATION_LOCKED_REASON;
  if (vm.State !== 'Off') locked.memoryMiB = memoryLockedReason(vm);
  return {
    id: vm.Id,
    name: vm.Name,
    state: vm.State,
    status: vm.Status,
    generation: vm.Generation,
    guestOs: vm.GuestOs,
    diskSizeBytes: vm.DiskSizeBytes,
    checkpointType: vm.CheckpointType,
    checkpointCount: details.CheckpointCount,
    defaultSnapshotFileLocation,
    pathStyle: process.platform === 'win32' ? 'win32' : 'posix',
    locked,
  };
}
