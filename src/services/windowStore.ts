/**
 * The store of this window (SPEC section 4), from VS Code's state: the setting, the
 * workspace folders (a `checkpoint-lab:` folder's store comes from the registry, so a
 * window opened by Open Disk or Browse shows the same lab), workspace or global storage.
 */
import * as vscode from 'vscode';
import { resolveWindowStoreLocation, type StoreLocation, type StoreRegistry } from './storeLocation';

export function storeLocationForWindow(context: vscode.ExtensionContext, registry: StoreRegistry): StoreLocation {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri);
  const first = folders[0];
  return resolveWindowStoreLocation({
    setting: vscode.workspace.getConfiguration('checkpointLab').get<string>('storeLocation'),
    workspaceStorage: context.storageUri?.fsPath,
    globalStorage: context.globalStorageUri.fsPath,
    // Relative settings and ${workspaceFolder} mean a folder on disk, not a VM's files.
    workspaceFolder: first?.scheme === 'file' ? first.fsPath : undefined,
    folders,
    lookup: (storeId) => registry.lookup(storeId),
  });
}

/** Says so (output log and a warning) when this window's store cannot be used. */
export function reportUnavailableStore(location: StoreLocation, log: vscode.LogOutputChannel, warn: (message: string) => void): boolean {
  if (location.unavailable === undefined) return false;
  log.error(location.unavailable);
  warn(location.unavailable);
  return true;
}
