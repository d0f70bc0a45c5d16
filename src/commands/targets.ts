/**
 * Which VM or checkpoint a command works on: the tree node it was run on, or a quick
 * pick (palette), offering only the items the action is legal for.
 */
import * as vscode from 'vscode';
import type { CheckpointInfo, VmInfo } from '../engine';
import type { LabNode } from '../tree/nodes';
import { checkpointKind, formatTime } from '../tree/treeItems';
import type { CommandContext } from './context';

export function isLabNode(value: unknown): value is LabNode {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { id?: unknown }).id === 'string' &&
    ['vm', 'checkpoint', 'now'].includes((value as { kind?: unknown }).kind as string) &&
    typeof (value as { vm?: unknown }).vm === 'object'
  );
}

export interface VmPick {
  title: string;
  /** Only VMs this action is legal for are offered. */
  allowed?: (vm: VmInfo) => boolean;
  /** Shown when no VM qualifies. */
  none: string;
}

export interface VmItem extends vscode.QuickPickItem {
  vm: VmInfo;
}

export interface CheckpointItem extends vscode.QuickPickItem {
  vm?: VmInfo;
  checkpoint?: CheckpointInfo;
}

export const okVm = (vm: VmInfo): boolean => vm.Status === 'Ok';

/** The VM of a tree node (fresh from the engine), of a reference string, or picked. */
export async function resolveVm(context: CommandContext, arg: unknown, pick: VmPick): Promise<VmInfo | undefined> {
  const lab = await context.lab();
  if (isLabNode(arg)) return lab.getVm({ id: arg.vm.Id });
  if (typeof arg === 'string') return lab.getVm(arg);
  const vms = (await lab.listVms()).filter((vm) => pick.allowed?.(vm) ?? true);
  if (vms.length === 0) {
    context.prompter().info(pick.none);
    return undefined;
  }
  const items: VmItem[] = vms.map((vm) => ({
    label: vm.Name,
    description: `${vm.Status === 'Missing' ? 'Missing' : vm.State} · ${vm.CheckpointType}`,
    vm,
  }));
  const chosen = await context.prompter().pick(items, { title: pick.title, placeHolder: 'Select a virtual machine' });
  return chosen?.vm;
}

export interface CheckpointPick {
  title: string;
  allowed?: (checkpoint: CheckpointInfo, vm: VmInfo) => boolean;
  none: string;
}

export interface ResolvedCheckpoint {
  vm: VmInfo;
  checkpoint: CheckpointInfo;
}

/** A checkpoint of a tree node (fresh from the engine), or picked from every VM's checkpoints. */
export async function resolveCheckpoint(context: CommandContext, arg: unknown, pick: CheckpointPick): Promise<ResolvedCheckpoint | undefined> {
  const lab = await context.lab();
  if (isLabNode(arg) && arg.kind === 'checkpoint') {
    const vm = await lab.getVm({ id: arg.vm.Id });
    return { vm, checkpoint: await lab.getCheckpoint({ id: vm.Id }, { id: arg.checkpoint.Id }) };
  }
  const vms = await lab.listVms();
  const checkpoints = await lab.listCheckpoints();
  const items: CheckpointItem[] = [];
  for (const vm of vms) {
    const own = checkpoints.filter((checkpoint) => checkpoint.VMId === vm.Id && (pick.allowed?.(checkpoint, vm) ?? true));
    if (own.length === 0) continue;
    items.push({ label: vm.Name, kind: vscode.QuickPickItemKind.Separator });
    for (const checkpoint of own) {
      items.push({
        label: checkpoint.Name,
        description: `${vm.Name} · ${checkpointKind(checkpoint)} · ${formatTime(checkpoint.CreationTime)}`,
        detail: checkpoint.Notes || undefined,
        vm,
        checkpoint,
      });
    }
  }
  if (items.length === 0) {
    context.prompter().info(pick.none);
    return undefined;
  }
  const chosen = await context.prompter().pick(items, { title: pick.title, placeHolder: 'Select a checkpoint' });
  return chosen?.vm && chosen.checkpoint ? { vm: chosen.vm, checkpoint: chosen.checkpoint } : undefined;
}

export const okCheckpoint = (checkpoint: CheckpointInfo, vm: VmInfo): boolean => checkpoint.Status === 'Ok' && vm.Status === 'Ok';
