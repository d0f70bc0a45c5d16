import { lifecycleCommand } from './lifecycle';

/** Paused -> Running. */
export const resumeVm = lifecycleCommand({
  action: 'resume',
  verb: 'Resume',
  run: (lab, vm) => lab.resume({ id: vm.Id }),
});
