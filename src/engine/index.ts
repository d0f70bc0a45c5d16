/**
 * The engine's public surface for the CLI, the extension and tests. Importing this module
 * loads no WebAssembly: the guest file system is loaded lazily by the operations that need it.
 */
export { Lab } from './lab';
export type { LabOptions } from './lab';
export * from './model';
export { LabEventEmitter } from './events';
export type { Disposable, LabChange, LabChangeListener, LabChangeOrigin } from './events';
export { LabError, StoreFileError, isLabError } from './errors';
export {
  MAX_CHECKPOINTS,
  DEFAULT_DISK_GIB,
  DEFAULT_MEMORY_BYTES,
  messages,
  parseSize,
  parseDiskSize,
  parseMemorySize,
  validateName,
  formatCheckpointTime,
  defaultCheckpointName,
  automaticCheckpointName,
  matchesPattern,
  hasWildcards,
} from './rules';
export { STORE_BUSY_MESSAGE } from './store/store';
