/** The modal of Apply and Revert (R13): "Create Checkpoint and Apply", "Apply", Cancel. */
import type { ApplyOptions } from '../engine';
import type { Prompter } from '../services/prompter';

export const CREATE_CHECKPOINT_AND_APPLY = 'Create Checkpoint and Apply';
export const APPLY = 'Apply';

/** The options the user chose, or undefined for Cancel. */
export async function askApply(prompter: Prompter, message: string, vmName: string): Promise<ApplyOptions | undefined> {
  const answer = await prompter.confirm(
    message,
    {
      detail:
        `The current state of '${vmName}' (Now) will be lost. "${CREATE_CHECKPOINT_AND_APPLY}" keeps it as a new checkpoint first; ` +
        `plain "${APPLY}" cannot be undone.`,
    },
    CREATE_CHECKPOINT_AND_APPLY,
    APPLY,
  );
  if (answer === CREATE_CHECKPOINT_AND_APPLY) return { checkpointFirst: true };
  if (answer === APPLY) return { checkpointFirst: false };
  return undefined;
}
