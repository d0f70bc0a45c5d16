/**
 * The Virtual Machines tree as plain data (no 'vscode' import, so the bench can build it
 * without a host): VMs, under each its checkpoint hierarchy nested by parent, and the
 * node Now under ParentCheckpoint (or under the VM when it has none), as Hyper-V
 * Manager draws it. Ids are stable across refreshes, so expansion and selection survive.
 */
import type { CheckpointInfo, VmInfo } from '../engine/model';

export interface VmNode {
  readonly kind: 'vm';
  readonly id: string;
  readonly vm: VmInfo;
  readonly checkpointCount: number;
}

export interface CheckpointNode {
  readonly kind: 'checkpoint';
  readonly id: string;
  readonly vm: VmInfo;
  readonly checkpoint: CheckpointInfo;
}

export interface NowNode {
  readonly kind: 'now';
  readonly id: string;
  readonly vm: VmInfo;
}

/** A host folder linked to a folder of the VM's disk (the Dev/UAT loop, src/loop); listed after Now. */
export interface LinkNode {
  readonly kind: 'link';
  readonly id: string;
  readonly vm: VmInfo;
  readonly link: { readonly id: string; readonly label: string; readonly description: string; readonly tooltip: string };
}

export type LabNode = VmNode | CheckpointNode | NowNode | LinkNode;

export const vmNodeId = (vmId: string): string => `vm/${vmId}`;
export const checkpointNodeId = (vmId: string, checkpointId: string): string => `checkpoint/${vmId}/${checkpointId}`;
export const nowNodeId = (vmId: string): string => `now/${vmId}`;
export const linkNodeId = (vmId: string, linkId: string): string => `link/${vmId}/${linkId}`;

/** One consistent picture of the lab: the nodes, their children and parents. */
export class LabSnapshot {
  readonly roots: VmNode[] = [];
  private readonly children = new Map<string, LabNode[]>();
  private readonly parents = new Map<string, LabNode>();
  private readonly nodes = new Map<string, LabNode>();

  constructor(vms: readonly VmInfo[], checkpoints: readonly CheckpointInfo[]) {
    const byVm = new Map<string, CheckpointInfo[]>();
    for (const checkpoint of checkpoints) {
      const list = byVm.get(checkpoint.VMId);
      if (list) list.push(checkpoint);
      else byVm.set(checkpoint.VMId, [checkpoint]);
    }
    for (const vm of vms) {
      const own = byVm.get(vm.Id) ?? [];
      const vmNode: VmNode = { kind: 'vm', id: vmNodeId(vm.Id), vm, checkpointCount: own.length };
      this.add(vmNode, undefined);
      this.roots.push(vmNode);
      const nodesById = new Map<string, CheckpointNode>();
      for (const checkpoint of own) {
        nodesById.set(checkpoint.Id, { kind: 'checkpoint', id: checkpointNodeId(vm.Id, checkpoint.Id), vm, checkpoint });
      }
      // listCheckpoints returns parents before children, siblings by creation time: keep that order.
      for (const checkpoint of own) {
        const parent = (checkpoint.ParentSnapshotId !== null && nodesById.get(checkpoint.ParentSnapshotId)) || vmNode;
        this.add(nodesById.get(checkpoint.Id)!, parent);
      }
      const nowParent = (vm.ParentCheckpointId !== null && nodesById.get(vm.ParentCheckpointId)) || vmNode;
      this.add({ kind: 'now', id: nowNodeId(vm.Id), vm }, nowParent);
    }
  }

  private add(node: LabNode, parent: LabNode | undefined): void {
    this.nodes.set(node.id, node);
    if (parent) {
      this.parents.set(node.id, parent);
      const siblings = this.children.get(parent.id);
      if (siblings) siblings.push(node);
      else this.children.set(parent.id, [node]);
    }
  }

  childrenOf(node: LabNode | undefined): LabNode[] {
    if (!node) return this.roots;
    return this.children.get(node.id) ?? [];
  }

  parentOf(node: LabNode): LabNode | undefined {
    return this.parents.get(node.id);
  }

  get(id: string): LabNode | undefined {
    return this.nodes.get(id);
  }

  vmNode(vmId: string): VmNode | undefined {
    const node = this.nodes.get(vmNodeId(vmId));
    return node?.kind === 'vm' ? node : undefined;
  }

  checkpointNode(vmId: string, checkpointId: string): CheckpointNode | undefined {
    const node = this.nodes.get(checkpointNodeId(vmId, checkpointId));
    return node?.kind === 'checkpoint' ? node : undefined;
  }

  /** The checkpoints a Delete Checkpoint Subtree of this node removes (itself and its descendants). */
  subtreeCheckpoints(node: CheckpointNode): CheckpointInfo[] {
    const found: CheckpointInfo[] = [];
    const walk = (current: LabNode): void => {
      if (current.kind !== 'checkpoint') return;
      found.push(current.checkpoint);
      for (const child of this.childrenOf(current)) walk(child);
    };
    walk(node);
    return found;
  }

  get size(): number {
    return this.nodes.size;
  }
}

// ------------------------------------------------------------------ contextValue

/**
 * contextValue encodes kind and state for the menus' `viewItem =~ /.../` clauses:
 *   vm.<off|running|paused|saved>[.parent][.cpdisabled]   vm.missing
 *   checkpoint.<production|standard>[.memory][.automatic][.recovery]   checkpoint.missing
 *   now   link
 * `.parent`: the VM has a ParentCheckpoint (Revert is possible, R13);
 * `.cpdisabled`: CheckpointType Disabled (Checkpoint would fail, R2).
 */
export function contextValueOf(node: LabNode): string {
  switch (node.kind) {
    case 'vm': {
      if (node.vm.Status === 'Missing') return 'vm.missing';
      let value = `vm.${node.vm.State.toLowerCase()}`;
      if (node.vm.ParentCheckpointId !== null) value += '.parent';
      if (node.vm.CheckpointType === 'Disabled') value += '.cpdisabled';
      return value;
    }
    case 'checkpoint': {
      const checkpoint = node.checkpoint;
      if (checkpoint.Status === 'Missing' || node.vm.Status === 'Missing') return 'checkpoint.missing';
      let value = `checkpoint.${checkpoint.CheckpointType.toLowerCase()}`;
      if (checkpoint.HasSavedState) value += '.memory';
      if (checkpoint.IsAutomatic) value += '.automatic';
      if (checkpoint.SnapshotType === 'Recovery') value += '.recovery';
      return value;
    }
    case 'now':
      return node.vm.Status === 'Missing' || node.vm.CheckpointType === 'Disabled' ? 'now.cpdisabled' : 'now';
    case 'link':
      return 'link';
  }
}
