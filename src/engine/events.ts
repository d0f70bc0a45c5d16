/**
 * Change events of the lab, so the tree and open editors refresh (DESIGN: data flows one
 * way; the engine emits, the UI listens). Every event names the VM it concerns.
 * `origin` tells a change this Lab made from one another process made (seen by polling
 * the store's commit sequence, R31: "the tree refreshes within a second").
 */

export type LabChangeOrigin = 'local' | 'external';

export type LabChange =
  | { kind: 'vmAdded'; vmId: string; origin: LabChangeOrigin }
  /** Settings, name, state or Now's parent changed. */
  | { kind: 'vmChanged'; vmId: string; origin: LabChangeOrigin }
  | { kind: 'vmRemoved'; vmId: string; origin: LabChangeOrigin }
  /** Checkpoints were added, removed, renamed, re-parented or their usage changed. */
  | { kind: 'checkpointsChanged'; vmId: string; origin: LabChangeOrigin }
  /**
   * Guest files of the VM's Now changed (paths when known; absent = anything may have
   * changed, e.g. after Apply). Checkpoint files never change.
   */
  | { kind: 'guestFilesChanged'; vmId: string; paths?: string[]; origin: LabChangeOrigin }
  /** Another process committed to the store: reload everything shown. */
  | { kind: 'storeChanged'; origin: 'external' };

export interface Disposable {
  dispose(): void;
}

export type LabChangeListener = (change: LabChange) => void;

/** A minimal typed emitter (no 'vscode' import in the engine). Listener errors never reach the caller. */
export class LabEventEmitter {
  private listeners: LabChangeListener[] = [];

  on(listener: LabChangeListener): Disposable {
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  }

  emit(change: LabChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // a listener's failure is its own; the operation already succeeded
      }
    }
  }

  emitAll(changes: readonly LabChange[]): void {
    for (const change of changes) this.emit(change);
  }

  get size(): number {
    return this.listeners.length;
  }

  clear(): void {
    this.listeners = [];
  }
}
