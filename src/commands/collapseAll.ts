import * as vscode from 'vscode';
import type { CommandHandler } from './context';

/** Collapse All, as the built-in tree action does it. */
export const collapseAll: CommandHandler = async () => {
  await vscode.commands.executeCommand('workbench.actions.treeView.checkpointLab.virtualMachines.collapseAll');
  return undefined;
};
