/**
 * Every question the extension asks a user goes through a Prompter, so integration tests
 * can answer quick picks, input boxes and modals (and see the messages shown) while the
 * real one uses vscode.window.
 */
import * as vscode from 'vscode';

export interface PickOptions {
  title: string;
  placeHolder?: string;
  /** Accept when the user selects nothing (never used for required choices). */
  matchOnDescription?: boolean;
}

export interface InputOptions {
  title: string;
  prompt?: string;
  value?: string;
  placeHolder?: string;
  /** Returns an error text for an invalid value, undefined when it is fine. */
  validateInput?: (value: string) => string | undefined;
}

export interface ConfirmOptions {
  detail?: string;
}

export interface Prompter {
  /** A quick pick; undefined when the user dismissed it. */
  pick<T extends vscode.QuickPickItem>(items: readonly T[], options: PickOptions): Promise<T | undefined>;
  /** An input box; undefined when the user dismissed it. */
  input(options: InputOptions): Promise<string | undefined>;
  /** A modal warning with the given buttons (Cancel is implicit); the chosen button or undefined. */
  confirm(message: string, options: ConfirmOptions, ...buttons: string[]): Promise<string | undefined>;
  /** A file or folder dialog. */
  openDialog(options: vscode.OpenDialogOptions): Promise<vscode.Uri[] | undefined>;
  /** Non-modal messages: never awaited (they resolve only when dismissed). */
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export class WindowPrompter implements Prompter {
  pick<T extends vscode.QuickPickItem>(items: readonly T[], options: PickOptions): Promise<T | undefined> {
    return Promise.resolve(
      vscode.window.showQuickPick(items as T[], {
        title: options.title,
        placeHolder: options.placeHolder,
        matchOnDescription: options.matchOnDescription ?? true,
        ignoreFocusOut: false,
      }),
    );
  }

  input(options: InputOptions): Promise<string | undefined> {
    return Promise.resolve(
      vscode.window.showInputBox({
        title: options.title,
        prompt: options.prompt,
        value: options.value,
        placeHolder: options.placeHolder,
        validateInput: options.validateInput,
      }),
    );
  }

  confirm(message: string, options: ConfirmOptions, ...buttons: string[]): Promise<string | undefined> {
    return Promise.resolve(vscode.window.showWarningMessage(message, { modal: true, detail: options.detail }, ...buttons));
  }

  openDialog(options: vscode.OpenDialogOptions): Promise<vscode.Uri[] | undefined> {
    return Promise.resolve(vscode.window.showOpenDialog(options));
  }

  info(message: string): void {
    void vscode.window.showInformationMessage(message);
  }

  warn(message: string): void {
    void vscode.window.showWarningMessage(message);
  }

  error(message: string): void {
    void vscode.window.showErrorMessage(message);
  }
}
