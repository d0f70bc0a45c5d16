import type { CommandHandler } from './context';

/** Refresh: looks for other processes' changes, then reloads the tree. */
export const refreshView: CommandHandler = async (context) => {
  const lab = await context.lab();
  await lab.refresh();
  await context.tree.refresh();
  return context.tree.current?.roots.length;
};
