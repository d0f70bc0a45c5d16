/** What every command handler gets: the lab, the tree, the prompter and the operation runner. */
import type * as vscode from 'vscode';
import type { Lab } from '../engine';
import type { LabHost } from '../services/labHost';
import type { Operations } from '../services/operations';
import type { Prompter } from '../services/prompter';
import type { LabNode } from '../tree/nodes';
import type { VmTreeProvider } from '../tree/provider';

export interface CommandContext {
  readonly host: LabHost;
  readonly tree: VmTreeProvider;
  readonly ops: Operations;
  /** The current prompter (tests swap it). */
  prompter(): Prompter;
  lab(): Promise<Lab>;
  /** Reloads the tree and reveals (selects) a VM or one of its checkpoints. Never throws. */
  reveal(vmId: string, checkpointId?: string): Promise<void>;
  /** The tree view, once created. */
  readonly view: vscode.TreeView<LabNode> | undefined;
}

/**
 * A command: the first argument is the tree node when run from the tree (context menu,
 * inline button), a VM / checkpoint reference string from other code, or nothing from the
 * palette (then the handler asks with a quick pick). Resolves with what it made or
 * changed, or undefined when the user cancelled.
 */
export type CommandHandler = (context: CommandContext, ...args: unknown[]) => Promise<unknown>;
