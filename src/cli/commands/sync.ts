/**
 * sync-vmfolder (the Dev/UAT loop): `--direction in` makes the guest folder what the host
 * folder holds (Roll In, one commit), `--direction out` the other way round (Roll Out).
 * Only what differs moves, found through the manifest the extension shares (<store>/Loop).
 * Excluded paths (--exclude, .gitignore semantics; --use-gitignore) are never touched.
 */
import type { Command } from 'commander';
import type { Cli } from '../cli';
import { UsageError } from '../errors';
import { ManifestStore, rollIn, rollOut, type SyncResult } from '../../loop/core';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function syncSummary(result: SyncResult): string {
  const where = `'${result.vm.Name}' ${result.guestPath}`;
  const verb = result.direction === 'in' ? `Rolled ${result.hostPath} into ${where}` : `Rolled ${where} out to ${result.hostPath}`;
  return `${verb}: ${result.written.length} copied, ${result.removed.length} removed, ${result.createdFolders.length} folders created, ${result.unchanged} unchanged.\n`;
}

export function registerSyncCommands(program: Command, cli: Cli): void {
  program
    .command('sync-vmfolder')
    .description('Sync a host folder with a folder in a VM (the Dev/UAT loop): in = host to VM, out = VM to host; only what differs')
    .requiredOption('--name <name>', 'the VM')
    .requiredOption('--host-path <dir>', 'the host folder')
    .requiredOption('--guest-path <path>', 'absolute folder path in the guest')
    .requiredOption('--direction <in|out>', 'in: host to VM (Roll In); out: VM to host (Roll Out)')
    .option('--exclude <glob>', 'leave matching paths alone on both sides (.gitignore syntax; repeatable)', collect, [])
    .option('--use-gitignore', "also honour the host folder's .gitignore files")
    .option('--json', 'print the result as JSON')
    .action(async (options: { name: string; hostPath: string; guestPath: string; direction: string; exclude: string[]; useGitignore?: boolean; json?: boolean }) => {
      const direction = options.direction.toLowerCase();
      if (direction !== 'in' && direction !== 'out') throw new UsageError(`--direction must be in or out (got '${options.direction}').`);
      const lab = await cli.lab();
      const vm = await lab.getVm({ name: options.name });
      const link = { vm: vm.Id, hostPath: cli.hostPath(options.hostPath), guestPath: options.guestPath, excludes: options.exclude, useGitignore: options.useGitignore === true };
      const result = direction === 'in' ? await rollIn(lab, link) : await rollOut(lab, link);
      await ManifestStore.flush();
      if (options.json) {
        cli.json({
          VMName: result.vm.Name,
          Direction: direction === 'in' ? 'In' : 'Out',
          HostPath: result.hostPath,
          GuestPath: result.guestPath,
          Copied: result.written,
          Removed: result.removed,
          CreatedFolders: result.createdFolders,
          Unchanged: result.unchanged,
          Bytes: result.bytes,
        });
      } else {
        cli.write(syncSummary(result));
      }
    });
}
