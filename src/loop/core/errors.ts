/** Errors of the Dev/UAT loop; `message` is what the user sees (the engine's LabError shape). */
import { LabError } from '../../engine/errors';

export type LoopErrorCode =
  | 'HostFolderMissing'
  | 'HostFolderUnreadable'
  | 'GuestPathInvalid'
  | 'GuestPathIsFile'
  | 'GuestFolderMissing'
  | 'VmNotWritable'
  | 'Cancelled';

export class LoopError extends LabError {
  constructor(code: LoopErrorCode, message: string) {
    super(code, message);
    this.name = 'LoopError';
  }
}
