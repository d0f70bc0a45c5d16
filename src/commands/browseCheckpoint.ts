import * as vscode from 'vscode';
import { openLabFolder } from '../fs/openFolder';
import { openPreferenceOf } from '../fs/openTarget';
import { checkpointFolderName, checkpointPath, SCHEME } from '../fs/uri';
import type { CommandHandler } from './context';
import { okCheckpoint, resolveCheckpoint } from './targets';

/**
 * Browse: a checkpoint's files, read-only, as a folder
 * (`checkpoint-lab://<store Id>/checkpoints/<VM Id>/<Id>/<VM name> · <checkpoint name>`), opened
 * like Open Disk; the window and the folder are named after that last segment.
 */
export const browseCheckpoint: CommandHandler = async (context, arg, ...rest) => {
  const target = await resolveCheckpoint(context, arg, { title: 'Browse Checkpoint', allowed: okCheckpoint, none: 'There is no checkpoint to browse.' });
  if (!target) return undefined;
  const { vm, checkpoint } = target;
  const lab = await context.lab();
  const uri = vscode.Uri.from({ scheme: SCHEME, authority: lab.storeId, path: checkpointPath(vm, checkpoint) });
  const opened = await openLabFolder(uri, checkpointFolderName(vm.Name, checkpoint.Name), openPreferenceOf([arg, ...rest]));
  context.ops.log.info(`Browse checkpoint '${checkpoint.Name}' of '${vm.Name}': ${uri.toString()} (${opened.decision})`);
  return opened;
};
