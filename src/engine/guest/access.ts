/**
 * Who may change guest files (SPEC section 1, "The guest"). Reading is allowed in every
 * state; this class only decides writes, so the rule lives in one place and the CLI, the
 * file system provider and sync-vmfolder all refuse with the same words.
 */
import { GuestError } from './errors';
import { checkpointLabel, vmLabel } from './errors';
import { isUnder } from './paths';

export type VmState = 'Off' | 'Running' | 'Paused' | 'Saved';

export type GuestSubject =
  | { kind: 'vm'; vmName: string; state: VmState; guestServices?: boolean }
  | { kind: 'checkpoint'; vmName: string; checkpointName: string; hasSavedState: boolean };

export const RUN_PATH = '/run';

export class GuestAccess {
  constructor(readonly subject: GuestSubject) {}

  static vm(vmName: string, state: VmState, guestServices = true): GuestAccess {
    return new GuestAccess({ kind: 'vm', vmName, state, guestServices });
  }

  static checkpoint(vmName: string, checkpointName: string, hasSavedState: boolean): GuestAccess {
    return new GuestAccess({ kind: 'checkpoint', vmName, checkpointName, hasSavedState });
  }

  /** How messages name this guest. */
  get label(): string {
    return this.subject.kind === 'vm' ? vmLabel(this.subject.vmName) : checkpointLabel(this.subject.vmName, this.subject.checkpointName);
  }

  /** True when /run exists: the VM (or the checkpoint) holds memory. */
  get hasMemory(): boolean {
    return this.subject.kind === 'vm' ? this.subject.state !== 'Off' : this.subject.hasSavedState;
  }

  get canWriteDisk(): boolean {
    return this.subject.kind === 'vm' && (this.subject.state === 'Off' || this.subject.state === 'Running');
  }

  get canWriteMemory(): boolean {
    return this.subject.kind === 'vm' && this.subject.state === 'Running';
  }

  /** Throws the SPEC's error when `path` (normalised) may not be changed now. */
  assertWrite(path: string): void {
    const s = this.subject;
    if (s.kind === 'checkpoint') {
      throw new GuestError('GuestReadOnly', `The files of ${this.label} are read-only. Apply the checkpoint to change them.`, path);
    }
    if (s.state === 'Paused' || s.state === 'Saved') {
      throw new GuestError('GuestStateForbidsWrite', `The virtual machine '${s.vmName}' is ${s.state}; its disks cannot be changed in that state.`, path);
    }
    if (s.state === 'Off' && isUnder(path, RUN_PATH)) throw this.runMissing(path);
  }

  /** copy-vmfile: into a Running VM it needs GuestServices; into an Off VM it is an offline copy. */
  assertCopyIn(path: string): void {
    this.assertWrite(path);
    const s = this.subject;
    if (s.kind === 'vm' && s.state === 'Running' && s.guestServices === false) {
      throw new GuestError('GuestServicesDisabled', `The Guest Service Interface integration service is not enabled for '${s.vmName}'.`, path);
    }
  }

  runMissing(path: string): GuestError {
    const s = this.subject;
    const why = s.kind === 'vm' ? `'${s.vmName}' is Off` : `${this.label} holds no memory`;
    return new GuestError('GuestRunMissing', `'${path}' does not exist: ${why}, and /run lives only in the memory of a running, paused or saved virtual machine.`, path);
  }
}
