/** A status bar item for the VM selected in the tree: its name and state. */
import * as vscode from 'vscode';
import type { LabNode, LabSnapshot } from '../tree/nodes';

const ICONS: Record<string, string> = { Off: '$(vm-outline)', Running: '$(vm-running)', Paused: '$(debug-pause)', Saved: '$(save)' };

export class VmStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private vmId: string | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem('checkpointLab.selectedVm', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Checkpoint Lab: selected VM';
    this.item.command = 'checkpointLab.virtualMachines.focus';
  }

  /** The VM of the selected node (a checkpoint or Now selects its VM). */
  select(node: LabNode | undefined, snapshot: LabSnapshot | undefined): void {
    this.vmId = node?.vm.Id;
    this.update(snapshot);
  }

  update(snapshot: LabSnapshot | undefined): void {
    const vm = this.vmId ? snapshot?.vmNode(this.vmId)?.vm : undefined;
    if (!vm) {
      this.item.hide();
      return;
    }
    const state = vm.Status === 'Missing' ? 'Missing' : vm.State;
    this.item.text = `${vm.Status === 'Missing' ? '$(warning)' : ICONS[vm.State]} ${vm.Name}: ${state}`;
    this.item.tooltip = `Checkpoint Lab: '${vm.Name}' is ${state}${vm.ParentCheckpointName ? `, Now under '${vm.ParentCheckpointName}'` : ''}. Click to show the Virtual Machines view.`;
    this.item.show();
  }

  get text(): string | undefined {
    return this.vmId ? this.item.text : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
