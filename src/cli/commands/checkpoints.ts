/**
 * Checkpoints (SPEC section 3): checkpoint-vm, get-vmsnapshot, restore-vmsnapshot, revert-vm,
 * remove-vmsnapshot, rename-vmsnapshot, compare-vmsnapshot.
 */
import type { Command } from 'commander';
import { SNAPSHOT_TYPES, validateName } from '../../engine';
import type { ApplyResult, CheckpointFilter, CheckpointInfo, SnapshotType } from '../../engine';
import type { Cli } from '../cli';
import { UsageError } from '../errors';
import { addCheckpointSelector, addJson, checkpointSelector, vmByName } from '../options';
import type { CheckpointSelectorOptions, JsonOption } from '../options';
import { CHANGE_COLUMNS, CHECKPOINT_COLUMNS, changeJson, checkpointColumns, checkpointJson, formatTable } from '../output';
import { choiceParser } from '../parse';
import { printVm } from './vm';

export function printCheckpoint(cli: Cli, checkpoint: CheckpointInfo, options: JsonOption): void {
  if (options.json) cli.json(checkpointJson(checkpoint));
  else cli.write(formatTable([checkpoint], CHECKPOINT_COLUMNS));
}

export function printCheckpoints(cli: Cli, checkpoints: readonly CheckpointInfo[], options: JsonOption): void {
  if (options.json) cli.json(checkpoints.map(checkpointJson));
  else cli.write(formatTable(checkpoints, checkpointColumns(checkpoints)));
}

/** R13 "checkpoint first": say what was taken (and R9's notice) on stderr. */
function reportApply(cli: Cli, result: ApplyResult, options: JsonOption): void {
  cli.notice(result.notice);
  if (result.checkpointTaken) cli.notice(`Checkpoint '${result.checkpointTaken.Name}' (${result.checkpointTaken.Id}) was created first.`);
  printVm(cli, result.vm, options);
}

export function registerCheckpointCommands(program: Command, cli: Cli): void {
  addJson(
    program
      .command('checkpoint-vm')
      .description("Take a checkpoint of a VM (Production or Standard, by the VM's CheckpointType)")
      .requiredOption('--name <name>', 'the VM')
      .option('--snapshot-name <name>', "the checkpoint's name (default '<VM> - (<date time>)')")
      .option('--recovery', 'SnapshotType Recovery, as backup tools make'),
    'print the checkpoint as JSON',
  ).action(async (options: JsonOption & { name: string; snapshotName?: string; recovery?: boolean }) => {
    const snapshotName = options.snapshotName === undefined ? undefined : validateName(options.snapshotName);
    const lab = await cli.lab();
    const result = await lab.checkpoint(vmByName(options.name), { name: snapshotName, recovery: options.recovery === true });
    cli.notice(result.notice);
    printCheckpoint(cli, result.checkpoint, options);
  });

  addJson(
    program
      .command('get-vmsnapshot')
      .description('List checkpoints (of one VM, or of every VM), parents before children')
      .option('--vm-name <name>', "only this VM's checkpoints (default: every VM)")
      .option('--name <name>', 'only checkpoints with this name (wildcards * and ? allowed)')
      .option('--id <id>', 'only the checkpoint with this Id')
      .option('--snapshot-type <type>', 'Standard or Recovery', choiceParser<SnapshotType>(SNAPSHOT_TYPES))
      .option('--child-of <checkpoint>', 'only descendants of this checkpoint (name or Id; needs --vm-name)'),
  ).action(async (options: JsonOption & { vmName?: string; name?: string; id?: string; snapshotType?: SnapshotType; childOf?: string }) => {
    if (options.childOf !== undefined && options.vmName === undefined) throw new UsageError('get-vmsnapshot --child-of needs --vm-name.');
    const filter: CheckpointFilter = {};
    if (options.vmName !== undefined) filter.vm = vmByName(options.vmName);
    if (options.name !== undefined) filter.name = options.name;
    if (options.id !== undefined) filter.id = options.id;
    if (options.snapshotType !== undefined) filter.snapshotType = options.snapshotType;
    if (options.childOf !== undefined) filter.childOf = options.childOf;
    const lab = await cli.lab();
    printCheckpoints(cli, await lab.listCheckpoints(filter), options);
  });

  addJson(
    addCheckpointSelector(
      program
        .command('restore-vmsnapshot')
        .description("Apply a checkpoint: Now is discarded and the VM continues from the checkpoint (R11-R13)")
        .requiredOption('--vm-name <name>', 'the VM'),
    ).option('--checkpoint-first', 'take a checkpoint of Now first ("Create Checkpoint and Apply"); if that fails nothing is applied'),
    'print the VM as JSON',
  ).action(async (options: JsonOption & CheckpointSelectorOptions & { vmName: string; checkpointFirst?: boolean }) => {
    const selector = checkpointSelector(options, 'restore-vmsnapshot');
    const lab = await cli.lab();
    reportApply(cli, await lab.apply(vmByName(options.vmName), selector, { checkpointFirst: options.checkpointFirst === true }), options);
  });

  addJson(
    program
      .command('revert-vm')
      .description("Apply the VM's parent checkpoint (the one Now hangs under)")
      .requiredOption('--name <name>', 'the VM')
      .option('--checkpoint-first', 'take a checkpoint of Now first; if that fails nothing is applied'),
    'print the VM as JSON',
  ).action(async (options: JsonOption & { name: string; checkpointFirst?: boolean }) => {
    const lab = await cli.lab();
    reportApply(cli, await lab.revert(vmByName(options.name), { checkpointFirst: options.checkpointFirst === true }), options);
  });

  addJson(
    addCheckpointSelector(
      program
        .command('remove-vmsnapshot')
        .description('Delete checkpoints (every match of a * or ? pattern), or whole subtrees')
        .requiredOption('--vm-name <name>', 'the VM'),
      'the checkpoint\'s name or a pattern with * and ? (case-insensitive); every match is removed',
    ).option('--include-all-child-snapshots', 'also delete every descendant (Delete Checkpoint Subtree)'),
    'print the removed checkpoints as JSON',
  ).action(async (options: JsonOption & CheckpointSelectorOptions & { vmName: string; includeAllChildSnapshots?: boolean }) => {
    const selector = checkpointSelector(options, 'remove-vmsnapshot');
    const lab = await cli.lab();
    const { removed } = await lab.removeCheckpoint(vmByName(options.vmName), selector, {
      includeChildren: options.includeAllChildSnapshots === true,
    });
    if (options.json) {
      cli.json(removed.map(checkpointJson));
      return;
    }
    const vmName = removed[0]?.VMName ?? options.vmName;
    cli.write(
      removed.length === 0
        ? `No checkpoint of '${vmName}' was removed.\n`
        : `Removed ${removed.length} checkpoint${removed.length === 1 ? '' : 's'} of '${vmName}':\n${removed.map((c) => `  ${c.Name} (${c.Id})\n`).join('')}`,
    );
  });

  addJson(
    addCheckpointSelector(
      program
        .command('rename-vmsnapshot')
        .description('Rename a checkpoint')
        .requiredOption('--vm-name <name>', 'the VM'),
    ).requiredOption('--new-name <name>', 'the new name (1-100 characters)'),
    'print the checkpoint as JSON',
  ).action(async (options: JsonOption & CheckpointSelectorOptions & { vmName: string; newName: string }) => {
    const selector = checkpointSelector(options, 'rename-vmsnapshot');
    const newName = validateName(options.newName);
    const lab = await cli.lab();
    printCheckpoint(cli, await lab.renameCheckpoint(vmByName(options.vmName), selector, newName), options);
  });

  addJson(
    program
      .command('compare-vmsnapshot')
      .description("List guest files added, removed or modified between a checkpoint and Now (or another checkpoint)")
      .requiredOption('--vm-name <name>', 'the VM')
      .requiredOption('--name <checkpoint>', 'the checkpoint to compare from (name or Id)')
      .option('--to <checkpoint>', 'the checkpoint to compare to (name or Id; default: Now)'),
  ).action(async (options: JsonOption & { vmName: string; name: string; to?: string }) => {
    const lab = await cli.lab();
    const changes = await lab.compare(vmByName(options.vmName), options.name, options.to);
    if (options.json) cli.json(changes.map(changeJson));
    else cli.write(changes.length === 0 ? 'No differences.\n' : formatTable(changes, CHANGE_COLUMNS));
  });
}
