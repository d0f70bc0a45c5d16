import { askApply } from './applyChoice';
import type { CommandHandler } from './context';
import { okCheckpoint, resolveCheckpoint } from './targets';

/** Apply (R11-R13) after the modal; reveals the checkpoint taken first, if any. */
export const applyCheckpoint: CommandHandler = async (context, arg) => {
  const target = await resolveCheckpoint(context, arg, { title: 'Apply Checkpoint', allowed: okCheckpoint, none: 'There is no checkpoint to apply.' });
  if (!target) return undefined;
  const { vm, checkpoint } = target;
  const options = await askApply(context.prompter(), `Apply checkpoint '${checkpoint.Name}' to '${vm.Name}'?`, vm.Name);
  if (!options) return undefined;
  const lab = await context.lab();
  const result = await context.ops.run(
    `Apply '${checkpoint.Name}' to '${vm.Name}'${options.checkpointFirst ? ' (checkpoint first)' : ''}`,
    () => lab.apply({ id: vm.Id }, { id: checkpoint.Id }, options),
  );
  if (result.notice) context.prompter().warn(result.notice);
  await context.reveal(vm.Id, result.checkpointTaken?.Id ?? checkpoint.Id);
  return result;
};
