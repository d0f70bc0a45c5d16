import { lifecycleCommand } from './lifecycle';

/** Saved -> Off, memory discarded: asks first. */
export const deleteSavedState = lifecycleCommand({
  action: 'removeSavedState',
  verb: 'Delete Saved State',
  run: (lab, vm) => lab.removeSavedState({ id: vm.Id }),
  confirm: (vm) => ({
    message: `Delete the saved state of '${vm.Name}'?`,
    detail: 'Its memory (/run files, boot) is discarded and it will be Off. Its disk is kept.',
    button: 'Delete Saved State',
  }),
});
