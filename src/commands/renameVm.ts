import type { CommandHandler } from './context';
import { vmNameProblem } from './names';
import { okVm, resolveVm } from './targets';

/** Rename a VM: an input box validated as R4, unique in the lab. */
export const renameVm: CommandHandler = async (context, arg) => {
  const vm = await resolveVm(context, arg, { title: 'Rename Virtual Machine', allowed: okVm, none: 'There is no virtual machine to rename.' });
  if (!vm) return undefined;
  const lab = await context.lab();
  const vms = await lab.listVms();
  const name = await context.prompter().input({
    title: `Rename '${vm.Name}'`,
    prompt: 'New name of the virtual machine (1-100 characters)',
    value: vm.Name,
    validateInput: (value) => vmNameProblem(value, vms, vm.Id),
  });
  if (name === undefined || name.trim() === vm.Name) return undefined;
  const result = await context.ops.run(`Rename '${vm.Name}' to '${name.trim()}'`, () => lab.renameVm({ id: vm.Id }, name));
  await context.reveal(vm.Id);
  return result;
};
