import { askApply } from './applyChoice';
import type { CommandHandler } from './context';
import { okVm, resolveVm } from './targets';

/** Revert: Apply of ParentCheckpoint with the same modal (R13); offered only when there is one. */
export const revertVm: CommandHandler = async (context, arg) => {
  const vm = await resolveVm(context, arg, {
    title: 'Revert',
    allowed: (candidate) => okVm(candidate) && candidate.ParentCheckpointId !== null,
    none: 'No virtual machine has a checkpoint to revert to.',
  });
  if (!vm) return undefined;
  const lab = await context.lab();
  if (vm.ParentCheckpointId === null) {
    // the engine's own message (R13)
    return context.ops.run(`Revert '${vm.Name}'`, () => lab.revert({ id: vm.Id }));
  }
  const options = await askApply(context.prompter(), `Revert '${vm.Name}' to checkpoint '${vm.ParentCheckpointName ?? ''}'?`, vm.Name);
  if (!options) return undefined;
  const result = await context.ops.run(`Revert '${vm.Name}'${options.checkpointFirst ? ' (checkpoint first)' : ''}`, () => lab.revert({ id: vm.Id }, options));
  if (result.notice) context.prompter().warn(result.notice);
  await context.reveal(vm.Id, result.checkpointTaken?.Id);
  return result;
};
