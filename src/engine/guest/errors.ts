/**
 * Typed errors of the guest layer. Every message is the text a user sees, naming the
 * VM (or checkpoint) through the `label` the caller mounted with, so the CLI and UI can
 * show it unchanged. Codes let callers branch without parsing text.
 */
import { LabError } from '../errors';

export type GuestErrorCode =
  | 'GuestPathInvalid'
  | 'GuestPathNotFound'
  | 'GuestNotADirectory'
  | 'GuestIsADirectory'
  | 'GuestPathExists'
  | 'GuestDirectoryNotEmpty'
  | 'GuestNoSpace'
  | 'GuestReadOnly'
  | 'GuestStateForbidsWrite'
  | 'GuestServicesDisabled'
  | 'GuestRunMissing'
  | 'GuestFsDamaged'
  | 'GuestIo'
  | 'RunStateDamaged'
  | 'ImageRefused';

export class GuestError extends LabError {
  constructor(
    override readonly code: GuestErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(code, message);
    this.name = 'GuestError';
  }
}

export const guestErrors = {
  notFound: (label: string, path: string) => new GuestError('GuestPathNotFound', `The path '${path}' does not exist in ${label}.`, path),
  notADirectory: (label: string, path: string) => new GuestError('GuestNotADirectory', `The path '${path}' in ${label} is not a directory.`, path),
  isADirectory: (label: string, path: string) => new GuestError('GuestIsADirectory', `The path '${path}' in ${label} is a directory, not a file.`, path),
  exists: (label: string, path: string) => new GuestError('GuestPathExists', `The path '${path}' already exists in ${label}.`, path),
  notEmpty: (label: string, path: string) =>
    new GuestError('GuestDirectoryNotEmpty', `The directory '${path}' in ${label} is not empty. Use the recurse option to remove it with its contents.`, path),
  noSpace: (label: string, path: string) =>
    new GuestError('GuestNoSpace', `There is not enough space on the disk of ${label} to write '${path}'.`, path),
  readOnlyDisk: (label: string) => new GuestError('GuestReadOnly', `The files of ${label} are read-only.`),
  damaged: (label: string, detail: string) => new GuestError('GuestFsDamaged', `The disk of ${label} does not hold a readable ext4 file system (${detail}).`),
  io: (label: string, path: string, detail: string) => new GuestError('GuestIo', `The guest file system of ${label} failed at '${path}': ${detail}.`, path),
};

/** "'web-01'" for a VM; a checkpoint view passes its own label. */
export function vmLabel(vmName: string): string {
  return `'${vmName}'`;
}

export function checkpointLabel(vmName: string, checkpointName: string): string {
  return `checkpoint '${checkpointName}' of '${vmName}'`;
}
