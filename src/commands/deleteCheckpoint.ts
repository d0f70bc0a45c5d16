import type { CommandHandler } from './context';
import { resolveCheckpoint } from './targets';

/** Delete Checkpoint (R16): its children and Now move up to its parent; disks merge. */
export const deleteCheckpoint: CommandHandler = async (context, arg) => {
  const target = await resolveCheckpoint(context, arg, { title: 'Delete Checkpoint', none: 'There is no checkpoint to delete.' });
  if (!target) return undefined;
  const { vm, checkpoint } = target;
  const answer = await context.prompter().confirm(
    `Delete the checkpoint '${checkpoint.Name}' of '${vm.Name}'?`,
    { detail: 'Its changes are merged into what depends on it (its child checkpoints or Now), which keep their data. This cannot be undone.' },
    'Delete',
  );
  if (answer !== 'Delete') return undefined;
  const lab = await context.lab();
  const result = await context.ops.run(
    `Delete checkpoint '${checkpoint.Name}' of '${vm.Name}'`,
    () => lab.removeCheckpoint({ id: vm.Id }, { id: checkpoint.Id }),
    { progress: 'notification' },
  );
  await context.reveal(vm.Id, checkpoint.ParentSnapshotId ?? undefined);
  return result;
};
