/**
 * How each node looks: icons by VM state and checkpoint kind, descriptions
 * (`<State> · <CheckpointType>` for VMs, kind and time for checkpoints) and tooltips with
 * the details (type, time, memory, ExclusiveBytes / SharedBytes, notes).
 */
import * as vscode from 'vscode';
import { formatCheckpointTime } from '../engine/rules';
import type { CheckpointInfo, VmInfo } from '../engine/model';
import { contextValueOf, type CheckpointNode, type LabNode, type LinkNode, type NowNode, type VmNode } from './nodes';

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1).replace(/\.0$/, '')} ${units[unit]}`;
}

/** Local time as R3 writes it (`11/21/2026 - 9:58:01 PM`), without the dash, for descriptions. */
export function formatTime(iso: string): string {
  let text = timeCache.get(iso);
  if (text === undefined) {
    const date = new Date(iso);
    text = Number.isNaN(date.getTime()) ? iso : formatCheckpointTime(date).replace(' - ', ' ');
    if (timeCache.size > 10_000) timeCache.clear();
    timeCache.set(iso, text);
  }
  return text;
}

/** Creation times never change, and every refresh formats all of them again. */
const timeCache = new Map<string, string>();

const VM_ICONS: Record<VmInfo['State'], [string, string | undefined]> = {
  Off: ['vm-outline', undefined],
  Running: ['vm-running', 'charts.green'],
  Paused: ['debug-pause', 'charts.yellow'],
  Saved: ['save', 'charts.blue'],
};

function icon(id: string, color?: string): vscode.ThemeIcon {
  return color ? new vscode.ThemeIcon(id, new vscode.ThemeColor(color)) : new vscode.ThemeIcon(id);
}

/** Words for what a checkpoint is: `Production`, `Standard with memory`, `Automatic · Production`, `Recovery · ...`, `Missing`. */
export function checkpointKind(checkpoint: CheckpointInfo): string {
  if (checkpoint.Status === 'Missing') return 'Missing';
  const parts: string[] = [];
  if (checkpoint.SnapshotType === 'Recovery') parts.push('Recovery');
  if (checkpoint.IsAutomatic) parts.push('Automatic');
  parts.push(checkpoint.CheckpointType === 'Standard' && checkpoint.HasSavedState ? 'Standard with memory' : checkpoint.CheckpointType);
  return parts.join(' · ');
}

function checkpointIcon(checkpoint: CheckpointInfo): vscode.ThemeIcon {
  if (checkpoint.Status === 'Missing') return icon('warning', 'list.errorForeground');
  if (checkpoint.SnapshotType === 'Recovery') return icon('archive', 'charts.orange');
  if (checkpoint.IsAutomatic) return icon('history', 'charts.purple');
  if (checkpoint.CheckpointType === 'Production') return icon('verified', 'charts.green');
  if (checkpoint.HasSavedState) return icon('device-camera', 'charts.blue');
  return icon('device-camera');
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

function vmItem(node: VmNode): vscode.TreeItem {
  const vm = node.vm;
  const item = new vscode.TreeItem(vm.Name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = node.id;
  item.contextValue = contextValueOf(node);
  const missing = vm.Status === 'Missing';
  item.description = `${missing ? 'Missing' : vm.State} · ${vm.CheckpointType}`;
  item.iconPath = missing ? icon('warning', 'list.errorForeground') : icon(...VM_ICONS[vm.State]);
  return item;
}

function vmTooltip(node: VmNode): vscode.MarkdownString {
  const vm = node.vm;
  const missing = vm.Status === 'Missing';
  const tooltip = new vscode.MarkdownString(undefined, true);
  tooltip.appendMarkdown(`**${escape(vm.Name)}**${missing ? ' (files missing or damaged)' : ''}\n\n`);
  tooltip.appendMarkdown(
    [
      `| | |`,
      `|---|---|`,
      `| State | ${vm.State} |`,
      `| Checkpoint type | ${vm.CheckpointType}${vm.AutomaticCheckpointsEnabled ? ', automatic checkpoints' : ''} |`,
      `| Checkpoints | ${node.checkpointCount} |`,
      `| Guest OS | ${vm.GuestOs === 'windows' ? 'Windows (VSS)' : 'Linux (file-system freeze)'} |`,
      `| Generation | ${vm.Generation} |`,
      `| Memory | ${formatBytes(vm.MemoryStartupBytes)} |`,
      `| Disk | ${formatBytes(vm.DiskSizeBytes)} |`,
      `| Now under | ${vm.ParentCheckpointName === null ? '(no checkpoint)' : escape(vm.ParentCheckpointName)} |`,
    ].join('\n'),
  );
  if (vm.Notes) tooltip.appendMarkdown(`\n\n${escape(vm.Notes)}`);
  return tooltip;
}

function checkpointItem(node: CheckpointNode, hasChildren: boolean): vscode.TreeItem {
  const checkpoint = node.checkpoint;
  const item = new vscode.TreeItem(checkpoint.Name, hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = contextValueOf(node);
  const kind = checkpointKind(checkpoint);
  item.description = `${kind} · ${formatTime(checkpoint.CreationTime)}`;
  item.iconPath = checkpointIcon(checkpoint);
  return item;
}

function checkpointTooltip(node: CheckpointNode): vscode.MarkdownString {
  const checkpoint = node.checkpoint;
  const kind = checkpointKind(checkpoint);
  const tooltip = new vscode.MarkdownString(undefined, true);
  tooltip.appendMarkdown(`**${escape(checkpoint.Name)}**\n\n`);
  tooltip.appendMarkdown(
    [
      `| | |`,
      `|---|---|`,
      `| Type | ${kind}${checkpoint.SnapshotType === 'Recovery' ? ' (made by a backup tool)' : ''} |`,
      `| Created | ${formatTime(checkpoint.CreationTime)} |`,
      `| VM state then | ${checkpoint.VmState} |`,
      `| Memory | ${checkpoint.HasSavedState ? 'saved with the checkpoint' : 'none'} |`,
      `| Exclusive | ${formatBytes(checkpoint.ExclusiveBytes)} (freed by deleting it) |`,
      `| Shared | ${formatBytes(checkpoint.SharedBytes)} |`,
      `| Status | ${checkpoint.Status} |`,
    ].join('\n'),
  );
  if (checkpoint.Notes) tooltip.appendMarkdown(`\n\n**Notes:** ${escape(checkpoint.Notes)}`);
  return tooltip;
}

function nowItem(node: NowNode): vscode.TreeItem {
  const vm = node.vm;
  const item = new vscode.TreeItem('Now', vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = contextValueOf(node);
  item.description = vm.State === 'Off' ? 'current state' : `current state · ${vm.State}`;
  item.iconPath = icon('arrow-right', 'charts.green');
  return item;
}

function nowTooltip(node: NowNode): string {
  const vm = node.vm;
  return `The current state of '${vm.Name}'${vm.ParentCheckpointName === null ? '' : `, changed since '${vm.ParentCheckpointName}'`}. A new checkpoint captures it.`;
}

function linkItem(node: LinkNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.link.label, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = contextValueOf(node);
  item.description = node.link.description;
  item.iconPath = icon('repo-sync', 'charts.blue');
  return item;
}

export function treeItemOf(node: LabNode, hasChildren: boolean): vscode.TreeItem {
  switch (node.kind) {
    case 'link':
      return linkItem(node);
    case 'vm':
      return vmItem(node);
    case 'checkpoint':
      return checkpointItem(node, hasChildren);
    case 'now':
      return nowItem(node);
  }
}

/** Tooltips are built when the user hovers (TreeDataProvider.resolveTreeItem), not for every node of a refresh. */
export function tooltipOf(node: LabNode): vscode.MarkdownString | string {
  switch (node.kind) {
    case 'link':
      return node.link.tooltip;
    case 'vm':
      return vmTooltip(node);
    case 'checkpoint':
      return checkpointTooltip(node);
    case 'now':
      return nowTooltip(node);
  }
}
