/**
 * Which Lab serves a `checkpoint-lab://<store Id>/...` URI. The window's own Lab (LabHost)
 * when the Id is its store's; otherwise the store folder recorded for that Id in the store
 * registry (SPEC section 4, global storage), opened here and watched for other processes'
 * commits, so a VM's disk opened in a new window (whose own store is another one) works.
 * Never creates a store: an Id whose folder holds no lab is "not known".
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { Lab } from '../engine';
import type { Disposable, LabChange } from '../engine';
import type { LabHost } from '../services/labHost';
import { WATCH_INTERVAL_MS } from '../services/labHost';
import type { StoreRegistry } from '../services/storeLocation';
import { FsError } from './errors';

export type StoreChange = { storeId: string; change: LabChange | { kind: 'reset' } };

export interface StoreLabSource extends vscode.Disposable {
  labFor(storeId: string): Promise<Lab>;
  readonly onDidChange: vscode.Event<StoreChange>;
}

const LAB_FILE = 'lab.json';

function notKnown(storeId: string): FsError {
  return new FsError(
    'StoreNotKnown',
    `The lab store '${storeId}' is not known on this machine: open the window whose Checkpoint Lab holds it once, so it is recorded.`,
  );
}

export class RegistryStoreLabs implements StoreLabSource {
  private readonly emitter = new vscode.EventEmitter<StoreChange>();
  readonly onDidChange = this.emitter.event;
  private readonly pool = new Map<string, { opening: Promise<Lab>; subscriptions: Disposable[] }>();
  private hostStoreId: string | undefined;
  private readonly hostSubscription: vscode.Disposable;

  constructor(
    private readonly host: LabHost,
    private readonly registry: StoreRegistry,
    private readonly log?: vscode.LogOutputChannel,
  ) {
    this.hostSubscription = host.onDidChange((change) => {
      const storeId = host.openedLab?.storeId ?? this.hostStoreId;
      if (change.kind === 'reset') {
        if (storeId) this.emitter.fire({ storeId, change });
        this.hostStoreId = undefined;
        return;
      }
      if (storeId) {
        this.hostStoreId = storeId;
        this.emitter.fire({ storeId, change });
      }
    });
  }

  async labFor(storeId: string): Promise<Lab> {
    const opened = this.host.openedLab;
    if (opened && opened.storeId === storeId) return this.fromHost(opened);
    const pooled = this.pool.get(storeId);
    if (pooled) return pooled.opening;
    const recorded = this.registry.lookup(storeId);
    const hostPath = resolve(this.host.storeLocation.path);
    if ((recorded !== undefined && resolve(recorded) === hostPath) || (recorded === undefined && !opened && existsSync(join(hostPath, LAB_FILE)))) {
      const lab = await this.host.lab();
      if (lab.storeId === storeId) return this.fromHost(lab);
      if (recorded === undefined) throw notKnown(storeId);
    }
    if (recorded === undefined || !existsSync(join(recorded, LAB_FILE))) throw notKnown(storeId);
    return this.openPooled(storeId, recorded);
  }

  private fromHost(lab: Lab): Lab {
    this.hostStoreId = lab.storeId;
    return lab;
  }

  private openPooled(storeId: string, root: string): Promise<Lab> {
    const entry = { opening: Promise.resolve(undefined as unknown as Lab), subscriptions: [] as Disposable[] };
    entry.opening = (async () => {
      const lab = await Lab.open(root);
      if (lab.storeId !== storeId) {
        await lab.close().catch(() => undefined);
        throw new FsError('StoreNotKnown', `The folder '${root}' recorded for the lab store '${storeId}' now holds another store ('${lab.storeId}').`);
      }
      entry.subscriptions.push(lab.onDidChange((change) => this.emitter.fire({ storeId, change })), lab.watch(WATCH_INTERVAL_MS));
      this.log?.info(`Opened the lab store ${root} (Id ${storeId}) for checkpoint-lab: files`);
      return lab;
    })();
    this.pool.set(storeId, entry);
    entry.opening.catch(() => {
      if (this.pool.get(storeId) === entry) this.pool.delete(storeId);
    });
    return entry.opening;
  }

  dispose(): void {
    this.hostSubscription.dispose();
    for (const entry of this.pool.values()) {
      for (const subscription of entry.subscriptions) subscription.dispose();
      void entry.opening.then((lab) => lab.close()).catch(() => undefined);
    }
    this.pool.clear();
    this.emitter.dispose();
  }
}
