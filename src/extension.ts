import * as vscode from 'vscode';

/** What activate() returns: lets integration tests see the extension's wiring. */
export interface CheckpointLabApi {
  readonly storageUri: vscode.Uri | undefined;
  readonly globalStorageUri: vscode.Uri;
}

export function activate(context: vscode.ExtensionContext): CheckpointLabApi {
  const output = vscode.window.createOutputChannel('Checkpoint Lab', { log: true });
  context.subscriptions.push(output);
  output.info(`Activated; workspace storage: ${context.storageUri?.fsPath ?? '(no folder open)'}`);
  return {
    storageUri: context.storageUri,
    globalStorageUri: context.globalStorageUri,
  };
}

export function deactivate(): void {}
