/**
 * The guest layer: what lives on a VM's disk (ext4 through libext2fs) and in its memory
 * (/run), the write rules, compare, and disk images. The engine imports from here only.
 */
export { BlockDeviceDisk } from './ext2fsDisk';
export { GuestError, guestErrors, vmLabel, checkpointLabel } from './errors';
export type { GuestErrorCode } from './errors';
export { normalizeGuestPath, MAX_GUEST_PATH } from './paths';
export { formatDisk, loadTemplate, setTemplateDirectory, checkDiskSize, GIB, MIN_DISK_GIB, MAX_DISK_GIB } from './format';
export { GuestFs, IO_CHUNK } from './guestFs';
export type { GuestStat, GuestEntry, GuestEntryType, MountOptions } from './guestFs';
export { RunFs, RunStateError, RUN_FORMAT_VERSION } from './runFs';
export { GuestAccess, RUN_PATH } from './access';
export type { VmState, GuestSubject } from './access';
export { GuestView } from './guestView';
export type { GuestListing } from './guestView';
export { compareStates, excludedFromCompare, COMPARE_EXCLUDED } from './compare';
export type { GuestChange, ChangeKind } from './compare';
export { exportDisk, openImportImage } from './image';
export type { DiskImageFormat, ImportImage, TransferOptions } from './image';
export { crc32c } from './vhdx';
