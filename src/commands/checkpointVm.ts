import type { CommandHandler } from './context';
import { okVm, resolveVm } from './targets';

/** Checkpoint (R1-R10) with the default name (R3), as Hyper-V Manager does; reveals the new checkpoint. */
export const checkpointVm: CommandHandler = async (context, arg) => {
  const vm = await resolveVm(context, arg, {
    title: 'Checkpoint',
    allowed: (candidate) => okVm(candidate) && candidate.CheckpointType !== 'Disabled',
    none: 'No virtual machine can take a checkpoint (none exists, or checkpoints are disabled).',
  });
  if (!vm) return undefined;
  const lab = await context.lab();
  const result = await context.ops.run(`Checkpoint '${vm.Name}'`, () => lab.checkpoint({ id: vm.Id }));
  if (result.notice) context.prompter().warn(result.notice);
  await context.reveal(vm.Id, result.checkpoint.Id);
  return result;
};
