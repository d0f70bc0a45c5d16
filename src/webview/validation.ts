/**
 * Host-side validation of every message the Settings page sends (DESIGN house rule 5): a
 * message of an unknown type, of the wrong shape, with unknown keys, or with a value out
 * of range is refused here and never reaches the engine. The engine validates again
 * (uniqueness of the name, R22's writable folder, memory only while Off); this layer
 * makes sure nothing but well-formed VmChanges get that far. No 'vscode' import.
 */
import * as path from 'node:path';
import type { VmChanges } from '../engine/model';
import { checkpointTypeFromControls } from './checkpointControls';
import { CHECKPOINT_KINDS, LIMITS, SETTINGS_FIELDS, type CheckpointControls, type FieldErrors, type PageMessage, type SettingsChanges, type SettingsField } from './protocol';

const MIB = 1024 * 1024;

export type ParseResult =
  | { ok: true; message: PageMessage }
  | {
      ok: false;
      /** Why, for the log and the page. */
      reason: string;
      /** The request the refusal answers, when the message had a usable one. */
      requestId?: number;
      /** Values out of range, per field (an apply whose shape was fine). */
      fieldErrors?: FieldErrors;
    };

/** Messages users see next to a field; the page (media/settings/rules.js) uses the same words. */
export const fieldMessages = {
  nameLength: 'The name must be between 1 and 100 characters.',
  nameControl: 'The name must not contain control characters.',
  notesLength: `Notes must be at most ${LIMITS.notesMaxLength} characters.`,
  locationEmpty: 'Enter the folder for checkpoint files.',
  locationRelative: 'The checkpoint file location must be an absolute folder path.',
  locationTooLong: `The checkpoint file location must be at most ${LIMITS.pathMaxLength} characters.`,
  locationNul: 'The checkpoint file location must not contain NUL characters.',
  memoryNumber: 'Startup RAM must be a whole number of MB.',
  memoryRange: `Startup RAM must be between ${LIMITS.memoryMinMiB} MB and ${LIMITS.memoryMaxMiB} MB.`,
} as const;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Keys other than the allowed ones, for "unknown key" refusals. */
function extraKeys(record: Record<string, unknown>, allowed: readonly string[]): string[] {
  return Object.keys(record).filter((key) => !allowed.includes(key));
}

function checkControls(value: unknown): string | undefined {
  if (!isRecord(value)) return `checkpoints must be an object, not ${describe(value)}`;
  const extra = extraKeys(value, ['enabled', 'kind', 'fallbackToStandard']);
  if (extra.length > 0) return `checkpoints has unknown keys: ${extra.join(', ')}`;
  if (typeof value.enabled !== 'boolean') return `checkpoints.enabled must be a boolean, not ${describe(value.enabled)}`;
  if (typeof value.fallbackToStandard !== 'boolean') return `checkpoints.fallbackToStandard must be a boolean, not ${describe(value.fallbackToStandard)}`;
  if (!CHECKPOINT_KINDS.includes(value.kind as never)) return `checkpoints.kind must be Production or Standard, not ${JSON.stringify(value.kind)}`;
  return undefined;
}

/** The expected JavaScript type of each field (shape), before its value is checked. */
const FIELD_TYPES: Record<SettingsField, 'string' | 'boolean' | 'number' | 'controls'> = {
  name: 'string',
  notes: 'string',
  checkpoints: 'controls',
  snapshotFileLocation: 'string',
  automaticCheckpoints: 'boolean',
  backup: 'boolean',
  shutdown: 'boolean',
  guestServices: 'boolean',
  memoryMiB: 'number',
};

/** Shape of one field: undefined when the type is right. */
function shapeProblem(field: SettingsField, value: unknown): string | undefined {
  const expected = FIELD_TYPES[field];
  if (expected === 'controls') return checkControls(value);
  if (typeof value !== expected) return `${field} must be a ${expected}, not ${describe(value)}`;
  return undefined;
}

/**
 * The value of one field as a user would be told about it: undefined when it may be sent
 * to the engine, else the message shown next to the field. Assumes the shape is right.
 */
export function fieldProblem(field: SettingsField, value: unknown): string | undefined {
  switch (field) {
    case 'name': {
      const trimmed = String(value).trim();
      if (trimmed.length < 1 || trimmed.length > LIMITS.nameMaxLength) return fieldMessages.nameLength;
      if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) return fieldMessages.nameControl;
      return undefined;
    }
    case 'notes':
      return String(value).length > LIMITS.notesMaxLength ? fieldMessages.notesLength : undefined;
    case 'snapshotFileLocation': {
      const text = String(value);
      if (text.trim() === '') return fieldMessages.locationEmpty;
      if (text.length > LIMITS.pathMaxLength) return fieldMessages.locationTooLong;
      if (text.includes('\0')) return fieldMessages.locationNul;
      if (!path.isAbsolute(text.trim())) return fieldMessages.locationRelative;
      return undefined;
    }
    case 'memoryMiB': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return fieldMessages.memoryNumber;
      if (value < LIMITS.memoryMinMiB || value > LIMITS.memoryMaxMiB) return fieldMessages.memoryRange;
      return undefined;
    }
    default:
      return undefined;
  }
}

function parseChanges(value: unknown): { problem: string } | { fieldErrors: FieldErrors } | { changes: SettingsChanges } {
  if (!isRecord(value)) return { problem: `changes must be an object, not ${describe(value)}` };
  const extra = extraKeys(value, SETTINGS_FIELDS);
  if (extra.length > 0) return { problem: `changes has unknown fields: ${extra.join(', ')}` };
  const fieldErrors: FieldErrors = {};
  for (const field of SETTINGS_FIELDS) {
    if (!(field in value)) continue;
    const shape = shapeProblem(field, value[field]);
    if (shape) return { problem: shape };
    const problem = fieldProblem(field, value[field]);
    if (problem) fieldErrors[field] = problem;
  }
  if (Object.keys(fieldErrors).length > 0) return { fieldErrors };
  return { changes: value as SettingsChanges };
}

/** Validates a raw message from the page. */
export function parsePageMessage(raw: unknown): ParseResult {
  if (!isRecord(raw)) return { ok: false, reason: `a message must be an object, not ${describe(raw)}` };
  const type = raw.type;
  const only = (allowed: string[]): string | undefined => {
    const extra = extraKeys(raw, ['type', ...allowed]);
    return extra.length > 0 ? `${String(type)} has unknown keys: ${extra.join(', ')}` : undefined;
  };
  switch (type) {
    case 'ready':
    case 'cancel': {
      const problem = only([]);
      return problem ? { ok: false, reason: problem } : { ok: true, message: { type } };
    }
    case 'browse': {
      const requestId = isRequestId(raw.requestId) ? raw.requestId : undefined;
      const problem =
        only(['requestId', 'current']) ??
        (requestId === undefined ? `browse.requestId must be a non-negative integer, not ${describe(raw.requestId)}` : undefined) ??
        (typeof raw.current !== 'string' ? `browse.current must be a string, not ${describe(raw.current)}` : undefined) ??
        ((raw.current as string).length > LIMITS.pathMaxLength ? 'browse.current is too long' : undefined);
      if (problem) return { ok: false, reason: problem, requestId };
      return { ok: true, message: { type: 'browse', requestId: requestId!, current: raw.current as string } };
    }
    case 'apply': {
      const requestId = isRequestId(raw.requestId) ? raw.requestId : undefined;
      const problem =
        only(['requestId', 'changes', 'close']) ??
        (requestId === undefined ? `apply.requestId must be a non-negative integer, not ${describe(raw.requestId)}` : undefined) ??
        (typeof raw.close !== 'boolean' ? `apply.close must be a boolean, not ${describe(raw.close)}` : undefined);
      if (problem) return { ok: false, reason: problem, requestId };
      const parsed = parseChanges(raw.changes);
      if ('problem' in parsed) return { ok: false, reason: `apply: ${parsed.problem}`, requestId };
      if ('fieldErrors' in parsed) {
        const list = Object.entries(parsed.fieldErrors).map(([field, message]) => `${field}: ${message}`);
        return { ok: false, reason: `apply: values out of range (${list.join('; ')})`, requestId, fieldErrors: parsed.fieldErrors };
      }
      return { ok: true, message: { type: 'apply', requestId: requestId!, changes: parsed.changes, close: raw.close as boolean } };
    }
    default:
      return { ok: false, reason: typeof type === 'string' ? `unknown message type '${type.slice(0, 40)}'` : `a message needs a string type, not ${describe(type)}` };
  }
}

/** A validated page edit as the engine's set-vm changes (memory MB -> bytes, controls -> CheckpointType). */
export function toVmChanges(changes: SettingsChanges): VmChanges {
  const result: VmChanges = {};
  if (changes.name !== undefined) result.name = changes.name.trim();
  if (changes.notes !== undefined) result.notes = changes.notes;
  if (changes.checkpoints !== undefined) result.checkpointType = checkpointTypeFromControls(changes.checkpoints as CheckpointControls);
  if (changes.snapshotFileLocation !== undefined) result.snapshotFileLocation = changes.snapshotFileLocation.trim();
  if (changes.automaticCheckpoints !== undefined) result.automaticCheckpointsEnabled = changes.automaticCheckpoints;
  if (changes.backup !== undefined) result.backupIntegration = changes.backup;
  if (changes.shutdown !== undefined) result.shutdownIntegration = changes.shutdown;
  if (changes.guestServices !== undefined) result.guestServicesIntegration = changes.guestServices;
  if (changes.memoryMiB !== undefined) result.memoryStartupBytes = changes.memoryMiB * MIB;
  return result;
}

/** The field an engine error concerns (its message is shown next to it), by the engine's error code. */
export function fieldOfEngineError(code: string | undefined, message: string, changes: SettingsChanges = {}): SettingsField | undefined {
  switch (code) {
    case 'InvalidState':
      // the only state rule of set-vm: memory (and generation) only while Off
      return changes.memoryMiB !== undefined ? 'memoryMiB' : undefined;
    case 'InvalidName':
    case 'VmNameInUse':
      return 'name';
    case 'SnapshotLocationLocked':
    case 'SnapshotLocationInvalid':
      return 'snapshotFileLocation';
    case 'InvalidSetting':
      return /memory/i.test(message) ? 'memoryMiB' : /checkpoint type/i.test(message) ? 'checkpoints' : undefined;
    default:
      return undefined;
  }
}
