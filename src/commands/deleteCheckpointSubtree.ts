import type { CommandHandler } from './context';
import { resolveCheckpoint } from './targets';

/** Delete Checkpoint Subtree (R17): the modal names how many checkpoints go. */
export const deleteCheckpointSubtree: CommandHandler = async (context, arg) => {
  const target = await resolveCheckpoint(context, arg, { title: 'Delete Checkpoint Subtree', none: 'There is no checkpoint to delete.' });
  if (!target) return undefined;
  const { vm, checkpoint } = target;
  const lab = await context.lab();
  const descendants = await lab.listCheckpoints({ vm: { id: vm.Id }, childOf: { id: checkpoint.Id } });
  const count = descendants.filter((c) => c.Id !== checkpoint.Id).length + 1;
  const nowInside = vm.ParentCheckpointId !== null && (vm.ParentCheckpointId === checkpoint.Id || descendants.some((c) => c.Id === vm.ParentCheckpointId));
  const button = count === 1 ? 'Delete 1 Checkpoint' : `Delete ${count} Checkpoints`;
  const answer = await context.prompter().confirm(
    count === 1
      ? `Delete the checkpoint '${checkpoint.Name}' of '${vm.Name}'? It has no child checkpoints.`
      : `Delete ${count} checkpoints of '${vm.Name}': '${checkpoint.Name}' and the ${count - 1} checkpoint${count === 2 ? '' : 's'} under it?`,
    {
      detail: `${nowInside ? 'Now is inside this subtree: it keeps its data and moves under the parent of the deleted checkpoint. ' : ''}This cannot be undone.`,
    },
    button,
  );
  if (answer !== button) return undefined;
  const result = await context.ops.run(
    `Delete checkpoint subtree '${checkpoint.Name}' of '${vm.Name}' (${count})`,
    () => lab.removeCheckpoint({ id: vm.Id }, { id: checkpoint.Id }, { includeChildren: true }),
    { progress: 'notification' },
  );
  await context.reveal(vm.Id, checkpoint.ParentSnapshotId ?? undefined);
  return result;
};
