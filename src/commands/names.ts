/** Input-box validation with the engine's own rules and messages (R4, R21, unique VM names). */
import type { VmInfo } from '../engine';
import { messages, validateName } from '../engine/rules';

export function nameProblem(value: string): string | undefined {
  try {
    validateName(value);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** R4 plus uniqueness among VMs (case-insensitive), ignoring the VM being renamed. */
export function vmNameProblem(value: string, vms: readonly VmInfo[], exceptId?: string): string | undefined {
  const problem = nameProblem(value);
  if (problem) return problem;
  const trimmed = value.trim().toLowerCase();
  const clash = vms.find((vm) => vm.Id !== exceptId && vm.Name.toLowerCase() === trimmed);
  return clash ? messages.vmNameInUse(clash.Name) : undefined;
}
