import { lifecycleCommand } from './lifecycle';

/** Running or Paused -> Saved: memory kept. */
export const saveVm = lifecycleCommand({
  action: 'save',
  verb: 'Save',
  run: (lab, vm) => lab.save({ id: vm.Id }),
});
