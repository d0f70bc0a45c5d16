/**
 * Binds every command id to its handler. A handler's failure is shown to the user with the
 * engine's message (and logged); it never escapes as an unhandled error.
 */
import * as vscode from 'vscode';
import { applyCheckpoint } from './applyCheckpoint';
import { checkpointVm } from './checkpointVm';
import { collapseAll } from './collapseAll';
import type { CommandContext, CommandHandler } from './context';
import { createSampleLab } from './createSampleLab';
import { createVm } from './createVm';
import { deleteCheckpoint } from './deleteCheckpoint';
import { deleteCheckpointSubtree } from './deleteCheckpointSubtree';
import { deleteSavedState } from './deleteSavedState';
import { deleteVm } from './deleteVm';
import { editCheckpointNotes } from './editCheckpointNotes';
import { exportCheckpoint } from './exportCheckpoint';
import { exportVm } from './exportVm';
import { importVm } from './importVm';
import { inspectStore } from './inspectStore';
import { pauseVm } from './pauseVm';
import { refreshView } from './refreshView';
import { renameCheckpoint } from './renameCheckpoint';
import { renameVm } from './renameVm';
import { resumeVm } from './resumeVm';
import { revertVm } from './revertVm';
import { saveVm } from './saveVm';
import { shutDownVm } from './shutDownVm';
import { startVm } from './startVm';
import { turnOffVm } from './turnOffVm';
import { vmSettings } from './vmSettings';
import { LOOP_COMMANDS } from '../loop/commands';

export const COMMANDS: Readonly<Record<string, CommandHandler>> = {
  'checkpointLab.vm.create': createVm,
  'checkpointLab.vm.import': importVm,
  'checkpointLab.vm.start': startVm,
  'checkpointLab.vm.shutDown': shutDownVm,
  'checkpointLab.vm.turnOff': turnOffVm,
  'checkpointLab.vm.save': saveVm,
  'checkpointLab.vm.pause': pauseVm,
  'checkpointLab.vm.resume': resumeVm,
  'checkpointLab.vm.deleteSavedState': deleteSavedState,
  'checkpointLab.vm.checkpoint': checkpointVm,
  'checkpointLab.vm.revert': revertVm,
  'checkpointLab.vm.export': exportVm,
  'checkpointLab.vm.settings': vmSettings,
  'checkpointLab.vm.rename': renameVm,
  'checkpointLab.vm.delete': deleteVm,
  'checkpointLab.checkpoint.apply': applyCheckpoint,
  'checkpointLab.checkpoint.rename': renameCheckpoint,
  'checkpointLab.checkpoint.editNotes': editCheckpointNotes,
  'checkpointLab.checkpoint.export': exportCheckpoint,
  'checkpointLab.checkpoint.delete': deleteCheckpoint,
  'checkpointLab.checkpoint.deleteSubtree': deleteCheckpointSubtree,
  'checkpointLab.store.inspect': inspectStore,
  'checkpointLab.lab.createSample': createSampleLab,
  'checkpointLab.view.refresh': refreshView,
  'checkpointLab.view.collapseAll': collapseAll,
  ...LOOP_COMMANDS, // the Dev/UAT loop (src/loop)
};

export function registerCommands(context: CommandContext): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(context, ...args);
      } catch (error) {
        if (!context.ops.wasLogged(error)) context.ops.log.error(`${id}: ${error instanceof Error ? error.message : String(error)}`);
        context.ops.report(error);
        return undefined;
      }
    }),
  );
}
