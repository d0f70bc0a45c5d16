/**
 * Activation wires the pieces: where the store lives, the lazily opened Lab, the Virtual
 * Machines tree, the commands, the status bar item, and CHECKPOINT_LAB_STORE for terminals.
 * Nothing here touches the disk store until the view or a command needs it.
 */
import * as vscode from 'vscode';
import type { Lab, VmInfo } from './engine';
import type { CommandContext } from './commands/context';
import { COMMANDS, registerCommands } from './commands/registry';
import { LabHost } from './services/labHost';
import { Operations } from './services/operations';
import { WindowPrompter, type Prompter } from './services/prompter';
import { VmStatusBar } from './services/statusBar';
import { StoreRegistry, type StoreLocation } from './services/storeLocation';
import { reportUnavailableStore, storeLocationForWindow } from './services/windowStore';
import type { LabNode } from './tree/nodes';
import { VmTreeProvider } from './tree/provider';
import { registerSettingsPanel } from './webview/settingsPanel';
import { registerLabFileSystem } from './fs';
import { registerLoop } from './loop';

export const VIEW_ID = 'checkpointLab.virtualMachines';
export const STORE_ENV = 'CHECKPOINT_LAB_STORE';
/** Set to 1 (npm start's demo) to create the sample lab in an empty store at activation. */
export const SAMPLE_ENV = 'CHECKPOINT_LAB_SAMPLE_LAB';
const GLOBAL_NOTICE_KEY = 'checkpointLab.globalStoreNoticeShown';

/** What activate() returns: lets integration tests (and other extensions) see the extension's wiring. */
export interface CheckpointLabApi {
  readonly storageUri: vscode.Uri | undefined;
  readonly globalStorageUri: vscode.Uri;
  /** Where the store is now (setting, workspace storage or global storage). */
  readonly storeLocation: StoreLocation;
  readonly registry: StoreRegistry;
  readonly host: LabHost;
  /** The Lab, opened on first use. */
  lab(): Promise<Lab>;
  readonly tree: VmTreeProvider;
  readonly view: vscode.TreeView<LabNode>;
  readonly statusBar: VmStatusBar;
  readonly output: vscode.LogOutputChannel;
  /** The operations runner (its history holds the lines logged with durations). */
  readonly operations: Operations;
  /** What integrated terminals get (CHECKPOINT_LAB_STORE). */
  readonly environment: vscode.EnvironmentVariableCollection;
  /** Every command id this extension registers. */
  readonly commands: readonly string[];
  /** Replaces the prompter (tests answer quick picks and modals); undefined restores vscode.window. */
  setPrompter(prompter: Prompter | undefined): void;
  /** The module's deactivate(), for tests. */
  deactivate(): Promise<VmInfo[]>;
  /** How long activate() took, in ms. */
  readonly activationMs: number;
}

let activeHost: LabHost | undefined;

function exportStoreToTerminals(context: vscode.ExtensionContext, location: StoreLocation): void {
  const collection = context.environmentVariableCollection;
  if (location.unavailable !== undefined) {
    // No lab in this window: the CLI must not silently work on another (empty) store.
    collection.delete(STORE_ENV);
    return;
  }
  collection.description = `CHECKPOINT_LAB_STORE: the Checkpoint Lab store of this workspace (${location.path}), so the checkpoint-lab CLI works on the same lab.`;
  collection.replace(STORE_ENV, location.path);
}

export function activate(context: vscode.ExtensionContext): CheckpointLabApi {
  const started = performance.now();
  const output = vscode.window.createOutputChannel('Checkpoint Lab', { log: true });
  context.subscriptions.push(output);

  const registry = new StoreRegistry(context.globalStorageUri.fsPath);
  const location = storeLocationForWindow(context, registry);
  const host = new LabHost(location, registry, output);
  activeHost = host;
  context.subscriptions.push(host);
  exportStoreToTerminals(context, location);

  let prompter: Prompter = new WindowPrompter();
  const ops = new Operations(output, () => prompter);
  const tree = new VmTreeProvider(host);
  context.subscriptions.push(tree);
  const view = vscode.window.createTreeView<LabNode>(VIEW_ID, { treeDataProvider: tree, showCollapseAll: false, canSelectMany: false });
  context.subscriptions.push(view);
  const statusBar = new VmStatusBar();
  context.subscriptions.push(statusBar);
  context.subscriptions.push(
    view.onDidChangeSelection((event) => statusBar.select(event.selection[0], tree.current)),
    tree.onDidLoad((snapshot) => statusBar.update(snapshot)),
    tree.onDidChangeError((message) => {
      view.message = message === undefined ? undefined : `The lab store could not be read: ${message}`;
    }),
  );

  const commandContext: CommandContext = {
    host,
    tree,
    ops,
    view,
    prompter: () => prompter,
    lab: () => host.lab(),
    async reveal(vmId, checkpointId) {
      try {
        const snapshot = await tree.refresh();
        const node = (checkpointId ? snapshot.checkpointNode(vmId, checkpointId) : undefined) ?? snapshot.vmNode(vmId);
        if (!node) return;
        statusBar.select(node, snapshot);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          view.reveal(node, { select: true, focus: false, expand: true }),
          new Promise((resolve) => (timer = setTimeout(resolve, 2_000))),
        ]);
        clearTimeout(timer);
      } catch (error) {
        output.debug(`reveal: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
  context.subscriptions.push(...registerCommands(commandContext));
  registerSettingsPanel(context, { host, ops, prompter: () => prompter });
  context.subscriptions.push(...registerLabFileSystem(context, commandContext));
  registerLoop(context, commandContext);

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration('checkpointLab.storeLocation')) return;
      try {
        const next = storeLocationForWindow(context, registry);
        exportStoreToTerminals(context, next);
        await host.setLocation(next);
        reportUnavailableStore(next, output, (message) => prompter.warn(message));
      } catch (error) {
        ops.report(error);
      }
    }),
  );

  reportUnavailableStore(location, output, (message) => prompter.warn(message));
  if (location.source === 'global' && !context.globalState.get<boolean>(GLOBAL_NOTICE_KEY)) {
    void context.globalState.update(GLOBAL_NOTICE_KEY, true);
    prompter.info(
      `No folder is open, so Checkpoint Lab keeps its lab in global storage (${location.path}). Open a folder for a lab of its own, or set "checkpointLab.storeLocation".`,
    );
  }

  // `npm start`'s demo workspace opens with the sample lab: the script sets this variable.
  if (process.env[SAMPLE_ENV] === '1') {
    setTimeout(() => void createSampleWhenEmpty(host, output), 0);
  }

  const activationMs = performance.now() - started;
  output.info(`Activated in ${activationMs.toFixed(1)} ms; lab store: ${location.path} (${location.source}; opened on first use)`);
  return {
    storageUri: context.storageUri,
    globalStorageUri: context.globalStorageUri,
    get storeLocation() {
      return host.storeLocation;
    },
    registry,
    host,
    lab: () => host.lab(),
    tree,
    view,
    statusBar,
    output,
    operations: ops,
    environment: context.environmentVariableCollection,
    commands: Object.keys(COMMANDS),
    setPrompter(next) {
      prompter = next ?? new WindowPrompter();
    },
    deactivate,
    activationMs,
  };
}

/** Builds the sample lab when the store has no VM yet (demo workspaces). */
async function createSampleWhenEmpty(host: LabHost, output: vscode.LogOutputChannel): Promise<void> {
  try {
    const lab = await host.lab();
    if ((await lab.listVms()).length > 0) return;
    const { buildSampleLab } = await import('./commands/createSampleLab');
    await buildSampleLab(lab);
    output.info(`${SAMPLE_ENV}=1: created the sample lab`);
  } catch (error) {
    output.error(`${SAMPLE_ENV}=1: could not create the sample lab: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Lab rule (SPEC section 2): Running and Paused VMs are Saved when the window closes. */
export async function deactivate(): Promise<VmInfo[]> {
  const host = activeHost;
  if (!host) return [];
  try {
    return await host.saveAllRunning();
  } catch (error) {
    console.error(`Checkpoint Lab could not save the running VMs: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  } finally {
    await host.close().catch(() => undefined);
  }
}
