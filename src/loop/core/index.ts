/** The vscode-free core of the Dev/UAT loop: the CLI's sync-vmfolder and the extension share it. */
export { ExcludeRules, parseRule } from './globs';
export { LoopError } from './errors';
export type { LoopErrorCode } from './errors';
export { scanHost, buildRules, assertHostFolder, isRacy } from './hostScan';
export type { HostScan, ScannedFile, ScanOptions } from './hostScan';
export { ManifestStore, LOOP_DIR, HASH_LIMIT, linkKey, readStoreSequence, contentId } from './manifest';
export type { Manifest, HostEntry, FolderState } from './manifest';
export { GuestTracker, trackerFor } from './tracker';
export type { GuestMark } from './tracker';
export {
  rollIn,
  rollOut,
  rollInAndCheckpoint,
  applyAndRollOut,
  revertAndRollOut,
  normalizeLinkGuestPath,
} from './sync';
export type { LinkSpec, SyncOptions, SyncResult, HostChanges, RollInAndCheckpointResult, ApplyAndRollOutResult } from './sync';
