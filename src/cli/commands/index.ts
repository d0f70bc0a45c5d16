/** Every command of SPEC section 6, in the order `--help` lists them. */
import type { Command } from 'commander';
import type { Cli } from '../cli';
import { registerCheckpointCommands } from './checkpoints';
import { registerExportImportCommands } from './exportImport';
import { registerFileCommands } from './files';
import { registerLifecycleCommands } from './lifecycle';
import { registerStoreCommands } from './store';
import { registerSyncCommands } from './sync';
import { registerVmCommands } from './vm';

export function registerCommands(program: Command, cli: Cli): void {
  registerVmCommands(program, cli); // new-vm, get-vm, set-vm, remove-vm
  registerLifecycleCommands(program, cli); // start-vm, suspend-vm, resume-vm, save-vm, stop-vm, remove-saved-state
  registerCheckpointCommands(program, cli); // checkpoint-vm, get-vmsnapshot, restore-vmsnapshot, revert-vm, remove/rename/compare-vmsnapshot
  registerExportImportCommands(program, cli); // export-vm, export-vmsnapshot, import-vm
  registerFileCommands(program, cli); // copy-vmfile, write-vmfile, remove-vmfile, get-vmfile, list-vmfiles
  registerSyncCommands(program, cli); // sync-vmfolder (the Dev/UAT loop)
  registerStoreCommands(program, cli); // test-vmstore
}
