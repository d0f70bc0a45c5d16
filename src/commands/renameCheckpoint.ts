import type { CommandHandler } from './context';
import { nameProblem } from './names';
import { resolveCheckpoint } from './targets';

/** Rename a checkpoint (R21: validated as R4; duplicates allowed, as in Hyper-V). */
export const renameCheckpoint: CommandHandler = async (context, arg) => {
  const target = await resolveCheckpoint(context, arg, {
    title: 'Rename Checkpoint',
    allowed: (checkpoint) => checkpoint.Status === 'Ok',
    none: 'There is no checkpoint to rename.',
  });
  if (!target) return undefined;
  const { vm, checkpoint } = target;
  const name = await context.prompter().input({
    title: `Rename checkpoint '${checkpoint.Name}'`,
    prompt: 'New name of the checkpoint (1-100 characters)',
    value: checkpoint.Name,
    validateInput: nameProblem,
  });
  if (name === undefined || name.trim() === checkpoint.Name) return undefined;
  const lab = await context.lab();
  const result = await context.ops.run(`Rename checkpoint '${checkpoint.Name}' of '${vm.Name}' to '${name.trim()}'`, () =>
    lab.renameCheckpoint({ id: vm.Id }, { id: checkpoint.Id }, name),
  );
  await context.reveal(vm.Id, checkpoint.Id);
  return result;
};
