import { lifecycleCommand } from './lifecycle';

/** Clean Running -> Off (needs the Shutdown integration service; R15). */
export const shutDownVm = lifecycleCommand({
  action: 'shutDown',
  verb: 'Shut Down',
  run: (lab, vm) => lab.shutDown({ id: vm.Id }),
});
