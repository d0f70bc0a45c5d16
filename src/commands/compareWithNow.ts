import { compareAndShow } from '../fs/compare';
import type { CommandHandler } from './context';
import { okCheckpoint, resolveCheckpoint } from './targets';

/** Compare with Now: what changed from the checkpoint to Now, and the diff of a chosen file. */
export const compareWithNow: CommandHandler = async (context, arg) => {
  const target = await resolveCheckpoint(context, arg, { title: 'Compare with Now', allowed: okCheckpoint, none: 'There is no checkpoint to compare.' });
  if (!target) return undefined;
  const lab = await context.lab();
  const { vm, checkpoint } = target;
  return compareAndShow(lab, context.prompter(), vm, checkpoint, undefined);
};
