/** Export and import (R23): export-vm (Now), export-vmsnapshot (a checkpoint), import-vm. */
import type { Command } from 'commander';
import { DISK_FORMATS, validateName } from '../../engine';
import type { DiskFormat, ExportResult } from '../../engine';
import type { Cli } from '../cli';
import { addCheckpointSelector, addJson, checkpointSelector, vmByName } from '../options';
import type { CheckpointSelectorOptions, JsonOption } from '../options';
import { choiceParser } from '../parse';
import { printVm } from './vm';

function printExport(cli: Cli, result: ExportResult, options: JsonOption): void {
  if (options.json) cli.json({ Folder: result.folder, ConfigFile: result.configFile, DiskFile: result.diskFile });
  else cli.write(`Exported to ${result.folder}\n  ${result.configFile}\n  ${result.diskFile}\n`);
}

const diskFormatHelp = 'vhdx (dynamic VHDX, the default) or raw';

export function registerExportImportCommands(program: Command, cli: Cli): void {
  addJson(
    program
      .command('export-vm')
      .description("Export a VM's Now (config and disk) to <path>/<VM name>/")
      .requiredOption('--name <name>', 'the VM')
      .requiredOption('--path <dir>', 'the folder to export into (created if missing)')
      .option('--disk-format <format>', diskFormatHelp, choiceParser<DiskFormat>(DISK_FORMATS)),
    'print the exported files as JSON',
  ).action(async (options: JsonOption & { name: string; path: string; diskFormat?: DiskFormat }) => {
    const lab = await cli.lab();
    printExport(cli, await lab.exportVm(vmByName(options.name), cli.hostPath(options.path), { diskFormat: options.diskFormat }), options);
  });

  addJson(
    addCheckpointSelector(
      program
        .command('export-vmsnapshot')
        .description("Export a checkpoint's config and disk to <path>/<VM name>/")
        .requiredOption('--vm-name <name>', 'the VM'),
    )
      .requiredOption('--path <dir>', 'the folder to export into (created if missing)')
      .option('--disk-format <format>', diskFormatHelp, choiceParser<DiskFormat>(DISK_FORMATS)),
    'print the exported files as JSON',
  ).action(async (options: JsonOption & CheckpointSelectorOptions & { vmName: string; path: string; diskFormat?: DiskFormat }) => {
    const selector = checkpointSelector(options, 'export-vmsnapshot');
    const lab = await cli.lab();
    printExport(
      cli,
      await lab.exportCheckpoint(vmByName(options.vmName), selector, cli.hostPath(options.path), { diskFormat: options.diskFormat }),
      options,
    );
  });

  addJson(
    program
      .command('import-vm')
      .description('Make a new VM (Off, no checkpoints) from an exported folder, its .vmcx, or a raw/VHDX disk')
      .requiredOption('--path <path>', 'the exported folder, its .vmcx file, or a disk image')
      .option('--name <name>', 'a name for the new VM (required when the exported name is in use)'),
    'print the VM as JSON',
  ).action(async (options: JsonOption & { path: string; name?: string }) => {
    const name = options.name === undefined ? undefined : validateName(options.name);
    const lab = await cli.lab();
    printVm(cli, await lab.importVm(cli.hostPath(options.path), { name }), options);
  });
}
