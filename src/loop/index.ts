/**
 * The Dev/UAT loop in the extension: links kept in workspace state and shown under each
 * VM in the tree, the loop commands (bound in the commands registry), and the
 * `checkpoint-lab` task type. Called once from activate().
 */
import * as vscode from 'vscode';
import type { CommandContext } from '../commands/context';
import { linkNodeId, type LinkNode } from '../tree/nodes';
import { loopState } from './commands';
import { ManifestStore } from './core';
import { linkLabel, LinkStore } from './links';
import { registerLabTasks } from './tasks';

export function registerLoop(context: vscode.ExtensionContext, commands: CommandContext): void {
  const links = new LinkStore(context.workspaceState);
  loopState.links = links;
  commands.tree.setLinkSource((vmNode) =>
    links.forVm(vmNode.vm.Id).map(
      (link): LinkNode => ({
        kind: 'link',
        id: linkNodeId(vmNode.vm.Id, link.id),
        vm: vmNode.vm,
        link: {
          id: link.id,
          label: linkLabel(link),
          description: `⇄ ${link.guestPath}`,
          tooltip: `'${link.hostPath}' is linked to ${link.guestPath} in '${vmNode.vm.Name}'.\nExcluded: ${link.excludes.join(', ') || 'nothing'}${link.useGitignore ? ', and what .gitignore ignores' : ''}.\nRoll In copies the folder into the VM; Roll Out copies the VM's folder back.`,
        },
      }),
    ),
  );
  context.subscriptions.push(
    links,
    links.onDidChange(() => commands.tree.scheduleRefresh()),
    registerLabTasks(commands.host, links),
    commands.host.onDidChange((change) => {
      // a removed VM takes its links with it
      if (change.kind !== 'vmRemoved') return;
      void links.prune(new Set(links.all().map((l) => l.vmId).filter((id) => id.toLowerCase() !== change.vmId.toLowerCase())));
    }),
    { dispose: () => void ManifestStore.flush() },
    { dispose: () => (loopState.links = undefined) },
  );
}
