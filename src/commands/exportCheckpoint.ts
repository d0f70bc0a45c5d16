import type { CommandHandler } from './context';
import { askExportTarget } from './exportTarget';
import { okCheckpoint, resolveCheckpoint } from './targets';

/** Export of a checkpoint: its disk and config to `<folder>/<VM name>/` (R23), with cancellable progress. */
export const exportCheckpoint: CommandHandler = async (context, arg) => {
  const target = await resolveCheckpoint(context, arg, { title: 'Export Checkpoint', allowed: okCheckpoint, none: 'There is no checkpoint to export.' });
  if (!target) return undefined;
  const { vm, checkpoint } = target;
  const destination = await askExportTarget(context.prompter(), `checkpoint '${checkpoint.Name}'`);
  if (!destination) return undefined;
  const lab = await context.lab();
  const result = await context.ops.run(
    `Export checkpoint '${checkpoint.Name}' of '${vm.Name}' (${destination.diskFormat}) to ${destination.dir}`,
    ({ signal, onProgress }) =>
      lab.exportCheckpoint({ id: vm.Id }, { id: checkpoint.Id }, destination.dir, { diskFormat: destination.diskFormat, signal, onProgress }),
    { progress: 'notification', cancellable: true },
  );
  context.prompter().info(`Exported checkpoint '${checkpoint.Name}' to ${result.folder}.`);
  return result;
};
