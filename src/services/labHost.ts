/**
 * Owns the extension's Lab: opened lazily on first use (activation stays cheap), each
 * operation taking the store's lock only while it runs (the engine's R31 behaviour, so the
 * CLI in a terminal keeps working), watched for other processes' commits, and re-opened
 * when the store location changes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { Lab } from '../engine';
import type { Disposable, LabChange, VmInfo } from '../engine';
import type { StoreLocation, StoreRegistry } from './storeLocation';

/** An engine change, or 'reset' when the host switched to another store (or closed). */
export type HostChange = LabChange | { kind: 'reset' };

export type LabOpener = (root: string) => Promise<Lab>;

/** How often the host looks for another process's commit (R31: the tree within a second). */
export const WATCH_INTERVAL_MS = 400;

/** This window's store cannot be used (see StoreLocation.unavailable). */
export class StoreUnavailableError extends Error {
  readonly code = 'StoreNotKnown';
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

export class LabHost implements vscode.Disposable {
  private opening: Promise<Lab> | undefined;
  private current: Lab | undefined;
  private engineSubscriptions: Disposable[] = [];
  private readonly emitter = new vscode.EventEmitter<HostChange>();
  readonly onDidChange = this.emitter.event;

  constructor(
    private location: StoreLocation,
    private readonly registry: StoreRegistry,
    private readonly log: vscode.LogOutputChannel,
    private readonly openLab: LabOpener = (root) => Lab.open(root),
  ) {}

  get storeLocation(): StoreLocation {
    return this.location;
  }

  /** The open Lab, if it has been opened. */
  get openedLab(): Lab | undefined {
    return this.current;
  }

  /** The Lab, opening it on first use. A failed open is retried on the next call. */
  lab(): Promise<Lab> {
    if (!this.opening) {
      const opening = this.open(this.location);
      this.opening = opening;
      opening.catch(() => {
        if (this.opening === opening) this.opening = undefined;
      });
    }
    return this.opening;
  }

  private async open(location: StoreLocation): Promise<Lab> {
    const started = Date.now();
    // A checkpoint-lab: window whose store is not known: never open (or create) another lab.
    if (location.unavailable !== undefined) throw new StoreUnavailableError(location.unavailable);
    const lab = await this.openLab(location.path);
    if (this.location.path !== location.path) {
      // the location changed while opening: this Lab is stale
      await lab.close().catch(() => undefined);
      throw new Error('The lab store location changed while it was being opened.');
    }
    if (location.storeId !== undefined && lab.storeId !== location.storeId) {
      await lab.close().catch(() => undefined);
      throw new StoreUnavailableError(
        `The folder '${location.path}' recorded for the lab store '${location.storeId}' of this window now holds another store ('${lab.storeId}').`,
      );
    }
    this.current = lab;
    this.engineSubscriptions = [lab.onDidChange((change) => this.emitter.fire(change)), lab.watch(WATCH_INTERVAL_MS)];
    try {
      this.registry.record(lab.storeId, lab.root);
    } catch (error) {
      this.log.warn(`Could not record the store in ${this.registry.file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.log.info(`Opened the lab store ${lab.root} (Id ${lab.storeId}, ${location.source}) in ${Date.now() - started} ms`);
    return lab;
  }

  /** Switches to another store folder (the setting changed); the tree reloads. */
  async setLocation(location: StoreLocation): Promise<void> {
    if (location.path === this.location.path && location.unavailable === this.location.unavailable && location.storeId === this.location.storeId) {
      this.location = location;
      return;
    }
    await this.close();
    this.location = location;
    this.log.info(`The lab store is now ${location.path} (${location.source})`);
    this.emitter.fire({ kind: 'reset' });
  }

  /**
   * Lab rule (SPEC section 2): every Running or Paused VM is Saved when the extension
   * deactivates. Opens the store if needed (the CLI may have started VMs), but never creates one.
   */
  async saveAllRunning(): Promise<VmInfo[]> {
    if (this.location.unavailable !== undefined) return [];
    if (!this.current && !existsSync(join(this.location.path, 'lab.json'))) return [];
    const lab = await this.lab();
    const saved = await lab.saveAllRunning();
    if (saved.length > 0) this.log.info(`Saved ${saved.map((vm) => `'${vm.Name}'`).join(', ')} because the extension is deactivating`);
    return saved;
  }

  /** Closes the Lab; the next lab() call opens it again. */
  async close(): Promise<void> {
    for (const subscription of this.engineSubscriptions) subscription.dispose();
    this.engineSubscriptions = [];
    const opening = this.opening;
    this.opening = undefined;
    this.current = undefined;
    const lab = await opening?.catch(() => undefined);
    await lab?.close();
  }

  dispose(): void {
    void this.close();
    this.emitter.dispose();
  }
}
