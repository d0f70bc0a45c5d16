import * as vscode from 'vscode';
import { openLabFolder } from '../fs/openFolder';
import { openPreferenceOf } from '../fs/openTarget';
import { nowFolderName, nowPath, SCHEME } from '../fs/uri';
import type { CommandHandler } from './context';
import { okVm, resolveVm } from './targets';

/**
 * Open Disk: the VM's Now as a folder (`checkpoint-lab://<store Id>/now/<VM Id>/<VM name>`), in a new
 * window, or in this saved multi-root workspace (SPEC section 5). Other code and tests may
 * pass `{ openIn: 'newWindow' | 'currentWindow' }` after the VM.
 */
export const openDisk: CommandHandler = async (context, arg, ...rest) => {
  const vm = await resolveVm(context, arg, { title: 'Open Disk', allowed: okVm, none: 'There is no virtual machine whose disk can be opened.' });
  if (!vm) return undefined;
  const lab = await context.lab();
  const uri = vscode.Uri.from({ scheme: SCHEME, authority: lab.storeId, path: nowPath(vm) });
  const opened = await openLabFolder(uri, nowFolderName(vm.Name), openPreferenceOf([arg, ...rest]));
  context.ops.log.info(`Open Disk of '${vm.Name}': ${uri.toString()} (${opened.decision})`);
  return opened;
};
