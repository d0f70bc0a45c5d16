/**
 * The Dev/UAT loop's commands: Link Folder to VM, Remove Link, Roll In, Roll Out, Roll In
 * and Checkpoint, Apply and Roll Out. Each takes a link node, a VM node, a checkpoint node
 * (Apply and Roll Out), a link id, or nothing (then it asks with quick picks).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointInfo, VmInfo } from '../engine';
import { askApply } from '../commands/applyChoice';
import type { CommandContext, CommandHandler } from '../commands/context';
import { isLabNode, resolveVm } from '../commands/targets';
import { formatTime } from '../tree/treeItems';
import { applyAndRollOut, LoopError, normalizeLinkGuestPath, rollIn, rollInAndCheckpoint, rollOut, type SyncResult } from './core';
import { dirtyDocuments, listNames, revertDocuments } from './editors';
import { DEFAULT_EXCLUDES, type Link, linkLabel, linkSpec, type LinkStore } from './links';

/** Set by registerLoop() at activation. */
export const loopState: { links?: LinkStore } = {};

function links(): LinkStore {
  if (!loopState.links) throw new Error('The Checkpoint Lab loop is not ready yet.');
  return loopState.links;
}

export const SAVE_AND_ROLL_IN = 'Save All and Roll In';
export const ROLL_IN_WITHOUT_SAVING = 'Roll In Without Saving';
export const OVERWRITE = 'Overwrite';
export const KEEP_MY_CHANGES = 'Keep My Changes';

interface LinkNodeLike {
  kind: 'link';
  link: { id: string };
}

function isLinkNode(value: unknown): value is LinkNodeLike {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'link' && typeof (value as LinkNodeLike).link?.id === 'string';
}

/** Options a caller (tests, tasks, other extensions) may pass instead of answering prompts. */
export interface LinkFolderArgs {
  hostPath: string;
  guestPath: string;
  excludes?: string[];
  useGitignore?: boolean;
}

export function summary(result: SyncResult): string {
  const parts = [`${result.written.length} copied`, `${result.removed.length} removed`];
  if (result.createdFolders.length > 0) parts.push(`${result.createdFolders.length} folders created`);
  parts.push(`${result.unchanged} unchanged`);
  if (result.skipped.length > 0) parts.push(`${result.skipped.length} skipped (unsaved changes kept): ${listNames(result.skipped)}`);
  return parts.join(', ');
}

/** The link a command works on: from its node or id, the VM's only link, or a quick pick. */
async function resolveLink(context: CommandContext, arg: unknown, title: string): Promise<{ link: Link; vm: VmInfo } | undefined> {
  const store = links();
  const lab = await context.lab();
  let candidates: Link[];
  if (isLinkNode(arg)) candidates = [store.get(arg.link.id)].filter((l): l is Link => l !== undefined);
  else if (typeof arg === 'string' && store.get(arg)) candidates = [store.get(arg)!];
  else if (isLabNode(arg)) candidates = store.forVm(arg.vm.Id);
  else if (typeof arg === 'string') candidates = store.forVm((await lab.getVm(arg)).Id);
  else candidates = store.all();
  if (candidates.length === 0) {
    const offer = 'Link Folder to VM...';
    context.prompter().info(isLabNode(arg) ? `'${arg.vm.Name}' has no linked folder. Use "${offer}" first.` : `No folder is linked to a virtual machine. Use "${offer}" first.`);
    return undefined;
  }
  const vms = new Map((await lab.listVms()).map((vm) => [vm.Id, vm]));
  let chosen: Link | undefined = candidates[0];
  if (candidates.length > 1) {
    const items = candidates.map((link) => ({ label: linkLabel(link), description: `${vms.get(link.vmId)?.Name ?? 'missing VM'} ${link.guestPath}`, link }));
    chosen = (await context.prompter().pick(items, { title, placeHolder: 'Select a linked folder' }))?.link;
  }
  if (!chosen) return undefined;
  const vm = vms.get(chosen.vmId);
  if (!vm) throw new LoopError('HostFolderMissing', `The virtual machine of the link '${linkLabel(chosen)}' no longer exists. Remove the link.`);
  return { link: chosen, vm };
}

/** Roll In's unsaved editors: save them first, roll in without them, or cancel (false). */
async function offerSave(context: CommandContext, link: Link): Promise<boolean> {
  const dirty = dirtyDocuments(link);
  if (dirty.size === 0) return true;
  const answer = await context.prompter().confirm(
    `${dirty.size} file${dirty.size === 1 ? ' has' : 's have'} unsaved changes in '${linkLabel(link)}'. Save before rolling in?`,
    { detail: `${listNames([...dirty.keys()])}. "${ROLL_IN_WITHOUT_SAVING}" rolls in what is on disk.` },
    SAVE_AND_ROLL_IN,
    ROLL_IN_WITHOUT_SAVING,
  );
  if (answer === SAVE_AND_ROLL_IN) {
    for (const document of dirty.values()) {
      if (!(await document.save())) throw new LoopError('HostFolderUnreadable', `'${document.uri.fsPath}' could not be saved; nothing was rolled in.`);
    }
    return true;
  }
  return answer === ROLL_IN_WITHOUT_SAVING;
}

/** Roll Out's question before it overwrites or deletes files with unsaved editors. */
function askBeforeOverwrite(context: CommandContext, link: Link, overwritten: vscode.TextDocument[]) {
  return async (changes: { overwrite: string[]; remove: string[] }): Promise<ReadonlySet<string>> => {
    const dirty = dirtyDocuments(link);
    const hit = [...changes.overwrite, ...changes.remove].filter((rel) => dirty.has(rel));
    if (hit.length === 0) return new Set();
    const answer = await context.prompter().confirm(
      `Roll Out would overwrite ${hit.length} file${hit.length === 1 ? '' : 's'} with unsaved changes in '${linkLabel(link)}'.`,
      { detail: `${listNames(hit)}. "${OVERWRITE}" replaces them with the VM's version and discards the unsaved changes; "${KEEP_MY_CHANGES}" leaves those files alone.` },
      OVERWRITE,
      KEEP_MY_CHANGES,
    );
    if (answer === OVERWRITE) {
      overwritten.push(...hit.map((rel) => dirty.get(rel)!));
      return new Set();
    }
    if (answer === KEEP_MY_CHANGES) return new Set(hit);
    throw new LoopError('Cancelled', 'The operation was cancelled.');
  };
}

function where(link: Link, vm: VmInfo): string {
  return `'${linkLabel(link)}' ${vm.Name}:${link.guestPath}`;
}

// ------------------------------------------------------------------ handlers

export const linkFolder: CommandHandler = async (context, arg, given?: unknown) => {
  // from the Explorer's context menu the argument is the folder
  const fromExplorer = arg instanceof vscode.Uri && arg.scheme === 'file' ? arg : undefined;
  const vm = await resolveVm(context, fromExplorer ? undefined : arg, { title: 'Link Folder to VM', allowed: (v) => v.Status === 'Ok', none: 'There is no virtual machine to link a folder to.' });
  if (!vm) return undefined;
  const args = (typeof given === 'object' && given !== null ? given : {}) as Partial<LinkFolderArgs>;
  let hostPath = args.hostPath ?? fromExplorer?.fsPath;
  if (hostPath === undefined) {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const picked = await context.prompter().openDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      defaultUri: folders[0]?.uri,
      openLabel: 'Link Folder',
      title: `Link a folder to '${vm.Name}'`,
    });
    hostPath = picked?.[0]?.fsPath;
    if (!hostPath) return undefined;
  }
  if (!fs.existsSync(hostPath) || !fs.statSync(hostPath).isDirectory()) throw new LoopError('HostFolderMissing', `The linked folder '${hostPath}' does not exist.`);
  let guestPath = args.guestPath;
  if (guestPath === undefined) {
    guestPath = await context.prompter().input({
      title: `Link '${path.basename(hostPath)}' to '${vm.Name}'`,
      prompt: 'The folder in the VM (absolute path)',
      value: `/srv/${path.basename(hostPath).replace(/[^A-Za-z0-9._-]/g, '_') || 'app'}`,
      validateInput: (value) => {
        try {
          normalizeLinkGuestPath(value);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      },
    });
    if (guestPath === undefined) return undefined;
  }
  let excludes = args.excludes;
  if (excludes === undefined) {
    const text = await context.prompter().input({
      title: 'Exclude',
      prompt: 'Paths never copied either way, comma-separated, in .gitignore syntax',
      value: DEFAULT_EXCLUDES.join(', '),
    });
    if (text === undefined) return undefined;
    excludes = text.split(',');
  }
  let useGitignore = args.useGitignore;
  if (useGitignore === undefined) {
    const choice = await context.prompter().pick(
      [
        { label: 'Honour .gitignore', description: "also leave out what the folder's .gitignore files ignore", value: true },
        { label: 'Ignore .gitignore', description: 'only the exclude globs', value: false },
      ],
      { title: '.gitignore' },
    );
    if (!choice) return undefined;
    useGitignore = choice.value;
  }
  const link = await links().add({ vmId: vm.Id, hostPath, guestPath, excludes, useGitignore });
  context.ops.log.info(`Linked ${where(link, vm)} (excludes: ${link.excludes.join(', ') || 'none'}${link.useGitignore ? ', .gitignore' : ''})`);
  context.tree.scheduleRefresh();
  return link;
};

export const removeLink: CommandHandler = async (context, arg) => {
  const target = await resolveLink(context, arg, 'Remove Link');
  if (!target) return undefined;
  await links().remove(target.link.id);
  context.ops.log.info(`Removed the link ${where(target.link, target.vm)}`);
  context.tree.scheduleRefresh();
  return target.link;
};

export const rollInCommand: CommandHandler = async (context, arg) => {
  const target = await resolveLink(context, arg, 'Roll In');
  if (!target) return undefined;
  const { link, vm } = target;
  if (!(await offerSave(context, link))) return undefined;
  const lab = await context.lab();
  const result = await context.ops.run(`Roll In ${where(link, vm)}`, (hooks) => rollIn(lab, linkSpec(link), { signal: hooks.signal, onProgress: hooks.onProgress }), {
    progress: 'notification',
    cancellable: true,
  });
  context.ops.log.info(`Roll In ${where(link, vm)}: ${summary(result)}`);
  context.prompter().info(`Rolled '${linkLabel(link)}' into '${vm.Name}': ${summary(result)}.`);
  return result;
};

export const rollOutCommand: CommandHandler = async (context, arg) => {
  const target = await resolveLink(context, arg, 'Roll Out');
  if (!target) return undefined;
  const { link, vm } = target;
  const lab = await context.lab();
  const overwritten: vscode.TextDocument[] = [];
  const result = await context.ops.run(
    `Roll Out ${where(link, vm)}`,
    (hooks) => rollOut(lab, linkSpec(link), { signal: hooks.signal, onProgress: hooks.onProgress, beforeHostChanges: askBeforeOverwrite(context, link, overwritten) }),
    { progress: 'notification', cancellable: true },
  );
  await revertDocuments(overwritten);
  context.ops.log.info(`Roll Out ${where(link, vm)}: ${summary(result)}`);
  context.prompter().info(`Rolled '${vm.Name}' out to '${linkLabel(link)}': ${summary(result)}.`);
  return result;
};

export const rollInAndCheckpointCommand: CommandHandler = async (context, arg) => {
  const target = await resolveLink(context, arg, 'Roll In and Checkpoint');
  if (!target) return undefined;
  const { link, vm } = target;
  if (!(await offerSave(context, link))) return undefined;
  const lab = await context.lab();
  const result = await context.ops.run(
    `Roll In and Checkpoint ${where(link, vm)}`,
    async (hooks) => {
      hooks.step('Rolling in...');
      return rollInAndCheckpoint(lab, linkSpec(link), { signal: hooks.signal, onProgress: hooks.onProgress, onStep: hooks.step });
    },
    { progress: 'notification', cancellable: true },
  );
  if (result.notice) context.prompter().warn(result.notice);
  context.ops.log.info(`Roll In and Checkpoint ${where(link, vm)}: ${summary(result.sync)}; checkpoint '${result.checkpoint.Name}'`);
  context.prompter().info(`Rolled '${linkLabel(link)}' into '${vm.Name}' (${summary(result.sync)}) and took checkpoint '${result.checkpoint.Name}'.`);
  await context.reveal(vm.Id, result.checkpoint.Id);
  return result;
};

/** The checkpoint to apply: the node's, or picked from the VM's checkpoints (newest first). */
async function resolveCheckpointOf(context: CommandContext, vm: VmInfo, arg: unknown): Promise<CheckpointInfo | undefined> {
  const lab = await context.lab();
  if (isLabNode(arg) && arg.kind === 'checkpoint' && arg.vm.Id === vm.Id) return lab.getCheckpoint({ id: vm.Id }, { id: arg.checkpoint.Id });
  const checkpoints = (await lab.listCheckpoints({ vm: { id: vm.Id } })).filter((c) => c.Status === 'Ok');
  if (checkpoints.length === 0) {
    context.prompter().info(`'${vm.Name}' has no checkpoint to apply.`);
    return undefined;
  }
  checkpoints.sort((a, b) => (a.CreationTime < b.CreationTime ? 1 : -1));
  const items = checkpoints.map((checkpoint) => ({
    label: checkpoint.Name,
    description: `${formatTime(checkpoint.CreationTime)}${checkpoint.Id === vm.ParentCheckpointId ? ' · Now is under it' : ''}`,
    checkpoint,
  }));
  return (await context.prompter().pick(items, { title: `Apply and Roll Out: a checkpoint of '${vm.Name}'`, placeHolder: 'Select a checkpoint' }))?.checkpoint;
}

export const applyAndRollOutCommand: CommandHandler = async (context, arg) => {
  const target = await resolveLink(context, arg, 'Apply and Roll Out');
  if (!target) return undefined;
  const { link, vm } = target;
  const checkpoint = await resolveCheckpointOf(context, vm, arg);
  if (!checkpoint) return undefined;
  const options = await askApply(context.prompter(), `Apply checkpoint '${checkpoint.Name}' to '${vm.Name}' and roll its files out to '${linkLabel(link)}'?`, vm.Name);
  if (!options) return undefined;
  const lab = await context.lab();
  const overwritten: vscode.TextDocument[] = [];
  const result = await context.ops.run(
    `Apply '${checkpoint.Name}' and Roll Out ${where(link, vm)}${options.checkpointFirst ? ' (checkpoint first)' : ''}`,
    async (hooks) => {
      hooks.step('Applying...');
      return applyAndRollOut(lab, linkSpec(link), { id: checkpoint.Id }, {
        checkpointFirst: options.checkpointFirst,
        signal: hooks.signal,
        onProgress: hooks.onProgress,
        onStep: hooks.step,
        beforeHostChanges: askBeforeOverwrite(context, link, overwritten),
      });
    },
    { progress: 'notification', cancellable: true },
  );
  await revertDocuments(overwritten);
  if (result.apply.notice) context.prompter().warn(result.apply.notice);
  context.ops.log.info(`Apply '${checkpoint.Name}' and Roll Out ${where(link, vm)}: ${summary(result.sync)}`);
  context.prompter().info(`Applied '${checkpoint.Name}' and rolled it out to '${linkLabel(link)}': ${summary(result.sync)}.`);
  await context.reveal(vm.Id, result.apply.checkpointTaken?.Id ?? checkpoint.Id);
  return result;
};

export const LOOP_COMMANDS: Readonly<Record<string, CommandHandler>> = {
  'checkpointLab.link.create': linkFolder,
  'checkpointLab.link.remove': removeLink,
  'checkpointLab.loop.rollIn': rollInCommand,
  'checkpointLab.loop.rollOut': rollOutCommand,
  'checkpointLab.loop.rollInAndCheckpoint': rollInAndCheckpointCommand,
  'checkpointLab.loop.applyAndRollOut': applyAndRollOutCommand,
};
