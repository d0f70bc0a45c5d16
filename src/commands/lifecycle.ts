/** The VM lifecycle commands of SPEC section 2, one factory so they all behave alike. */
import type { Lab, VmInfo } from '../engine';
import { nextState, type LifecycleAction } from '../engine/rules';
import type { CommandHandler } from './context';
import { resolveVm } from './targets';

export interface LifecycleCommand {
  action: LifecycleAction;
  /** `Start`, `Shut Down`... (log lines, pick titles). */
  verb: string;
  run: (lab: Lab, vm: VmInfo) => Promise<VmInfo>;
  /** A modal for actions that lose memory (Turn Off, Delete Saved State). */
  confirm?: (vm: VmInfo) => { message: string; detail: string; button: string };
}

/** True when the lifecycle table allows action in the VM's state (and its files are there). */
export function allows(action: LifecycleAction, vm: VmInfo): boolean {
  if (vm.Status !== 'Ok') return false;
  try {
    nextState(vm.Name, vm.State, action);
    return true;
  } catch {
    return false;
  }
}

export function lifecycleCommand(command: LifecycleCommand): CommandHandler {
  return async (context, arg) => {
    const vm = await resolveVm(context, arg, {
      title: `${command.verb} Virtual Machine`,
      allowed: (candidate) => allows(command.action, candidate),
      none: `No virtual machine is in a state that allows ${command.verb}.`,
    });
    if (!vm) return undefined;
    if (command.confirm) {
      const question = command.confirm(vm);
      const answer = await context.prompter().confirm(question.message, { detail: question.detail }, question.button);
      if (answer !== question.button) return undefined;
    }
    const lab = await context.lab();
    const result = await context.ops.run(`${command.verb} '${vm.Name}'`, () => command.run(lab, vm));
    void context.reveal(result.Id);
    return result;
  };
}
