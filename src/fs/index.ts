/**
 * Registers the `checkpoint-lab` file system, the empty-document scheme for diffs and the
 * commands of SPEC section 5 that work on VM files: Open Disk, Browse, Compare with Now,
 * Compare Checkpoints. One call from activate().
 */
import * as vscode from 'vscode';
import { browseCheckpoint } from '../commands/browseCheckpoint';
import { compareCheckpoints } from '../commands/compareCheckpoints';
import { compareWithNow } from '../commands/compareWithNow';
import type { CommandContext, CommandHandler } from '../commands/context';
import { openDisk } from '../commands/openDisk';
import { StoreRegistry } from '../services/storeLocation';
import { EMPTY_SCHEME, EmptyDocumentProvider } from './compare';
import { LabFileSystemProvider } from './provider';
import { RegistryStoreLabs } from './storeLabs';
import { SCHEME } from './uri';

export const FS_COMMANDS: Readonly<Record<string, CommandHandler>> = {
  'checkpointLab.vm.openDisk': openDisk,
  'checkpointLab.checkpoint.browse': browseCheckpoint,
  'checkpointLab.checkpoint.compareWithNow': compareWithNow,
  'checkpointLab.checkpoint.compare': compareCheckpoints,
};

function debounce(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
}

export function registerLabFileSystem(extension: vscode.ExtensionContext, context: CommandContext): vscode.Disposable[] {
  const log = context.ops.log;
  const labs = new RegistryStoreLabs(context.host, new StoreRegistry(extension.globalStorageUri.fsPath), log);
  const refreshExplorer = debounce(() => {
    void vscode.commands.executeCommand('workbench.files.action.refreshFilesExplorer').then(undefined, () => undefined);
  }, 150);
  const provider = new LabFileSystemProvider(labs, { log, refreshExplorer });
  const disposables: vscode.Disposable[] = [
    labs,
    provider,
    vscode.workspace.registerFileSystemProvider(SCHEME, provider, { isCaseSensitive: true }),
    vscode.workspace.registerTextDocumentContentProvider(EMPTY_SCHEME, new EmptyDocumentProvider()),
  ];
  for (const [id, handler] of Object.entries(FS_COMMANDS)) {
    disposables.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(context, ...args);
        } catch (error) {
          if (!context.ops.wasLogged(error)) log.error(`${id}: ${error instanceof Error ? error.message : String(error)}`);
          context.ops.report(error);
          return undefined;
        }
      }),
    );
  }
  return disposables;
}
