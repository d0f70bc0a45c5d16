import type { CommandHandler } from './context';
import { resolveVm } from './targets';

/** Delete VM after a confirmation; refused by the engine while Running or Paused ("Turn off '<VM>' first."). */
export const deleteVm: CommandHandler = async (context, arg) => {
  const vm = await resolveVm(context, arg, {
    title: 'Delete Virtual Machine',
    allowed: (candidate) => candidate.Status === 'Missing' || (candidate.State !== 'Running' && candidate.State !== 'Paused'),
    none: 'No virtual machine can be deleted now (turn off running and paused ones first).',
  });
  if (!vm) return undefined;
  const lab = await context.lab();
  const count = (await lab.listCheckpoints({ vm: { id: vm.Id } })).length;
  const answer = await context.prompter().confirm(
    `Delete the virtual machine '${vm.Name}'?`,
    {
      detail: `Its disk${count > 0 ? `, its ${count} checkpoint${count === 1 ? '' : 's'}` : ''}${vm.State === 'Saved' ? ', its saved state' : ''} and its configuration are deleted from the lab. This cannot be undone.`,
    },
    'Delete',
  );
  if (answer !== 'Delete') return undefined;
  await context.ops.run(`Delete VM '${vm.Name}'`, () => lab.removeVm({ id: vm.Id }), { progress: 'notification' });
  await context.tree.refresh();
  return vm;
};
