import type { CommandHandler } from './context';
import { askExportTarget } from './exportTarget';
import { okVm, resolveVm } from './targets';

/** Export VM: Now's disk and config to `<folder>/<VM name>/` (R23), with cancellable progress. */
export const exportVm: CommandHandler = async (context, arg) => {
  const vm = await resolveVm(context, arg, { title: 'Export Virtual Machine', allowed: okVm, none: 'There is no virtual machine to export.' });
  if (!vm) return undefined;
  const target = await askExportTarget(context.prompter(), `'${vm.Name}'`);
  if (!target) return undefined;
  const lab = await context.lab();
  const result = await context.ops.run(
    `Export '${vm.Name}' (${target.diskFormat}) to ${target.dir}`,
    ({ signal, onProgress }) => lab.exportVm({ id: vm.Id }, target.dir, { diskFormat: target.diskFormat, signal, onProgress }),
    { progress: 'notification', cancellable: true },
  );
  context.prompter().info(`Exported '${vm.Name}' to ${result.folder}.`);
  return result;
};
