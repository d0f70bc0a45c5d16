/**
 * The per-VM Settings page (SPEC section 5), host side: one webview panel per VM (opening
 * it again reveals it), restored after a window reload by a WebviewPanelSerializer, kept
 * up to date from the engine's change events (this window's commands and, through the
 * store watch, the CLI). Every message from the page is validated (validation.ts) before
 * anything reaches the engine; refusals are logged and answered, never silently dropped.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Lab, VmDetails } from '../engine';
import type { HostChange } from '../services/labHost';
import type { Operations } from '../services/operations';
import type { Prompter } from '../services/prompter';
import { DEFAULT_RADIOS, radiosOf, rememberRadios } from './checkpointControls';
import { newNonce, renderSettingsHtml } from './html';
import { SETTINGS_VIEW_TYPE, type CheckpointControls, type HostMessage, type PageMessage, type SettingsChanges } from './protocol';
import { fieldOfEngineError, parsePageMessage, toVmChanges } from './validation';
import { formOf, vmViewOf } from './viewModel';

export interface SettingsPanelDeps {
  /** The extension's lab host: the Lab (opened on first use) and its change events. */
  host: { lab(): Promise<Lab>; readonly onDidChange: vscode.Event<HostChange> };
  /** Runs and logs operations (output channel "Checkpoint Lab", with durations). */
  ops: Pick<Operations, 'run' | 'log'>;
  /** The folder picker goes through the prompter, so tests can answer it. */
  prompter(): Pick<Prompter, 'openDialog'>;
}

/** What handleMessage() did with a message (the test hook's answer). */
export type HandleOutcome = { accepted: true } | { accepted: false; reason: string };

type Radios = Pick<CheckpointControls, 'kind' | 'fallbackToStandard'>;

const RADIOS_KEY = 'checkpointLab.settings.radios';
/** How many posted messages a panel keeps for tests. */
const POSTED_KEPT = 100;

const errorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const settingsTitle = (vmName: string): string => `Settings: ${vmName}`;

/** One VM's Settings panel. */
export class SettingsPanel implements vscode.Disposable {
  /** Messages posted to the page, newest last (test hook). */
  readonly posted: HostMessage[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposedEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposedEmitter.event;
  private ready = false;
  private disposed = false;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private vmName: string;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly vmId: string,
    vmName: string,
    private readonly deps: SettingsPanelDeps,
    private readonly extensionUri: vscode.Uri,
    private readonly memento: vscode.Memento,
  ) {
    this.vmName = vmName;
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [media] };
    panel.iconPath = vscode.Uri.joinPath(media, 'icons', 'checkpoint-lab.svg');
    panel.title = settingsTitle(vmName);
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.handleMessage(raw)),
      deps.host.onDidChange((change) => this.onHostChange(change)),
      this.disposedEmitter,
    );
  }

  private html(): string {
    const settings = vscode.Uri.joinPath(this.extensionUri, 'media', 'settings');
    const webview = this.panel.webview;
    return renderSettingsHtml({
      cspSource: webview.cspSource,
      nonce: newNonce(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(settings, 'settings.css')).toString(),
      rulesScriptUri: webview.asWebviewUri(vscode.Uri.joinPath(settings, 'rules.js')).toString(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(settings, 'settings.js')).toString(),
      vmId: this.vmId,
      title: settingsTitle(this.vmName),
    });
  }

  reveal(column?: vscode.ViewColumn): void {
    this.panel.reveal(column);
  }

  /**
   * Everything the page sends arrives here (and tests call it directly to play the page).
   * Resolves when the message was handled: the engine called, the answer posted.
   */
  async handleMessage(raw: unknown): Promise<HandleOutcome> {
    const parsed = parsePageMessage(raw);
    if (!parsed.ok) {
      this.deps.ops.log.warn(`Settings of '${this.vmName}': refused a message from the page: ${parsed.reason}`);
      if (parsed.requestId !== undefined && parsed.fieldErrors) {
        await this.post({ type: 'applyFailed', requestId: parsed.requestId, message: 'Some values are not valid; nothing was changed.', fieldErrors: parsed.fieldErrors });
      } else {
        await this.post({ type: 'rejected', message: `The settings page sent a message that was refused: ${parsed.reason}` });
      }
      return { accepted: false, reason: parsed.reason };
    }
    try {
      return await this.dispatch(parsed.message);
    } catch (error) {
      // nothing is swallowed: unexpected failures are logged and shown on the page
      this.deps.ops.log.error(`Settings of '${this.vmName}': ${errorText(error)}`);
      await this.post({ type: 'rejected', message: errorText(error) });
      return { accepted: false, reason: errorText(error) };
    }
  }

  private async dispatch(message: PageMessage): Promise<HandleOutcome> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        await this.pushVm('open');
        return { accepted: true };
      case 'cancel':
        this.panel.dispose();
        return { accepted: true };
      case 'browse':
        return this.browse(message.requestId, message.current);
      case 'apply':
        return this.apply(message.requestId, message.changes, message.close);
    }
  }

  private async apply(requestId: number, changes: SettingsChanges, close: boolean): Promise<HandleOutcome> {
    const lab = await this.deps.host.lab();
    const vmChanges = toVmChanges(changes);
    if (Object.keys(vmChanges).length > 0) {
      try {
        const vm = await this.deps.ops.run(`Settings of '${this.vmName}': ${Object.keys(vmChanges).join(', ')}`, () => lab.setVm({ id: this.vmId }, vmChanges));
        // Disabled does not say what the radios were: remember them for next time
        await this.remember(changes.checkpoints && !changes.checkpoints.enabled ? radiosOf(changes.checkpoints) : rememberRadios(vm.CheckpointType, this.radios()));
      } catch (error) {
        const field = fieldOfEngineError(errorCode(error), errorText(error), changes);
        await this.post({ type: 'applyFailed', requestId, message: errorText(error), fieldErrors: field ? { [field]: errorText(error) } : {} });
        return { accepted: true };
      }
    }
    const details = await this.details(lab);
    if (details) await this.post({ type: 'applied', requestId, close, vm: vmViewOf(details, this.defaultLocation(lab)), form: formOf(details.vm, this.radios()) });
    if (close) this.panel.dispose();
    return { accepted: true };
  }

  private async browse(requestId: number, current: string): Promise<HandleOutcome> {
    const lab = await this.deps.host.lab();
    const details = await this.details(lab);
    if (!details) return { accepted: true };
    if (details.CheckpointCount > 0) {
      // the page greys Browse out; a page that asks anyway is refused here (R22)
      const reason = `browse refused: '${details.vm.Name}' has checkpoints (R22)`;
      this.deps.ops.log.warn(`Settings of '${details.vm.Name}': ${reason}`);
      await this.post({ type: 'folderPicked', requestId });
      return { accepted: false, reason };
    }
    const start = path.isAbsolute(current) ? current : details.vm.SnapshotFileLocation;
    const picked = await this.deps.prompter().openDialog({
      title: `Checkpoint File Location for '${details.vm.Name}'`,
      openLabel: 'Select Folder',
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      defaultUri: vscode.Uri.file(start),
    });
    const uri = picked?.[0];
    if (uri && uri.scheme !== 'file') {
      await this.post({ type: 'folderPicked', requestId });
      return { accepted: false, reason: `the folder picker returned ${uri.toString()}, not a folder of the machine the lab runs on` };
    }
    await this.post({ type: 'folderPicked', requestId, path: uri?.fsPath });
    return { accepted: true };
  }

  private onHostChange(change: HostChange): void {
    switch (change.kind) {
      case 'vmChanged':
      case 'checkpointsChanged':
      case 'vmRemoved':
        if (change.vmId === this.vmId) this.scheduleRefresh();
        return;
      case 'storeChanged':
      case 'reset':
        this.scheduleRefresh();
        return;
      default:
        return;
    }
  }

  /** Coalesces bursts of events into one read (and one message) at a time. */
  private scheduleRefresh(): void {
    if (!this.ready || this.disposed) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.pushVm('changed');
      } while (this.refreshAgain && !this.disposed);
    })().finally(() => {
      this.refreshing = undefined;
    });
  }

  /** Resolves when no refresh is pending (tests). */
  async settled(): Promise<void> {
    while (this.refreshing) await this.refreshing;
  }

  private async pushVm(cause: 'open' | 'changed'): Promise<void> {
    try {
      const lab = await this.deps.host.lab();
      const details = await this.details(lab);
      if (!details) return;
      await this.post({ type: 'vm', cause, vm: vmViewOf(details, this.defaultLocation(lab)), form: formOf(details.vm, this.radios()) });
    } catch (error) {
      this.deps.ops.log.warn(`Settings of '${this.vmName}': could not read the VM: ${errorText(error)}`);
      await this.post({ type: 'rejected', message: `The virtual machine could not be read: ${errorText(error)}` });
    }
  }

  /** The VM's details, or undefined after telling the page that the VM is gone. */
  private async details(lab: Lab): Promise<VmDetails | undefined> {
    try {
      const details = await lab.getVmDetails({ id: this.vmId });
      await this.remember(rememberRadios(details.vm.CheckpointType, this.radios()));
      if (details.vm.Name !== this.vmName) {
        this.vmName = details.vm.Name;
        this.panel.title = settingsTitle(this.vmName);
      }
      return details;
    } catch (error) {
      if (errorCode(error) !== 'VmNotFound') throw error;
      await this.post({ type: 'vmGone', message: `The virtual machine '${this.vmName}' no longer exists in this lab; its settings cannot be changed.` });
      return undefined;
    }
  }

  private defaultLocation(lab: Lab): string {
    return path.join(lab.root, 'Snapshots');
  }

  private radios(): Radios {
    return this.memento.get<Record<string, Radios>>(RADIOS_KEY, {})[this.vmId] ?? DEFAULT_RADIOS;
  }

  private async remember(radios: Radios): Promise<void> {
    const all = this.memento.get<Record<string, Radios>>(RADIOS_KEY, {});
    const known = all[this.vmId];
    if (known && known.kind === radios.kind && known.fallbackToStandard === radios.fallbackToStandard) return;
    await this.memento.update(RADIOS_KEY, { ...all, [this.vmId]: radios });
  }

  private async post(message: HostMessage): Promise<void> {
    if (this.disposed) return;
    this.posted.push(message);
    if (this.posted.length > POSTED_KEPT) this.posted.splice(0, this.posted.length - POSTED_KEPT);
    try {
      await this.panel.webview.postMessage(message);
    } catch (error) {
      this.deps.ops.log.debug(`Settings of '${this.vmName}': could not post ${message.type}: ${errorText(error)}`);
    }
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposedEmitter.fire();
    this.panel.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}

/** Every open Settings panel, one per VM. */
export class SettingsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, SettingsPanel>();
  private readonly serializer: vscode.Disposable;

  constructor(
    private readonly context: Pick<vscode.ExtensionContext, 'extensionUri' | 'workspaceState'>,
    private readonly deps: SettingsPanelDeps,
  ) {
    this.serializer = vscode.window.registerWebviewPanelSerializer(SETTINGS_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => this.revive(panel, state),
    });
  }

  /** The open panel of a VM. */
  get(vmId: string): SettingsPanel | undefined {
    return this.panels.get(vmId);
  }

  get open(): readonly SettingsPanel[] {
    return [...this.panels.values()];
  }

  /** Opens the VM's Settings, or reveals the panel already open for it. */
  show(vm: { Id: string; Name: string }): SettingsPanel {
    const existing = this.panels.get(vm.Id);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(SETTINGS_VIEW_TYPE, settingsTitle(vm.Name), vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'media')],
    });
    return this.adopt(panel, vm.Id, vm.Name);
  }

  /** A panel VS Code restored after a reload; its state comes from the page, so it is checked too. */
  private async revive(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const vmId = typeof state === 'object' && state !== null ? (state as { vmId?: unknown }).vmId : undefined;
    if (typeof vmId !== 'string' || vmId.length === 0 || vmId.length > 100 || this.panels.has(vmId)) {
      this.deps.ops.log.warn(`Settings: a restored panel had no usable state (${JSON.stringify(state)?.slice(0, 200)}); closed it`);
      panel.dispose();
      return;
    }
    this.adopt(panel, vmId, panel.title.replace(/^Settings: /, ''));
  }

  private adopt(panel: vscode.WebviewPanel, vmId: string, vmName: string): SettingsPanel {
    const settings = new SettingsPanel(panel, vmId, vmName, this.deps, this.context.extensionUri, this.context.workspaceState);
    this.panels.set(vmId, settings);
    settings.onDidDispose(() => {
      if (this.panels.get(vmId) === settings) this.panels.delete(vmId);
    });
    return settings;
  }

  dispose(): void {
    this.serializer.dispose();
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.panels.clear();
  }
}

let current: SettingsPanels | undefined;

/**
 * Registers the Settings panels (and their serializer) for activate(); the Settings...
 * command (commands/vmSettings.ts) opens them through settingsPanels().
 */
export function registerSettingsPanel(
  context: Pick<vscode.ExtensionContext, 'extensionUri' | 'workspaceState' | 'subscriptions'>,
  deps: SettingsPanelDeps,
): SettingsPanels {
  current?.dispose();
  const panels = new SettingsPanels(context, deps);
  current = panels;
  context.subscriptions.push(panels, { dispose: () => (current === panels ? (current = undefined) : undefined) });
  return panels;
}

/** The registered Settings panels; throws before activate() registered them. */
export function settingsPanels(): SettingsPanels {
  if (!current) throw new Error('The Settings page is not available: the extension has not finished activating.');
  return current;
}
