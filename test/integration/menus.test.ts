/**
 * The context menus show only actions legal in the item's state: every `when` clause of
 * package.json's menus is evaluated against every contextValue the tree produces, and the
 * result is compared with the engine's own lifecycle table and the SPEC's rules.
 */
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { LabSnapshot, contextValueOf } from '../../src/tree/nodes';
import { nextState, type LifecycleAction } from '../../src/engine/rules';
import type { CheckpointInfo, CheckpointType, VmInfo, VmState } from '../../src/engine/model';
import { vmInfoFixture } from '../harness/fixtures';
import { extensionId } from './helpers';

interface MenuEntry {
  command: string;
  when?: string;
  group?: string;
}

/** Evaluates the subset of when-clause syntax our menus use: `a == b`, `a =~ /re/flags`, `&&`, `||`, `!`. */
function evaluate(when: string | undefined, context: Record<string, string>): boolean {
  if (!when) return true;
  return when.split('||').some((conjunction) =>
    conjunction.split('&&').every((raw) => {
      let term = raw.trim();
      let negate = false;
      if (term.startsWith('!')) {
        negate = true;
        term = term.slice(1).trim();
      }
      let value: boolean;
      const regex = /^([\w.]+)\s*=~\s*\/(.*)\/([a-z]*)$/.exec(term);
      const equality = /^([\w.]+)\s*==\s*(.+)$/.exec(term);
      if (regex) value = new RegExp(regex[2], regex[3]).test(context[regex[1]] ?? '');
      else if (equality) value = (context[equality[1]] ?? '') === equality[2].trim();
      else value = Boolean(context[term]);
      return negate ? !value : value;
    }),
  );
}

const view = 'checkpointLab.virtualMachines';

function vm(state: VmState, extra: Partial<VmInfo> = {}): VmInfo {
  return vmInfoFixture({ State: state, ...extra });
}

function checkpoint(extra: Partial<CheckpointInfo> = {}): CheckpointInfo {
  return {
    Id: 'c',
    Name: 'c',
    VMName: 'v',
    VMId: 'v',
    ParentSnapshotId: null,
    ParentSnapshotName: null,
    SnapshotType: 'Standard',
    CheckpointType: 'Production',
    IsAutomatic: false,
    HasSavedState: false,
    VmState: 'Off',
    Status: 'Ok',
    CreationTime: new Date().toISOString(),
    Notes: '',
    ExclusiveBytes: 0,
    SharedBytes: 0,
    ...extra,
  };
}

const lifecycleCommands: Record<string, LifecycleAction> = {
  'checkpointLab.vm.start': 'start',
  'checkpointLab.vm.pause': 'pause',
  'checkpointLab.vm.resume': 'resume',
  'checkpointLab.vm.save': 'save',
  'checkpointLab.vm.shutDown': 'shutDown',
  'checkpointLab.vm.turnOff': 'turnOff',
  'checkpointLab.vm.deleteSavedState': 'removeSavedState',
};

describe('Menus: when clauses hide illegal actions', () => {
  const packageJson = vscode.extensions.getExtension(extensionId)!.packageJSON as {
    contributes: { menus: Record<string, MenuEntry[]>; commands: Array<{ command: string; title: string; category?: string; icon?: string }> };
  };
  const itemMenu = packageJson.contributes.menus['view/item/context'];
  /** The entries VS Code shows for an item, in its order: by group, then by order within the group. */
  const shown = (contextValue: string, inline = false): string[] =>
    itemMenu
      .filter((entry) => (entry.group?.startsWith('inline') ?? false) === inline && evaluate(entry.when, { view, viewItem: contextValue }))
      .map((entry) => {
        const [group, order] = (entry.group ?? '').split('@');
        return { command: entry.command, group, order: Number(order ?? 0) };
      })
      .sort((a, b) => a.group.localeCompare(b.group) || a.order - b.order)
      .map((entry) => entry.command);
  /** The actions of the tree's own menus (SPEC section 5); other features may add entries to the same menus. */
  const treeActions = new Set([
    ...Object.keys(lifecycleCommands),
    'checkpointLab.vm.checkpoint',
    'checkpointLab.vm.revert',
    'checkpointLab.vm.export',
    'checkpointLab.vm.rename',
    'checkpointLab.vm.delete',
    'checkpointLab.checkpoint.apply',
    'checkpointLab.checkpoint.export',
    'checkpointLab.checkpoint.rename',
    'checkpointLab.checkpoint.editNotes',
    'checkpointLab.checkpoint.delete',
    'checkpointLab.checkpoint.deleteSubtree',
  ]);
  const ours = (commands: string[]): string[] => commands.filter((command) => treeActions.has(command));

  it('the evaluator itself tells apart what it should', () => {
    assert.equal(evaluate(`view == ${view} && viewItem =~ /^vm\\.running\\b/`, { view, viewItem: 'vm.running.parent' }), true);
    assert.equal(evaluate(`view == ${view} && viewItem =~ /^vm\\.running\\b/`, { view, viewItem: 'vm.paused' }), false);
    assert.equal(evaluate(`view == other && viewItem =~ /^vm/`, { view, viewItem: 'vm.off' }), false);
  });

  const states: VmState[] = ['Off', 'Running', 'Paused', 'Saved'];
  for (const state of states) {
    for (const parent of [false, true]) {
      for (const type of ['Production', 'Disabled'] as CheckpointType[]) {
        const info = vm(state, { ParentCheckpointId: parent ? 'c' : null, ParentCheckpointName: parent ? 'c' : null, CheckpointType: type });
        const snapshot = new LabSnapshot([info], parent ? [checkpoint()] : []);
        const contextValue = contextValueOf(snapshot.roots[0]);
        it(`VM ${state}${parent ? ' with a ParentCheckpoint' : ''}, checkpoints ${type} (${contextValue})`, () => {
          const commands = shown(contextValue);
          for (const [command, action] of Object.entries(lifecycleCommands)) {
            let legal = true;
            try {
              nextState('v', state, action);
            } catch {
              legal = false;
            }
            assert.equal(commands.includes(command), legal, `${command} ${legal ? 'shown' : 'hidden'} when ${state}`);
          }
          assert.equal(commands.includes('checkpointLab.vm.checkpoint'), type !== 'Disabled', 'Checkpoint only when checkpoints are enabled (R2)');
          assert.equal(shown(contextValue, true).includes('checkpointLab.vm.checkpoint'), type !== 'Disabled', 'inline Checkpoint');
          assert.equal(commands.includes('checkpointLab.vm.revert'), parent, 'Revert only with a ParentCheckpoint (R13)');
          assert.equal(commands.includes('checkpointLab.vm.delete'), state === 'Off' || state === 'Saved', 'Delete VM refused while Running or Paused');
          assert.ok(commands.includes('checkpointLab.vm.export') && commands.includes('checkpointLab.vm.rename'));
          assert.ok(!commands.some((c) => c.startsWith('checkpointLab.checkpoint.')), 'no checkpoint actions on a VM');
          if (commands.includes('checkpointLab.vm.delete')) assert.equal(commands[commands.length - 1], 'checkpointLab.vm.delete', 'destructive last');
        });
      }
    }
  }

  it('a Missing VM offers only Delete VM (R25)', () => {
    const contextValue = contextValueOf(new LabSnapshot([vm('Off', { Status: 'Missing' })], []).roots[0]);
    assert.equal(contextValue, 'vm.missing');
    assert.deepEqual(ours(shown(contextValue)), ['checkpointLab.vm.delete']);
    assert.deepEqual(shown(contextValue, true), []);
  });

  const checkpointKinds: Array<[string, Partial<CheckpointInfo>]> = [
    ['production', {}],
    ['standard with memory', { CheckpointType: 'Standard', HasSavedState: true, VmState: 'Running' }],
    ['automatic', { CheckpointType: 'Standard', IsAutomatic: true }],
    ['recovery', { SnapshotType: 'Recovery' }],
  ];
  for (const [kind, fields] of checkpointKinds) {
    it(`a ${kind} checkpoint offers Apply (inline too), Rename, Notes, Export, Delete, Delete Subtree, destructive last`, () => {
      const snapshot = new LabSnapshot([vm('Off')], [checkpoint(fields)]);
      const node = snapshot.childrenOf(snapshot.roots[0])[0];
      const contextValue = contextValueOf(node);
      assert.match(contextValue, /^checkpoint\./);
      const all = shown(contextValue);
      assert.deepEqual(all.slice(-2), ['checkpointLab.checkpoint.delete', 'checkpointLab.checkpoint.deleteSubtree'], 'destructive last');
      assert.deepEqual(ours(all), [
        'checkpointLab.checkpoint.apply',
        'checkpointLab.checkpoint.export',
        'checkpointLab.checkpoint.rename',
        'checkpointLab.checkpoint.editNotes',
        'checkpointLab.checkpoint.delete',
        'checkpointLab.checkpoint.deleteSubtree',
      ]);
      assert.deepEqual(shown(contextValue, true), ['checkpointLab.checkpoint.apply']);
    });
  }

  it('a Missing checkpoint can only be deleted (R25)', () => {
    const snapshot = new LabSnapshot([vm('Off')], [checkpoint({ Status: 'Missing' })]);
    const contextValue = contextValueOf(snapshot.childrenOf(snapshot.roots[0])[0]);
    assert.deepEqual(ours(shown(contextValue)), ['checkpointLab.checkpoint.delete', 'checkpointLab.checkpoint.deleteSubtree']);
    assert.deepEqual(shown(contextValue, true), []);
  });

  it('groups are numbered, destructive actions last in every menu', () => {
    const groups = itemMenu.filter((e) => !e.group!.startsWith('inline')).map((e) => e.group!.split('@')[0]);
    for (const group of groups) assert.match(group, /^\d_[a-z]+$/);
    for (const entry of itemMenu.filter((e) => /delete/i.test(e.command) && !/SavedState/.test(e.command))) assert.match(entry.group!, /^9_destructive@/);
  });

  it('every command has a title, the category "Checkpoint Lab" and a codicon, and is registered', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const command of packageJson.contributes.commands) {
      assert.ok(command.title, command.command);
      assert.equal(command.category, 'Checkpoint Lab', command.command);
      assert.match(command.icon ?? '', /^\$\([a-z-]+\)$/, command.command);
      assert.match(command.command, /^checkpointLab\.[a-z]+\.[a-zA-Z]+$/);
      assert.ok(registered.has(command.command), `${command.command} is registered`);
    }
  });

  it('the view title has New VM, Import VM, Inspect Store, Refresh and Collapse All', () => {
    const title = packageJson.contributes.menus['view/title'].filter((e) => e.group?.startsWith('navigation')).map((e) => e.command);
    const expected = ['checkpointLab.vm.create', 'checkpointLab.vm.import', 'checkpointLab.store.inspect', 'checkpointLab.view.refresh', 'checkpointLab.view.collapseAll'];
    assert.deepEqual(title.filter((command) => expected.includes(command)), expected);
  });
});
