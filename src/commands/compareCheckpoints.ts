import type { CheckpointInfo } from '../engine';
import { compareAndShow } from '../fs/compare';
import { formatTime } from '../tree/treeItems';
import type { CommandContext, CommandHandler } from './context';
import { isLabNode, okCheckpoint, resolveCheckpoint } from './targets';

interface OtherItem {
  label: string;
  description: string;
  checkpoint: CheckpointInfo;
}

/** The second checkpoint: an Id or name passed after the first (tests, other code), or picked among the VM's others. */
async function secondCheckpoint(context: CommandContext, vmId: string, first: CheckpointInfo, arg: unknown): Promise<CheckpointInfo | undefined> {
  const lab = await context.lab();
  if (typeof arg === 'string') return lab.getCheckpoint({ id: vmId }, arg);
  if (isLabNode(arg) && arg.kind === 'checkpoint' && arg.checkpoint.Id !== first.Id) return lab.getCheckpoint({ id: vmId }, { id: arg.checkpoint.Id });
  const others = (await lab.listCheckpoints({ vm: { id: vmId } })).filter((cp) => cp.Id !== first.Id && cp.Status === 'Ok');
  if (others.length === 0) {
    context.prompter().info(`'${first.VMName}' has no other checkpoint to compare '${first.Name}' with.`);
    return undefined;
  }
  const items: OtherItem[] = others.map((checkpoint) => ({ label: checkpoint.Name, description: formatTime(checkpoint.CreationTime), checkpoint }));
  const chosen = await context.prompter().pick(items, { title: `Compare '${first.Name}' with...`, placeHolder: 'Select the checkpoint to compare with' });
  return chosen?.checkpoint;
}

/** Compare Checkpoints: what changed from one checkpoint to another of the same VM, and a file's diff. */
export const compareCheckpoints: CommandHandler = async (context, arg, second) => {
  const target = await resolveCheckpoint(context, arg, { title: 'Compare Checkpoints', allowed: okCheckpoint, none: 'There is no checkpoint to compare.' });
  if (!target) return undefined;
  const { vm, checkpoint } = target;
  // From the tree, VS Code passes the selection as the second argument: not a choice.
  const other = await secondCheckpoint(context, vm.Id, checkpoint, Array.isArray(second) ? undefined : second);
  if (!other) return undefined;
  const lab = await context.lab();
  return compareAndShow(lab, context.prompter(), vm, checkpoint, other);
};
