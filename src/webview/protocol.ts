/**
 * The typed message protocol between the Settings page (media/settings/settings.js) and
 * the extension host (settingsPanel.ts), in one place as gitlens does: the host imports
 * these types, the page's script references them through JSDoc (checked with
 * `tsc -p media/settings`). No 'vscode' import, so unit tests load it in plain Node.
 *
 * The page never talks to the engine: it sends what the user edited (only the fields that
 * differ from what it was shown), the host validates every message (validation.ts) and
 * maps it to the engine's VmChanges.
 */
import type { CheckpointType, GuestOs, ItemStatus, VmState } from '../engine/model';

/** The webview panel's viewType (and the `onWebviewPanel:` activation event). */
export const SETTINGS_VIEW_TYPE = 'checkpointLab.settings';

/** The radio buttons of Hyper-V Manager's Checkpoints page. */
export type CheckpointKind = 'Production' | 'Standard';
export const CHECKPOINT_KINDS: readonly CheckpointKind[] = ['Production', 'Standard'];

/** The three checkpoint controls; together they are one CheckpointType (checkpointControls.ts). */
export interface CheckpointControls {
  /** "Enable checkpoints" */
  enabled: boolean;
  /** Production / Standard radios (kept, greyed out, while checkpoints are disabled). */
  kind: CheckpointKind;
  /** "Create standard checkpoints if it's not possible to create a production checkpoint" */
  fallbackToStandard: boolean;
}

/** Every editable value of the page, as the controls hold it. */
export interface SettingsForm {
  name: string;
  notes: string;
  checkpoints: CheckpointControls;
  /** "Checkpoint File Location": an absolute folder path. */
  snapshotFileLocation: string;
  /** "Use automatic checkpoints" */
  automaticCheckpoints: boolean;
  /** Integration services: Backup (volume shadow copy), Shutdown, Guest services. */
  backup: boolean;
  shutdown: boolean;
  guestServices: boolean;
  /** Startup RAM in MB (MiB), as Hyper-V Manager's Memory page shows it. */
  memoryMiB: number;
}

export type SettingsField = keyof SettingsForm;
export const SETTINGS_FIELDS: readonly SettingsField[] = [
  'name',
  'notes',
  'checkpoints',
  'snapshotFileLocation',
  'automaticCheckpoints',
  'backup',
  'shutdown',
  'guestServices',
  'memoryMiB',
];

/** What the user changed: only edited fields are present. */
export type SettingsChanges = Partial<SettingsForm>;

/** Field -> message, for values the host (or the engine) refused. */
export type FieldErrors = Partial<Record<SettingsField, string>>;

/** Limits the page checks before sending (the host checks them again). */
export const LIMITS = {
  nameMaxLength: 100,
  /** Notes are free text; the cap only keeps messages sane. */
  notesMaxLength: 65_536,
  pathMaxLength: 4_096,
  memoryMinMiB: 32,
  memoryMaxMiB: 64 * 1024,
} as const;

/** What the page shows about the VM besides the form. */
export interface VmView {
  id: string;
  name: string;
  state: VmState;
  status: ItemStatus;
  generation: 1 | 2;
  guestOs: GuestOs;
  diskSizeBytes: number;
  checkpointType: CheckpointType;
  checkpointCount: number;
  /** `<store>/Snapshots` */
  defaultSnapshotFileLocation: string;
  /** Path rules of the machine the lab runs on (what "absolute" means). */
  pathStyle: 'posix' | 'win32';
  /** Controls that cannot change now, with the reason shown next to them. */
  locked: {
    /** R22: while the VM has checkpoints. */
    snapshotFileLocation?: string;
    /** Memory changes only while Off. */
    memoryMiB?: string;
    /** Every control (a Missing VM, R25). */
    all?: string;
  };
}

// ---------------------------------------------------------------- host -> page

export type HostMessage =
  /** The VM as it is now: on open, after a change elsewhere (engine event, CLI), after the store switched. */
  | { type: 'vm'; cause: 'open' | 'changed'; vm: VmView; form: SettingsForm }
  /** This page's Apply / OK went through; `form` is the VM's values now. */
  | { type: 'applied'; requestId: number; vm: VmView; form: SettingsForm; close: boolean }
  /** Apply / OK failed: the engine's (SPEC) message, next to its field when it concerns one. */
  | { type: 'applyFailed'; requestId: number; message: string; fieldErrors: FieldErrors }
  /** The folder picker closed; path undefined when the user cancelled. */
  | { type: 'folderPicked'; requestId: number; path?: string }
  /** The VM was deleted (or the store it lives in was switched away). */
  | { type: 'vmGone'; message: string }
  /** The host refused a message from the page (shown so nothing fails silently). */
  | { type: 'rejected'; message: string };

// ---------------------------------------------------------------- page -> host

export type PageMessage =
  /** The page's script has loaded (also after a reload or a hidden panel shown again). */
  | { type: 'ready' }
  /** Apply (close false) or OK (close true). */
  | { type: 'apply'; requestId: number; changes: SettingsChanges; close: boolean }
  /** Cancel: close without applying. */
  | { type: 'cancel' }
  /** Browse... for the checkpoint file location. */
  | { type: 'browse'; requestId: number; current: string };

export type PageMessageType = PageMessage['type'];

/** What the page keeps with vscode.setState(), so a reload (serializer) restores unsaved edits. */
export interface PageState {
  vmId: string;
  /** The values the page was last shown by the host. */
  base?: SettingsForm;
  /** The values in the controls (unsaved edits included). */
  form?: SettingsForm;
}
