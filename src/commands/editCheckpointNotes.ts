import type { CommandHandler } from './context';
import { resolveCheckpoint } from './targets';

/** Notes of a checkpoint (R21: free text; a single line in the input box, control characters refused). */
export const editCheckpointNotes: CommandHandler = async (context, arg) => {
  const target = await resolveCheckpoint(context, arg, {
    title: 'Checkpoint Notes',
    allowed: (checkpoint) => checkpoint.Status === 'Ok',
    none: 'There is no checkpoint to annotate.',
  });
  if (!target) return undefined;
  const { vm, checkpoint } = target;
  const notes = await context.prompter().input({
    title: `Notes of checkpoint '${checkpoint.Name}'`,
    prompt: 'Free text shown in the checkpoint tooltip (leave empty to clear)',
    value: checkpoint.Notes,
    validateInput: (value) => (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value) ? 'Notes must not contain control characters.' : undefined),
  });
  if (notes === undefined || notes === checkpoint.Notes) return undefined;
  const lab = await context.lab();
  const result = await context.ops.run(`Notes of checkpoint '${checkpoint.Name}' of '${vm.Name}'`, () =>
    lab.setCheckpointNotes({ id: vm.Id }, { id: checkpoint.Id }, notes),
  );
  await context.reveal(vm.Id, checkpoint.Id);
  return result;
};
