/** The VM lifecycle of SPEC section 2: start, suspend, resume, save, stop, remove saved state. */
import type { Command } from 'commander';
import type { Lab, VmInfo, VmRef } from '../../engine';
import type { Cli } from '../cli';
import { addJson, vmByName } from '../options';
import type { JsonOption } from '../options';
import { printVm } from './vm';

interface LifecycleCommand {
  name: string;
  description: string;
  run: (lab: Lab, vm: VmRef, options: { turnOff?: boolean }) => Promise<VmInfo>;
  configure?: (command: Command) => Command;
}

const COMMANDS: readonly LifecycleCommand[] = [
  {
    name: 'start-vm',
    description: 'Start a VM that is Off (automatic checkpoint first, R14) or resume a Saved one',
    run: (lab, vm) => lab.start(vm),
  },
  { name: 'suspend-vm', description: 'Pause a Running VM', run: (lab, vm) => lab.pause(vm) },
  { name: 'resume-vm', description: 'Resume a Paused VM', run: (lab, vm) => lab.resume(vm) },
  { name: 'save-vm', description: "Save a Running or Paused VM's memory and stop it (Saved)", run: (lab, vm) => lab.save(vm) },
  {
    name: 'stop-vm',
    description: 'Shut a Running VM down cleanly, or turn it off with --turn-off',
    configure: (command) => command.option('--turn-off', 'turn the VM off (Running or Paused; memory is lost) instead of a clean shut down'),
    run: (lab, vm, options) => (options.turnOff ? lab.turnOff(vm) : lab.shutDown(vm)),
  },
  {
    name: 'remove-saved-state',
    description: 'Discard the memory of a Saved VM (it becomes Off)',
    run: (lab, vm) => lab.removeSavedState(vm),
  },
];

export function registerLifecycleCommands(program: Command, cli: Cli): void {
  for (const spec of COMMANDS) {
    let command = program.command(spec.name).description(spec.description).requiredOption('--name <name>', 'the VM');
    command = spec.configure ? spec.configure(command) : command;
    addJson(command, 'print the VM as JSON').action(async (options: JsonOption & { name: string; turnOff?: boolean }) => {
      const lab = await cli.lab();
      printVm(cli, await spec.run(lab, vmByName(options.name), options), options);
    });
  }
}
