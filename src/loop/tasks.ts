/**
 * The `checkpoint-lab` task type, so tasks.json and preLaunchTask can checkpoint before a
 * test run and revert after:
 *   { "type": "checkpoint-lab", "action": "checkpoint" | "apply" | "revert" | "roll-in" | "roll-out",
 *     "vm": "web-01", "checkpoint": "<name or Id, for apply>", "folder": "<linked folder, for roll-in / roll-out>",
 *     "checkpointFirst": false }
 * A task never prompts: Roll Out leaves files with unsaved editors alone and says so.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Lab } from '../engine';
import type { LabHost } from '../services/labHost';
import { rollIn, rollOut, type SyncResult } from './core';
import { summary } from './commands';
import { dirtyDocuments } from './editors';
import { type Link, linkLabel, linkSpec, type LinkStore } from './links';

export const TASK_TYPE = 'checkpoint-lab';
export const TASK_ACTIONS = ['checkpoint', 'apply', 'revert', 'roll-in', 'roll-out'] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

export interface LabTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  action: TaskAction;
  vm: string;
  checkpoint?: string;
  folder?: string;
  checkpointFirst?: boolean;
}

function isDefinition(value: vscode.TaskDefinition): value is LabTaskDefinition {
  return value.type === TASK_TYPE && typeof value.vm === 'string' && (TASK_ACTIONS as readonly string[]).includes(value.action as string);
}

/** The link a roll task means: `folder` (absolute, or relative to the first workspace folder), else the VM's only link. */
function findLink(links: LinkStore, vmId: string, folder: string | undefined, vmName: string): Link {
  const own = links.forVm(vmId);
  if (folder !== undefined) {
    const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
    const wanted = path.resolve(base, folder);
    const found = own.find((l) => path.resolve(l.hostPath) === wanted);
    if (!found) throw new Error(`No folder '${folder}' is linked to '${vmName}'.`);
    return found;
  }
  if (own.length === 0) throw new Error(`'${vmName}' has no linked folder. Link one first ("Link Folder to VM...").`);
  if (own.length > 1) throw new Error(`'${vmName}' has ${own.length} linked folders; name one with "folder".`);
  return own[0];
}

/** Runs one task definition; returns the lines to print. Throws with the engine's message. */
export async function runLabTask(lab: Lab, links: LinkStore, definition: LabTaskDefinition): Promise<string[]> {
  const vm = await lab.getVm(definition.vm);
  switch (definition.action) {
    case 'checkpoint': {
      const result = await lab.checkpoint({ id: vm.Id });
      return [...(result.notice ? [result.notice] : []), `Checkpoint '${result.checkpoint.Name}' of '${vm.Name}' taken.`];
    }
    case 'apply': {
      if (!definition.checkpoint) throw new Error('The apply action needs "checkpoint": the checkpoint\'s name or Id.');
      const result = await lab.apply({ id: vm.Id }, definition.checkpoint, { checkpointFirst: definition.checkpointFirst === true });
      return [...(result.notice ? [result.notice] : []), `Applied '${definition.checkpoint}' to '${vm.Name}'; it is ${result.vm.State}.`];
    }
    case 'revert': {
      const result = await lab.revert({ id: vm.Id }, { checkpointFirst: definition.checkpointFirst === true });
      return [...(result.notice ? [result.notice] : []), `Reverted '${vm.Name}' to '${result.vm.ParentCheckpointName}'; it is ${result.vm.State}.`];
    }
    case 'roll-in':
    case 'roll-out': {
      const link = findLink(links, vm.Id, definition.folder, vm.Name);
      let result: SyncResult;
      if (definition.action === 'roll-in') result = await rollIn(lab, linkSpec(link));
      else {
        const dirty = dirtyDocuments(link);
        result = await rollOut(lab, linkSpec(link), {
          beforeHostChanges: async (changes) => new Set([...changes.overwrite, ...changes.remove].filter((rel) => dirty.has(rel))),
        });
      }
      const verb = definition.action === 'roll-in' ? `Rolled '${linkLabel(link)}' into '${vm.Name}' ${link.guestPath}` : `Rolled '${vm.Name}' ${link.guestPath} out to '${linkLabel(link)}'`;
      return [`${verb}: ${summary(result)}.`];
    }
  }
}

function taskName(definition: LabTaskDefinition): string {
  const what = { checkpoint: 'Checkpoint', apply: 'Apply', revert: 'Revert', 'roll-in': 'Roll In', 'roll-out': 'Roll Out' }[definition.action];
  return `${what} ${definition.vm}${definition.checkpoint ? ` '${definition.checkpoint}'` : ''}${definition.folder ? ` (${definition.folder})` : ''}`;
}

function execution(host: LabHost, links: LinkStore, definition: LabTaskDefinition): vscode.CustomExecution {
  return new vscode.CustomExecution(async () => {
    const writeEmitter = new vscode.EventEmitter<string>();
    const closeEmitter = new vscode.EventEmitter<number>();
    const write = (line: string) => writeEmitter.fire(`${line.replace(/\n/g, '\r\n')}\r\n`);
    return {
      onDidWrite: writeEmitter.event,
      onDidClose: closeEmitter.event,
      open: () => {
        const started = Date.now();
        write(`Checkpoint Lab: ${taskName(definition)}`);
        void (async () => {
          try {
            const lab = await host.lab();
            for (const line of await runLabTask(lab, links, definition)) write(line);
            write(`Done in ${Date.now() - started} ms.`);
            closeEmitter.fire(0);
          } catch (error) {
            write(`Error: ${error instanceof Error ? error.message : String(error)}`);
            closeEmitter.fire(1);
          }
        })();
      },
      close: () => {
        writeEmitter.dispose();
        closeEmitter.dispose();
      },
    };
  });
}

function toTask(host: LabHost, links: LinkStore, definition: LabTaskDefinition, scope: vscode.TaskScope | vscode.WorkspaceFolder = vscode.TaskScope.Workspace): vscode.Task {
  const task = new vscode.Task(definition, scope, taskName(definition), TASK_TYPE, execution(host, links, definition));
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Silent, clear: false };
  return task;
}

export function registerLabTasks(host: LabHost, links: LinkStore): vscode.Disposable {
  return vscode.tasks.registerTaskProvider(TASK_TYPE, {
    async provideTasks() {
      // the tasks a user can pick from "Run Task": checkpoint and revert each VM, roll each link
      let vms: Awaited<ReturnType<Lab['listVms']>> = [];
      try {
        vms = (await (await host.lab()).listVms()).filter((vm) => vm.Status === 'Ok');
      } catch {
        return [];
      }
      const tasks: vscode.Task[] = [];
      for (const vm of vms) {
        tasks.push(toTask(host, links, { type: TASK_TYPE, action: 'checkpoint', vm: vm.Name }));
        if (vm.ParentCheckpointId) tasks.push(toTask(host, links, { type: TASK_TYPE, action: 'revert', vm: vm.Name }));
        const own = links.forVm(vm.Id);
        for (const link of own) {
          const folder = own.length > 1 ? linkLabel(link) : undefined;
          tasks.push(toTask(host, links, { type: TASK_TYPE, action: 'roll-in', vm: vm.Name, ...(folder ? { folder: link.hostPath } : {}) }));
          tasks.push(toTask(host, links, { type: TASK_TYPE, action: 'roll-out', vm: vm.Name, ...(folder ? { folder: link.hostPath } : {}) }));
        }
      }
      return tasks;
    },
    resolveTask(task) {
      if (!isDefinition(task.definition)) return undefined;
      return toTask(host, links, task.definition, task.scope ?? vscode.TaskScope.Workspace);
    },
  });
}
