import { lifecycleCommand } from './lifecycle';

/** Off -> Running (an automatic checkpoint first when enabled, R14), or Saved -> Running with its memory. */
export const startVm = lifecycleCommand({
  action: 'start',
  verb: 'Start',
  run: (lab, vm) => lab.start({ id: vm.Id }),
});
