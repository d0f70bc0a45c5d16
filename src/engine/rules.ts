/**
 * Hyper-V's rules as pure functions: validation (SPEC section 1, R4, R22), the lifecycle
 * table (section 2), default names (R3, R14), the choice of checkpoint type (R8-R10),
 * name selection (R24), and every user-facing error message in one place so the CLI,
 * the tree and the tests see the same words.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LabError } from './errors';
import type { CheckpointType, LabErrorCode, TakenCheckpointType, VmState } from './model';

export const MAX_CHECKPOINTS = 50;
export const MIN_DISK_GIB = 1;
export const MAX_DISK_GIB = 64;
export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;
export const MIN_MEMORY_BYTES = 32 * MIB;
export const MAX_MEMORY_BYTES = 64 * GIB;
export const DEFAULT_MEMORY_BYTES = GIB;
export const DEFAULT_DISK_GIB = 4;
export const MAX_NAME_LENGTH = 100;

export function labError(code: LabErrorCode, message: string): LabError {
  return new LabError(code, message);
}

/** Every message of SPEC sections 1-3 (and the lab's own where the SPEC gives none). */
export const messages = {
  vmNotFound: (name: string) => `No virtual machine named '${name}' was found.`,
  checkpointNotFound: (vm: string, name: string) => `'${vm}' has no checkpoint named '${name}'.`,
  checkpointIdNotFound: (vm: string, id: string) => `'${vm}' has no checkpoint with Id '${id}'.`,
  checkpointAmbiguous: (vm: string, name: string) => `More than one checkpoint of '${vm}' is named '${name}'. Use its Id.`,
  nameLength: () => 'The name must be between 1 and 100 characters.',
  nameControl: () => 'The name must not contain control characters.',
  vmNameInUse: (name: string) => `A virtual machine named '${name}' already exists.`,
  invalidState: (vm: string, state: VmState) => `The operation cannot be performed while the virtual machine '${vm}' is in the ${state} state.`,
  shutdownUnavailable: (vm: string) => `The virtual machine '${vm}' cannot be shut down: the Shutdown integration service is not available.`,
  turnOffFirst: (vm: string) => `Turn off '${vm}' first.`,
  checkpointsDisabled: (vm: string) => `Checkpoint operation failed. Checkpoints have been disabled for '${vm}'.`,
  checkpointLimit: (vm: string) => `Checkpoint operation failed. '${vm}' already has the maximum of ${MAX_CHECKPOINTS} checkpoints.`,
  productionOnly: (vm: string) => `Checkpoint operation failed. Production checkpoints cannot be created for '${vm}'.`,
  fallbackNotice: (reason: string) => `Standard checkpoint created because a production checkpoint could not be created: ${reason}`,
  noRevert: (vm: string) => `'${vm}' has no checkpoint to revert to.`,
  locationLocked: () => 'The checkpoint file location cannot be changed while the virtual machine has checkpoints.',
  locationInvalid: (p: string) => `The checkpoint file location '${p}' is not a writable folder.`,
  memoryRange: (bytes: number) =>
    `The startup memory must be between 32 MiB and 64 GiB (got ${bytes} bytes).`,
  diskRange: (value: number) => `The virtual disk size must be a whole number of GiB from 1 to 64 (got ${value}).`,
  generation: (value: unknown) => `The generation must be 1 or 2 (got ${String(value)}).`,
  guestOs: (value: unknown) => `The guest operating system must be 'linux' or 'windows' (got '${String(value)}').`,
  checkpointType: (value: unknown) => `The checkpoint type must be Disabled, Production, ProductionOnly or Standard (got '${String(value)}').`,
  itemMissing: (what: string) => `${what} is missing or damaged (R25); it can only be deleted.`,
  cancelled: () => 'The operation was cancelled.',
  closed: () => 'The lab has been closed.',
};

// ---------------------------------------------------------------- names (R3, R4, R14, R21)

/** R4/R21: trims and validates a VM or checkpoint name; returns the trimmed name. */
export function validateName(name: unknown): string {
  if (typeof name !== 'string') throw labError('InvalidName', messages.nameLength());
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > MAX_NAME_LENGTH) throw labError('InvalidName', messages.nameLength());
  if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) throw labError('InvalidName', messages.nameControl());
  return trimmed;
}

/** R3: `M/d/yyyy - h:mm:ss AM|PM` in local time, built explicitly (no locale formatting). */
export function formatCheckpointTime(date: Date): string {
  const hours24 = date.getHours();
  const hours12 = hours24 % 12 === 0 ? 12 : hours24 % 12;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getMonth() + 1}/${date.getDate()}/${date.getFullYear()} - ${hours12}:${two(date.getMinutes())}:${two(date.getSeconds())} ${hours24 < 12 ? 'AM' : 'PM'}`;
}

/** R3: `<VM> - (M/d/yyyy - h:mm:ss AM|PM)`. Names over 100 characters are cut at the VM name. */
export function defaultCheckpointName(vmName: string, date: Date): string {
  return fitName(vmName, ` - (${formatCheckpointTime(date)})`, '');
}

/** R14: `Automatic Checkpoint - <VM> - (<date time>)`. */
export function automaticCheckpointName(vmName: string, date: Date): string {
  return fitName(vmName, ` - (${formatCheckpointTime(date)})`, 'Automatic Checkpoint - ');
}

function fitName(vmName: string, suffix: string, prefix: string): string {
  const room = MAX_NAME_LENGTH - suffix.length - prefix.length;
  return `${prefix}${vmName.length > room ? vmName.slice(0, room).trimEnd() : vmName}${suffix}`;
}

// ---------------------------------------------------------------- selection (R24)

export function hasWildcards(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/** R24: PowerShell-like wildcard match (`*`, `?`), case-insensitive. */
export function matchesPattern(name: string, pattern: string): boolean {
  const source = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'is').test(name);
}

export function sameName(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0 || a.toLowerCase() === b.toLowerCase();
}

// ---------------------------------------------------------------- settings (section 1)

export function validateMemory(bytes: unknown): number {
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < MIN_MEMORY_BYTES || bytes > MAX_MEMORY_BYTES) {
    throw labError('InvalidSetting', messages.memoryRange(Number(bytes)));
  }
  return bytes;
}

export function validateDiskGiB(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_DISK_GIB || value > MAX_DISK_GIB) {
    throw labError('InvalidSetting', messages.diskRange(Number(value)));
  }
  return value;
}

export function validateGeneration(value: unknown): 1 | 2 {
  if (value !== 1 && value !== 2) throw labError('InvalidSetting', messages.generation(value));
  return value;
}

export function validateGuestOs(value: unknown): 'linux' | 'windows' {
  if (value !== 'linux' && value !== 'windows') throw labError('InvalidSetting', messages.guestOs(value));
  return value;
}

export function validateCheckpointType(value: unknown): CheckpointType {
  if (value !== 'Disabled' && value !== 'Production' && value !== 'ProductionOnly' && value !== 'Standard') {
    throw labError('InvalidSetting', messages.checkpointType(value));
  }
  return value;
}

/** R22: an absolute path to an existing, writable folder; returns it normalised. */
export function validateSnapshotLocation(location: string): string {
  if (typeof location !== 'string' || !path.isAbsolute(location)) throw labError('SnapshotLocationInvalid', messages.locationInvalid(String(location)));
  const resolved = path.resolve(location);
  try {
    if (!fs.statSync(resolved).isDirectory()) throw new Error('not a folder');
    fs.accessSync(resolved, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw labError('SnapshotLocationInvalid', messages.locationInvalid(location));
  }
  return resolved;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: MIB,
  mib: MIB,
  gb: GIB,
  gib: GIB,
  tb: 1024 * GIB,
  tib: 1024 * GIB,
};

/**
 * Parses a size as PowerShell reads `4GB` (binary units): `512MiB`, `1GB`, `1073741824`.
 * A bare number means `defaultUnit`. Throws InvalidSize (the CLI's exit 2) when the text
 * does not parse; range checks are the operation's (exit 1).
 */
export function parseSize(text: string, defaultUnit: 'B' | 'GiB' = 'B'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(String(text));
  const unit = match?.[2].toLowerCase();
  if (!match || unit === undefined || !(unit in SIZE_UNITS)) {
    throw labError('InvalidSize', `The size '${text}' is not valid. Use a number with an optional unit such as 512MiB, 4GB or 4GiB.`);
  }
  const factor = unit === '' ? (defaultUnit === 'GiB' ? GIB : 1) : SIZE_UNITS[unit];
  const bytes = Number(match[1]) * factor;
  if (!Number.isFinite(bytes) || !Number.isSafeInteger(Math.round(bytes))) {
    throw labError('InvalidSize', `The size '${text}' is not valid.`);
  }
  return Math.round(bytes);
}

/** `4GiB`, `4GB` and `4` all mean 4 GiB (SPEC section 1); returns GiB (maybe fractional: validateDiskGiB refuses it). */
export function parseDiskSize(text: string): number {
  return parseSize(text, 'GiB') / GIB;
}

/** Memory sizes: `1GiB`, `512MB`, or bytes. */
export function parseMemorySize(text: string): number {
  return parseSize(text, 'B');
}

// ---------------------------------------------------------------- lifecycle (section 2)

export type LifecycleAction = 'start' | 'pause' | 'resume' | 'save' | 'shutDown' | 'turnOff' | 'removeSavedState';

const TRANSITIONS: Record<LifecycleAction, Partial<Record<VmState, VmState>>> = {
  start: { Off: 'Running', Saved: 'Running' },
  pause: { Running: 'Paused' },
  resume: { Paused: 'Running' },
  save: { Running: 'Saved', Paused: 'Saved' },
  shutDown: { Running: 'Off' },
  turnOff: { Running: 'Off', Paused: 'Off' },
  removeSavedState: { Saved: 'Off' },
};

/** The lifecycle table: the next state, or the SPEC's "any other pair" error. */
export function nextState(vmName: string, state: VmState, action: LifecycleAction): VmState {
  const next = TRANSITIONS[action][state];
  if (next === undefined) throw labError('InvalidState', messages.invalidState(vmName, state));
  return next;
}

// ---------------------------------------------------------------- checkpoint type (R2, R8-R10)

export interface CheckpointSettings {
  Name: string;
  CheckpointType: CheckpointType;
  BackupIntegration: boolean;
}

export interface CheckpointChoice {
  type: TakenCheckpointType;
  /** R10: a Standard checkpoint of a Running, Paused or Saved VM holds its memory. */
  hasSavedState: boolean;
  /** R9 fallback text. */
  notice?: string;
}

/** Why a production checkpoint is impossible now (R8), or undefined when it is possible. */
export function productionBlocker(vm: CheckpointSettings, state: VmState): string | undefined {
  if (state === 'Off') return undefined;
  if (state === 'Running') {
    return vm.BackupIntegration ? undefined : `the Backup (volume shadow copy) integration service is not enabled for '${vm.Name}'.`;
  }
  return `'${vm.Name}' is ${state}, and a ${state.toLowerCase()} virtual machine cannot be quiesced.`;
}

/** R2, R8-R10: what a checkpoint of vm in state will be, or the SPEC's error. */
export function chooseCheckpoint(vm: CheckpointSettings, state: VmState): CheckpointChoice {
  const withMemory = state !== 'Off';
  switch (vm.CheckpointType) {
    case 'Disabled':
      throw labError('CheckpointsDisabled', messages.checkpointsDisabled(vm.Name));
    case 'Standard':
      return { type: 'Standard', hasSavedState: withMemory };
    case 'ProductionOnly':
      if (productionBlocker(vm, state) !== undefined) throw labError('ProductionUnavailable', messages.productionOnly(vm.Name));
      return { type: 'Production', hasSavedState: false };
    case 'Production': {
      const blocker = productionBlocker(vm, state);
      if (blocker === undefined) return { type: 'Production', hasSavedState: false };
      return { type: 'Standard', hasSavedState: withMemory, notice: messages.fallbackNotice(blocker) };
    }
  }
}
