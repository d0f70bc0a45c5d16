import { lifecycleCommand } from './lifecycle';

/** Running or Paused -> Off, like pulling the plug: asks first, since memory is lost. */
export const turnOffVm = lifecycleCommand({
  action: 'turnOff',
  verb: 'Turn Off',
  run: (lab, vm) => lab.turnOff({ id: vm.Id }),
  confirm: (vm) => ({
    message: `Turn off '${vm.Name}'?`,
    detail: 'Turning off is like pulling the plug: the memory of the virtual machine (its /run files, its boot) is lost. Shut Down closes it cleanly.',
    button: 'Turn Off',
  }),
});
