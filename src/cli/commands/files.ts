/**
 * Guest files: copy-vmfile, write-vmfile (stdin's bytes unchanged), remove-vmfile,
 * get-vmfile (the bytes to stdout unchanged), list-vmfiles.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import type { Cli } from '../cli';
import { CliFailure } from '../errors';
import { addJson, addSnapshotTarget, snapshotTarget, vmByName } from '../options';
import type { JsonOption, SnapshotTargetOptions } from '../options';
import { FILE_COLUMNS, fileJson, formatTable } from '../output';

export function registerFileCommands(program: Command, cli: Cli): void {
  program
    .command('copy-vmfile')
    .description("Copy a host file into a VM's disk (Running: needs Guest Services; Off: offline copy)")
    .requiredOption('--name <name>', 'the VM')
    .requiredOption('--source-path <hostfile>', 'the host file')
    .requiredOption('--destination-path <guestpath>', 'absolute path in the guest')
    .option('--create-full-path', 'create missing parent folders')
    .action(async (options: { name: string; sourcePath: string; destinationPath: string; createFullPath?: boolean }) => {
      const source = cli.hostPath(options.sourcePath);
      let isFile = false;
      try {
        isFile = fs.statSync(source).isFile();
      } catch {
        throw new CliFailure(`The host file '${options.sourcePath}' was not found.`);
      }
      if (!isFile) throw new CliFailure(`The host path '${options.sourcePath}' is not a file.`);
      const lab = await cli.lab();
      await lab.copyFileIn(vmByName(options.name), source, options.destinationPath, { createParents: options.createFullPath === true });
    });

  program
    .command('write-vmfile')
    .description("Write standard input's bytes to a file in a VM's disk (overwrites)")
    .requiredOption('--name <name>', 'the VM')
    .requiredOption('--path <guestpath>', 'absolute path in the guest')
    .option('--create-full-path', 'create missing parent folders')
    .action(async (options: { name: string; path: string; createFullPath?: boolean }) => {
      const data = await cli.readStdin('write-vmfile');
      const lab = await cli.lab();
      await lab.writeFile(vmByName(options.name), options.path, data, { createParents: options.createFullPath === true });
    });

  program
    .command('remove-vmfile')
    .description("Delete a file or folder in a VM's disk")
    .requiredOption('--name <name>', 'the VM')
    .requiredOption('--path <guestpath>', 'absolute path in the guest')
    .option('--recurse', 'delete a folder with its contents')
    .action(async (options: { name: string; path: string; recurse?: boolean }) => {
      const lab = await cli.lab();
      await lab.removeFile(vmByName(options.name), options.path, { recursive: options.recurse === true });
    });

  addSnapshotTarget(
    program
      .command('get-vmfile')
      .description("Write a guest file's bytes to standard output (from Now or a checkpoint)")
      .requiredOption('--name <name>', 'the VM')
      .requiredOption('--path <guestpath>', 'absolute path in the guest'),
  ).action(async (options: SnapshotTargetOptions & { name: string; path: string }) => {
    const lab = await cli.lab();
    const data = await lab.readFile(vmByName(options.name), options.path, snapshotTarget(options));
    cli.write(data);
  });

  addJson(
    addSnapshotTarget(
      program
        .command('list-vmfiles')
        .description('List the files of a guest folder (from Now or a checkpoint)')
        .requiredOption('--name <name>', 'the VM')
        .option('--path <dir>', 'absolute folder (or file) path in the guest (default /)'),
    ),
  ).action(async (options: JsonOption & SnapshotTargetOptions & { name: string; path?: string }) => {
    const lab = await cli.lab();
    const rows = await lab.listFiles(vmByName(options.name), options.path ?? '/', snapshotTarget(options));
    if (options.json) cli.json(rows.map(fileJson));
    else cli.write(formatTable(rows, FILE_COLUMNS));
  });
}
