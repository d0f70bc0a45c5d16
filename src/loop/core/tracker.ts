/**
 * Knows, without reading the guest, whether a linked guest folder still holds what the
 * last sync left there. In this process it follows the Lab's change events; across
 * processes (the CLI, a new window) it compares the VM's Now version (Lab.nowVersion) with
 * the one the manifest recorded: unchanged means nobody wrote into that VM.
 *
 * Per link, after a sync:
 * - a guest change under (or above) the linked path by someone else makes it `dirty`;
 * - Apply or Revert (a guest change without paths) makes it `applied`: the folder now
 *   holds what the applied checkpoint held, known when the loop took that checkpoint;
 * - another process's commit makes every link `external` (the event says no more): the
 *   manifest's Now version then tells whether that commit wrote into the link's VM.
 */
import type { Disposable, Lab, LabChange } from '../../engine';
import { isUnder } from '../../engine/guest/paths';

export type GuestMark = 'clean' | 'applied' | 'dirty' | 'external';

interface Mark {
  vmId: string;
  guestPath: string;
  state: GuestMark;
}

export class GuestTracker implements Disposable {
  private readonly marks = new Map<string, Mark>();
  private readonly subscription: Disposable;

  constructor(lab: Lab) {
    this.subscription = lab.onDidChange((change) => this.observe(change));
  }

  private observe(change: LabChange): void {
    if (change.kind === 'storeChanged') {
      for (const mark of this.marks.values()) if (mark.state !== 'dirty') mark.state = 'external';
      return;
    }
    if (change.kind === 'vmRemoved') {
      for (const [key, mark] of this.marks) if (mark.vmId === change.vmId) this.marks.delete(key);
      return;
    }
    if (change.kind !== 'guestFilesChanged') return;
    for (const mark of this.marks.values()) {
      if (mark.vmId !== change.vmId) continue;
      if (change.paths === undefined) mark.state = 'applied';
      else if (mark.state !== 'dirty' && change.paths.some((p) => isUnder(p, mark.guestPath) || isUnder(mark.guestPath, p))) mark.state = 'dirty';
    }
  }

  /** After a sync: the guest folder holds what the manifest says. */
  arm(key: string, vmId: string, guestPath: string): void {
    this.marks.set(key, { vmId, guestPath, state: 'clean' });
  }

  /** Forget a link (a sync failed midway: the guest is unknown). */
  forget(key: string): void {
    this.marks.delete(key);
  }

  /** What happened since the last sync in this process; undefined when this process has not synced the link. */
  mark(key: string): GuestMark | undefined {
    return this.marks.get(key)?.state;
  }

  dispose(): void {
    this.subscription.dispose();
    this.marks.clear();
  }
}

const trackers = new WeakMap<Lab, GuestTracker>();

/** The tracker of a Lab, created (and subscribed) on first use. */
export function trackerFor(lab: Lab): GuestTracker {
  let tracker = trackers.get(lab);
  if (!tracker) {
    tracker = new GuestTracker(lab);
    trackers.set(lab, tracker);
  }
  return tracker;
}
