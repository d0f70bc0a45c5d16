import { lifecycleCommand } from './lifecycle';

/** Running -> Paused. */
export const pauseVm = lifecycleCommand({
  action: 'pause',
  verb: 'Pause',
  run: (lab, vm) => lab.pause({ id: vm.Id }),
});
