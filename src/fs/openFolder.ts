/**
 * Opens a `checkpoint-lab:` folder (a VM's Now or a checkpoint) the way openTarget.ts
 * decides: a new window, a folder of the current saved multi-root workspace, or a reveal
 * when it is already open.
 */
import * as vscode from 'vscode';
import { decideOpenTarget, type OpenDecision, type OpenPreference } from './openTarget';

export interface OpenedFolder {
  uri: vscode.Uri;
  name: string;
  decision: OpenDecision;
}

export function currentWorkspaceShape(): { workspaceFileScheme: string | undefined; folders: string[] } {
  return {
    workspaceFileScheme: vscode.workspace.workspaceFile?.scheme,
    folders: (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.toString()),
  };
}

export async function openLabFolder(uri: vscode.Uri, name: string, preference: OpenPreference): Promise<OpenedFolder> {
  const decision = decideOpenTarget(currentWorkspaceShape(), uri.toString(), preference);
  if (decision === 'newWindow') {
    await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
  } else if (decision === 'addFolder') {
    const at = vscode.workspace.workspaceFolders?.length ?? 0;
    const added = new Promise<void>((resolve) => {
      const subscription = vscode.workspace.onDidChangeWorkspaceFolders(() => {
        subscription.dispose();
        resolve();
      });
    });
    if (!vscode.workspace.updateWorkspaceFolders(at, 0, { uri, name })) throw new Error(`'${name}' could not be added to the workspace.`);
    await added;
    await vscode.commands.executeCommand('workbench.view.explorer');
  } else {
    await vscode.commands.executeCommand('workbench.view.explorer');
  }
  return { uri, name, decision };
}
