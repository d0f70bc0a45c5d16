/**
 * Compare with Now / Compare Checkpoints: the engine's list of Added / Removed / Modified
 * paths in a quick pick, and VS Code's diff editor for the chosen file between the two
 * `checkpoint-lab:` URIs (an empty document stands in for the side where it is missing).
 */
import * as vscode from 'vscode';
import type { CheckpointInfo, GuestChangeInfo, Lab, VmInfo } from '../engine';
import type { Prompter } from '../services/prompter';
import { checkpointPath, nowPath, SCHEME } from './uri';

/** Read-only empty documents for the missing side of a diff. */
export const EMPTY_SCHEME = 'checkpoint-lab-empty';

export class EmptyDocumentProvider implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(): string {
    return '';
  }
}

export interface ChangeItem extends vscode.QuickPickItem {
  change: GuestChangeInfo;
}

export interface Comparison {
  vm: VmInfo;
  from: CheckpointInfo;
  /** undefined: Now. */
  to?: CheckpointInfo;
  changes: GuestChangeInfo[];
  /** The diff opened, if one was. */
  opened?: { left: vscode.Uri; right: vscode.Uri; title: string };
}

const ICONS: Record<GuestChangeInfo['Change'], [string, string]> = {
  Added: ['diff-added', 'gitDecoration.addedResourceForeground'],
  Removed: ['diff-removed', 'gitDecoration.deletedResourceForeground'],
  Modified: ['diff-modified', 'gitDecoration.modifiedResourceForeground'],
};

function sideUri(storeId: string, vm: VmInfo, checkpoint: CheckpointInfo | undefined, guestPath: string): vscode.Uri {
  const path = checkpoint ? checkpointPath(vm, checkpoint, guestPath) : nowPath(vm, guestPath);
  return vscode.Uri.from({ scheme: SCHEME, authority: storeId, path });
}

function emptyUri(guestPath: string, side: string): vscode.Uri {
  return vscode.Uri.from({ scheme: EMPTY_SCHEME, path: guestPath, query: side });
}

export function changeItems(changes: readonly GuestChangeInfo[]): ChangeItem[] {
  const order = { Modified: 0, Added: 1, Removed: 2 };
  return [...changes]
    .sort((a, b) => order[a.Change] - order[b.Change] || a.Path.localeCompare(b.Path))
    .map((change) => ({
      label: change.Path,
      description: change.Change,
      iconPath: new vscode.ThemeIcon(ICONS[change.Change][0], new vscode.ThemeColor(ICONS[change.Change][1])),
      change,
    }));
}

/** The two URIs and the title of the diff for one change. */
export function diffOf(storeId: string, vm: VmInfo, from: CheckpointInfo, to: CheckpointInfo | undefined, change: GuestChangeInfo): { left: vscode.Uri; right: vscode.Uri; title: string } {
  const fromLabel = `'${from.Name}'`;
  const toLabel = to ? `'${to.Name}'` : 'Now';
  const left = change.Change === 'Added' ? emptyUri(change.Path, 'added') : sideUri(storeId, vm, from, change.Path);
  const right = change.Change === 'Removed' ? emptyUri(change.Path, 'removed') : sideUri(storeId, vm, to, change.Path);
  const name = change.Path.slice(change.Path.lastIndexOf('/') + 1) || '/';
  return { left, right, title: `${name} (${fromLabel} ↔ ${toLabel}, ${change.Change.toLowerCase()})` };
}

/**
 * Shows what changed from `from` to `to` (Now when undefined) and opens the diff of the
 * file the user picks. A folder that was added or removed has no diff: the user is told.
 */
export async function compareAndShow(lab: Lab, prompter: Prompter, vm: VmInfo, from: CheckpointInfo, to: CheckpointInfo | undefined): Promise<Comparison> {
  const changes = await lab.compare({ id: vm.Id }, { id: from.Id }, to ? { id: to.Id } : undefined);
  const toLabel = to ? `checkpoint '${to.Name}'` : 'Now';
  const result: Comparison = { vm, from, to, changes };
  if (changes.length === 0) {
    prompter.info(`No files differ between checkpoint '${from.Name}' and ${toLabel} of '${vm.Name}'.`);
    return result;
  }
  const counts = (['Added', 'Removed', 'Modified'] as const).map((kind) => `${changes.filter((c) => c.Change === kind).length} ${kind.toLowerCase()}`).join(', ');
  const picked = await prompter.pick(changeItems(changes), {
    title: `'${vm.Name}': checkpoint '${from.Name}' → ${toLabel} (${counts})`,
    placeHolder: 'Select a file to open its diff',
  });
  if (!picked) return result;
  const change = picked.change;
  const side = change.Change === 'Added' ? (to ? { checkpoint: { id: to.Id } } : {}) : { checkpoint: { id: from.Id } };
  const row = await lab.statFile({ id: vm.Id }, change.Path, side);
  if (row.Type === 'Directory') {
    prompter.info(`'${change.Path}' is a folder (${change.Change.toLowerCase()}); pick a file inside it to see a diff.`);
    return result;
  }
  const diff = diffOf(lab.storeId, vm, from, to, change);
  await vscode.commands.executeCommand('vscode.diff', diff.left, diff.right, diff.title, { preview: true });
  result.opened = diff;
  return result;
}
