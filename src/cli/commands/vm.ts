/** VMs: new-vm, get-vm, set-vm, remove-vm (SPEC sections 1-2). */
import type { Command } from 'commander';
import { CHECKPOINT_TYPES, GUEST_OSES, validateName } from '../../engine';
import type { CheckpointType, Generation, GuestOs, VmChanges, VmInfo } from '../../engine';
import { validateDiskGiB, validateMemory } from '../../engine/rules';
import type { Cli } from '../cli';
import { UsageError } from '../errors';
import { addJson, vmByName } from '../options';
import type { JsonOption } from '../options';
import { VM_COLUMNS, formatTable, vmJson } from '../output';
import { choiceParser, parseBoolean, parseDiskSizeOption, parseMemoryOption } from '../parse';

/** One VM: an object with --json, else a one-row table. */
export function printVm(cli: Cli, vm: VmInfo, options: JsonOption): void {
  if (options.json) cli.json(vmJson(vm));
  else cli.write(formatTable([vm], VM_COLUMNS));
}

export function printVms(cli: Cli, vms: readonly VmInfo[], options: JsonOption): void {
  if (options.json) cli.json(vms.map(vmJson));
  else cli.write(formatTable(vms, VM_COLUMNS));
}

export function registerVmCommands(program: Command, cli: Cli): void {
  addJson(
    program
      .command('new-vm')
      .description('Create a VM, Off, with an ext4 disk (or the given disk image)')
      .requiredOption('--name <name>', 'the new VM\'s name (1-100 characters, unique)')
      .option('--generation <n>', 'virtual machine generation: 1 or 2 (default 2)', choiceParser(['1', '2']))
      .option('--guest-os <os>', 'linux or windows (default linux)', choiceParser<GuestOs>(GUEST_OSES))
      .option('--disk-size <size>', 'virtual disk size, whole GiB 1-64: 4GiB, 4GB or 4 (default 4GiB)', parseDiskSizeOption)
      .option('--memory <size>', 'startup memory, 32MiB-64GiB (default 1GiB)', parseMemoryOption)
      .option('--vhd-path <file>', 'an existing raw or dynamic VHDX image holding ext4 to use as the disk'),
  ).action(async (options: JsonOption & { name: string; generation?: string; guestOs?: GuestOs; diskSize?: number; memory?: number; vhdPath?: string }) => {
    const name = validateName(options.name);
    if (options.diskSize !== undefined) validateDiskGiB(options.diskSize);
    if (options.memory !== undefined) validateMemory(options.memory);
    const lab = await cli.lab();
    const vm = await lab.createVm({
      name,
      generation: options.generation === undefined ? undefined : (Number(options.generation) as Generation),
      guestOs: options.guestOs,
      diskSizeGiB: options.diskSize,
      memoryStartupBytes: options.memory,
      vhdPath: options.vhdPath === undefined ? undefined : cli.hostPath(options.vhdPath),
    });
    printVm(cli, vm, options);
  });

  addJson(
    program
      .command('get-vm')
      .description('List VMs, or the one named')
      .option('--name <name>', 'only this VM'),
  ).action(async (options: JsonOption & { name?: string }) => {
    const lab = await cli.lab();
    const vms = options.name === undefined ? await lab.listVms() : [await lab.getVm(vmByName(options.name))];
    printVms(cli, vms, options);
  });

  addJson(
    program
      .command('set-vm')
      .description("Change a VM's name, checkpoint settings, integration services, memory or notes")
      .requiredOption('--name <name>', 'the VM')
      .option('--new-name <name>', 'rename the VM')
      .option('--checkpoint-type <type>', 'Disabled, Production, ProductionOnly or Standard', choiceParser<CheckpointType>(CHECKPOINT_TYPES))
      .option('--snapshot-file-location <dir>', 'folder for checkpoint files (only while the VM has no checkpoints; "" for the default)')
      .option('--automatic-checkpoints-enabled <bool>', 'true or false', parseBoolean)
      .option('--backup-integration <bool>', 'Backup (volume shadow copy) integration service: true or false', parseBoolean)
      .option('--shutdown-integration <bool>', 'Shutdown integration service: true or false', parseBoolean)
      .option('--guest-services-integration <bool>', 'Guest Service Interface integration service: true or false', parseBoolean)
      .option('--memory <size>', 'startup memory, 32MiB-64GiB (only while Off)', parseMemoryOption)
      .option('--notes <text>', 'free-text notes'),
  ).action(
    async (
      options: JsonOption & {
        name: string;
        newName?: string;
        checkpointType?: CheckpointType;
        snapshotFileLocation?: string;
        automaticCheckpointsEnabled?: boolean;
        backupIntegration?: boolean;
        shutdownIntegration?: boolean;
        guestServicesIntegration?: boolean;
        memory?: number;
        notes?: string;
      },
    ) => {
      const changes: VmChanges = {};
      if (options.newName !== undefined) changes.name = options.newName;
      if (options.checkpointType !== undefined) changes.checkpointType = options.checkpointType;
      if (options.snapshotFileLocation !== undefined) {
        changes.snapshotFileLocation = options.snapshotFileLocation === '' ? null : cli.hostPath(options.snapshotFileLocation);
      }
      if (options.automaticCheckpointsEnabled !== undefined) changes.automaticCheckpointsEnabled = options.automaticCheckpointsEnabled;
      if (options.backupIntegration !== undefined) changes.backupIntegration = options.backupIntegration;
      if (options.shutdownIntegration !== undefined) changes.shutdownIntegration = options.shutdownIntegration;
      if (options.guestServicesIntegration !== undefined) changes.guestServicesIntegration = options.guestServicesIntegration;
      if (options.memory !== undefined) changes.memoryStartupBytes = options.memory;
      if (options.notes !== undefined) changes.notes = options.notes;
      if (Object.keys(changes).length === 0) throw new UsageError('set-vm needs at least one setting to change (see set-vm --help).');
      if (changes.name !== undefined) changes.name = validateName(changes.name);
      if (changes.memoryStartupBytes !== undefined) validateMemory(changes.memoryStartupBytes);
      const lab = await cli.lab();
      printVm(cli, await lab.setVm(vmByName(options.name), changes), options);
    },
  );

  addJson(
    program
      .command('remove-vm')
      .description("Delete a VM (Off or Saved) and all its files, checkpoints included")
      .requiredOption('--name <name>', 'the VM'),
    'print the removed VM as JSON',
  ).action(async (options: JsonOption & { name: string }) => {
    const lab = await cli.lab();
    const vm = await lab.getVm(vmByName(options.name));
    await lab.removeVm({ id: vm.Id });
    if (options.json) cli.json(vmJson(vm));
    else cli.write(`Removed the virtual machine '${vm.Name}' and its files.\n`);
  });
}
