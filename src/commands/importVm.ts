import { basename, extname } from 'node:path';
import type { QuickPickItem } from 'vscode';
import type { VmInfo } from '../engine';
import type { CommandHandler, CommandContext } from './context';
import { vmNameProblem } from './names';

type Source = 'folder' | 'vmcx' | 'disk';

interface SourceItem extends QuickPickItem {
  source: Source;
}

function isNameInUse(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'VmNameInUse';
}

async function askName(context: CommandContext, suggestion: string, why: string): Promise<string | undefined> {
  const vms = await (await context.lab()).listVms();
  return context.prompter().input({
    title: 'Import Virtual Machine: name',
    prompt: why,
    value: suggestion,
    validateInput: (value) => vmNameProblem(value, vms),
  });
}

/**
 * Import VM (R23): an exported folder or its .vmcx, or a bare raw / dynamic VHDX disk; a new
 * VM, Off. A name already in use is refused by the engine, so the user is asked for another.
 */
export const importVm: CommandHandler = async (context) => {
  const prompter = context.prompter();
  const sources: SourceItem[] = [
    { label: 'Exported virtual machine folder', description: 'the <VM name> folder an export wrote', source: 'folder' },
    { label: 'Virtual machine configuration (.vmcx)', description: 'the .vmcx file inside an exported folder', source: 'vmcx' },
    { label: 'Disk image (raw or VHDX)', description: 'an ext4 disk becomes the disk of a new VM', source: 'disk' },
  ];
  const source = await prompter.pick(sources, { title: 'Import Virtual Machine' });
  if (!source) return undefined;
  const picked = await prompter.openDialog({
    canSelectFiles: source.source !== 'folder',
    canSelectFolders: source.source === 'folder',
    canSelectMany: false,
    openLabel: 'Import',
    title: `Import Virtual Machine: ${source.label}`,
    filters:
      source.source === 'vmcx'
        ? { 'Virtual machine configuration': ['vmcx'] }
        : source.source === 'disk'
          ? { 'Disk images': ['vhdx', 'raw', 'img'], 'All files': ['*'] }
          : undefined,
  });
  const path = picked?.[0]?.fsPath;
  if (!path) return undefined;

  let name: string | undefined;
  if (source.source === 'disk') {
    name = await askName(context, basename(path, extname(path)), 'Name of the new virtual machine');
    if (name === undefined) return undefined;
  }
  const lab = await context.lab();
  const run = (newName: string | undefined): Promise<VmInfo> =>
    context.ops.run(
      `Import VM from ${path}${newName ? ` as '${newName.trim()}'` : ''}`,
      ({ signal, onProgress }) => lab.importVm(path, { name: newName, signal, onProgress }),
      { progress: 'notification', cancellable: true },
    );
  let vm: VmInfo;
  try {
    vm = await run(name);
  } catch (error) {
    if (!isNameInUse(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    name = await askName(context, `${name ?? basename(path, extname(path))} (imported)`, `${message} Choose another name.`);
    if (name === undefined) return undefined;
    vm = await run(name);
  }
  await context.reveal(vm.Id);
  return vm;
};
