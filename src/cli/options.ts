/**
 * Options several commands share, and the selectors of SPEC section 6:
 * `(--name S | --id ID)` for one checkpoint and `[--snapshot S | --snapshot-id ID]` for
 * the checkpoint a guest-file command reads. Both given: commander's conflict (exit 2);
 * a required selector missing: UsageError (exit 2).
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { CheckpointRef, VmRef } from '../engine';
import { UsageError } from './errors';

export interface JsonOption {
  json?: boolean;
}

export function addJson(command: Command, what = 'print JSON (SPEC section 6 fields)'): Command {
  return command.option('--json', what);
}

/** A VM named on the command line: by name, as the SPEC's CLI selects VMs. */
export function vmByName(name: string): VmRef {
  return { name };
}

export interface CheckpointSelectorOptions {
  name?: string;
  id?: string;
}

/** `--name S | --id ID` (mutually exclusive). */
export function addCheckpointSelector(command: Command, nameHelp = "the checkpoint's name (case-insensitive)"): Command {
  return command
    .addOption(new Option('--name <name>', nameHelp).conflicts('id'))
    .addOption(new Option('--id <id>', "the checkpoint's Id").conflicts('name'));
}

export function checkpointSelector(options: CheckpointSelectorOptions, commandName: string): CheckpointRef {
  if (options.id !== undefined) return { id: options.id };
  if (options.name !== undefined) return { name: options.name };
  throw new UsageError(`${commandName} needs the checkpoint: --name <name> or --id <id>.`);
}

export interface SnapshotTargetOptions {
  snapshot?: string;
  snapshotId?: string;
}

/** `[--snapshot S | --snapshot-id ID]`: read from a checkpoint instead of Now. */
export function addSnapshotTarget(command: Command): Command {
  return command
    .addOption(new Option('--snapshot <name>', 'read from this checkpoint (by name) instead of Now').conflicts('snapshotId'))
    .addOption(new Option('--snapshot-id <id>', 'read from the checkpoint with this Id instead of Now').conflicts('snapshot'));
}

export function snapshotTarget(options: SnapshotTargetOptions): { checkpoint?: CheckpointRef } {
  if (options.snapshotId !== undefined) return { checkpoint: { id: options.snapshotId } };
  if (options.snapshot !== undefined) return { checkpoint: { name: options.snapshot } };
  return {};
}
