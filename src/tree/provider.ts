/**
 * TreeDataProvider of the Virtual Machines view. It keeps one LabSnapshot (two JSON reads
 * of the engine: listVms and listCheckpoints) and rebuilds it when the engine reports a
 * change, coalescing bursts of events into one reload.
 */
import * as vscode from 'vscode';
import type { CheckpointInfo, VmInfo } from '../engine/model';
import { LabSnapshot, type LabNode, type LinkNode, type VmNode } from './nodes';
import { tooltipOf, treeItemOf } from './treeItems';

/** What the tree reads from the lab. */
export interface TreeSource {
  listVms(): Promise<VmInfo[]>;
  listCheckpoints(): Promise<CheckpointInfo[]>;
}

export interface TreeHost {
  lab(): Promise<TreeSource>;
  readonly onDidChange: vscode.Event<unknown>;
}

/** Events arriving within this window become one reload. */
const COALESCE_MS = 30;

/** Everything the tree draws of a snapshot: all fields but the usage figures, which only tooltips show. */
function fingerprintOf(vms: readonly VmInfo[], checkpoints: readonly CheckpointInfo[]): string {
  return JSON.stringify([vms, checkpoints], (key, value) => (key === 'ExclusiveBytes' || key === 'SharedBytes' ? undefined : value));
}

export class VmTreeProvider implements vscode.TreeDataProvider<LabNode>, vscode.Disposable {
  private snapshot: LabSnapshot | undefined;
  private loading: Promise<LabSnapshot> | undefined;
  private stale = true;
  private timer: NodeJS.Timeout | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  /** What the view last drew, and what the current snapshot would draw (see scheduleReload). */
  private drawnFingerprint: string | undefined;
  private snapshotFingerprint: string | undefined;
  private readonly changeEmitter = new vscode.EventEmitter<LabNode | undefined | void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly loadedEmitter = new vscode.EventEmitter<LabSnapshot>();
  /** Fires after every reload (status bar, tests). */
  readonly onDidLoad = this.loadedEmitter.event;
  private readonly failedEmitter = new vscode.EventEmitter<string | undefined>();
  /** Fires with the error of a failed reload, and with undefined when a reload succeeds again. */
  readonly onDidChangeError = this.failedEmitter.event;
  /** The last error of a reload, shown as the view's message. */
  lastError: string | undefined;
  private readonly subscription: vscode.Disposable;
  /** Extra children after a VM's checkpoints and Now (the loop's linked folders). */
  private linkSource: ((vm: VmNode) => LinkNode[]) | undefined;

  constructor(private readonly host: TreeHost) {
    this.subscription = host.onDidChange(() => this.scheduleReload());
  }

  /** The last loaded snapshot (may be stale by one pending refresh). */
  get current(): LabSnapshot | undefined {
    return this.snapshot;
  }

  /** Lists a VM's linked folders under it (src/loop). */
  setLinkSource(source: ((vm: VmNode) => LinkNode[]) | undefined): void {
    this.linkSource = source;
    this.scheduleRefresh();
  }

  /** Marks the tree stale and asks the view to ask again (coalesced). */
  scheduleRefresh(): void {
    this.stale = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changeEmitter.fire();
    }, COALESCE_MS);
  }

  /**
   * After an engine event: reload, and tell the view only when what it draws changed.
   * Redrawing re-creates the rows, and a context menu opened on a row being replaced
   * runs its command without the item (it then asks for a VM); many commits (usage
   * figures, loop manifests, another VM's guest writes) change nothing the tree shows.
   */
  private scheduleReload(): void {
    this.stale = true;
    if (this.reloadTimer || this.timer) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      const drawn = this.drawnFingerprint;
      this.load().then(
        () => {
          if (this.snapshotFingerprint !== drawn) this.changeEmitter.fire();
        },
        () => this.changeEmitter.fire(),
      );
    }, COALESCE_MS);
  }

  /** Reloads now and tells the view; resolves with the new snapshot. */
  async refresh(): Promise<LabSnapshot> {
    this.stale = true;
    const snapshot = await this.load();
    this.changeEmitter.fire();
    return snapshot;
  }

  /** The snapshot, reloaded if an event made it stale. */
  load(): Promise<LabSnapshot> {
    if (!this.stale && this.snapshot) return Promise.resolve(this.snapshot);
    if (this.loading) return this.loading;
    this.stale = false;
    const loading = (async () => {
      try {
        const lab = await this.host.lab();
        const [vms, checkpoints] = await Promise.all([lab.listVms(), lab.listCheckpoints()]);
        const snapshot = new LabSnapshot(vms, checkpoints);
        this.snapshot = snapshot;
        this.snapshotFingerprint = fingerprintOf(vms, checkpoints);
        if (this.lastError !== undefined) {
          this.lastError = undefined;
          this.failedEmitter.fire(undefined);
        }
        this.loadedEmitter.fire(snapshot);
        return snapshot;
      } catch (error) {
        this.stale = true;
        this.lastError = error instanceof Error ? error.message : String(error);
        this.failedEmitter.fire(this.lastError);
        throw error;
      } finally {
        this.loading = undefined;
      }
    })();
    this.loading = loading;
    return loading;
  }

  getTreeItem(node: LabNode): vscode.TreeItem {
    const hasChildren = (this.snapshot?.childrenOf(node).length ?? 0) > 0;
    return treeItemOf(node, hasChildren);
  }

  resolveTreeItem(item: vscode.TreeItem, node: LabNode): vscode.TreeItem {
    // The view may hold nodes of an older snapshot (it is not redrawn for changes it
    // does not show, such as usage figures): describe the current one.
    item.tooltip ??= tooltipOf(this.snapshot?.get(node.id) ?? node);
    return item;
  }

  async getChildren(node?: LabNode): Promise<LabNode[]> {
    let snapshot: LabSnapshot;
    try {
      snapshot = await this.load();
    } catch {
      return [];
    }
    if (!node) {
      this.drawnFingerprint = this.snapshotFingerprint;
      return snapshot.roots;
    }
    // A node from an older snapshot: answer from the current one by id.
    const current = snapshot.get(node.id);
    if (current?.kind === 'vm' && this.linkSource) return [...snapshot.childrenOf(current), ...this.linkSource(current)];
    return current ? snapshot.childrenOf(current) : [];
  }

  getParent(node: LabNode): LabNode | undefined {
    if (node.kind === 'link') return this.snapshot?.vmNode(node.vm.Id);
    return this.snapshot?.parentOf(this.snapshot.get(node.id) ?? node);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.subscription.dispose();
    this.changeEmitter.dispose();
    this.loadedEmitter.dispose();
    this.failedEmitter.dispose();
  }
}
