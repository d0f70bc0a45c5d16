import { settingsPanels } from '../webview/settingsPanel';
import type { CommandHandler } from './context';
import { resolveVm } from './targets';

/**
 * Settings...: the VM's settings page (SPEC section 5), one panel per VM; run again, it
 * reveals the open panel. Resolves with the panel (integration tests play the page through it).
 */
export const vmSettings: CommandHandler = async (context, arg) => {
  const vm = await resolveVm(context, arg, { title: 'Settings', none: 'There is no virtual machine whose settings could be shown.' });
  if (!vm) return undefined;
  context.ops.log.info(`Settings of '${vm.Name}': opened`);
  return settingsPanels().show(vm);
};
