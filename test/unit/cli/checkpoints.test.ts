/**
 * Checkpoints through the built CLI: checkpoint-vm, get-vmsnapshot and its filters,
 * restore-vmsnapshot, revert-vm, remove-vmsnapshot (wildcards, subtrees), rename-vmsnapshot,
 * compare-vmsnapshot; R9's notice on stderr only; R24 ambiguity; failures change nothing.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { CHECKPOINT_KEYS, StoreCli, VM_KEYS, assertKeys, buildCli, removeDir, tempDir } from './helpers';
import type { CheckpointJson, VmJson } from './helpers';

const R3_NAME = /^web-01 - \(\d{1,2}\/\d{1,2}\/\d{4} - \d{1,2}:\d{2}:\d{2} (AM|PM)\)$/;

describe('CLI: checkpoints', function () {
  this.timeout(60_000);
  let dir: string;
  let cli: StoreCli;

  before(function () {
    buildCli();
    dir = tempDir('checkpoints');
    cli = new StoreCli(path.join(dir, 'store'));
    cli.newVm('web-01');
    cli.newVm('db-01');
  });

  after(() => removeDir(dir));

  describe('taking and listing', () => {
    let first: CheckpointJson;

    it('checkpoint-vm prints one checkpoint with the SPEC fields; a root has null parents', () => {
      first = cli.checkpoint('web-01');
      assertKeys(first, CHECKPOINT_KEYS);
      assert.match(first.Name, R3_NAME, 'R3 default name');
      const vm = cli.vm('web-01');
      assert.equal(first.VMName, 'web-01');
      assert.equal(first.VMId, vm.Id);
      assert.equal(first.ParentSnapshotId, null);
      assert.equal(first.ParentSnapshotName, null);
      assert.equal(first.SnapshotType, 'Standard');
      assert.equal(first.CheckpointType, 'Production', 'an Off VM takes a production checkpoint');
      assert.equal(first.IsAutomatic, false);
      assert.equal(first.HasSavedState, false);
      assert.equal(first.VmState, 'Off');
      assert.equal(first.Status, 'Ok');
      assert.match(first.CreationTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'ISO 8601, UTC');
      assert.equal(first.Notes, '');
      assert.equal(typeof first.ExclusiveBytes, 'number');
      assert.equal(typeof first.SharedBytes, 'number');
      assert.equal(vm.ParentCheckpointId, first.Id, 'Now hangs under the new checkpoint (R6)');
      assert.equal(vm.ParentCheckpointName, first.Name);
    });

    it('the next checkpoint is a child of the first; --recovery makes a Recovery one', () => {
      const second = cli.checkpoint('web-01', 'second');
      assert.equal(second.ParentSnapshotId, first.Id);
      assert.equal(second.ParentSnapshotName, first.Name);
      const recovery = cli.checkpoint('web-01', 'backup', '--recovery');
      assert.equal(recovery.SnapshotType, 'Recovery');
      assert.equal(recovery.ParentSnapshotId, second.Id);
    });

    it('get-vmsnapshot lists every VM by default, in tree order, and filters', () => {
      const other = cli.checkpoint('db-01', 'db-base');
      const all = cli.checkpoints();
      assert.deepEqual(
        all.map((c) => `${c.VMName}/${c.Name === first.Name ? 'first' : c.Name}`).sort(),
        ['db-01/db-base', 'web-01/backup', 'web-01/first', 'web-01/second'],
      );
      for (const c of all) assertKeys(c, CHECKPOINT_KEYS);
      const web = cli.checkpoints('web-01');
      assert.deepEqual(web.map((c) => c.Name), [first.Name, 'second', 'backup'], 'parents before children');
      assert.deepEqual(cli.json<CheckpointJson[]>(['get-vmsnapshot', '--vm-name', 'web-01', '--name', 'SECOND']).map((c) => c.Name), ['second']);
      assert.deepEqual(cli.json<CheckpointJson[]>(['get-vmsnapshot', '--id', other.Id]).map((c) => c.Name), ['db-base']);
      assert.deepEqual(cli.json<CheckpointJson[]>(['get-vmsnapshot', '--snapshot-type', 'Recovery']).map((c) => c.Name), ['backup']);
      assert.deepEqual(cli.json<CheckpointJson[]>(['get-vmsnapshot', '--vm-name', 'web-01', '--child-of', 'second']).map((c) => c.Name), ['backup']);
      assert.deepEqual(cli.json<CheckpointJson[]>(['get-vmsnapshot', '--vm-name', 'db-01', '--snapshot-type', 'Recovery']), [], 'an empty result is []');
      const table = cli.ok(['get-vmsnapshot', '--vm-name', 'web-01']).out;
      assert.match(table, /^VMName\s+Name/m);
      assert.match(table, /^web-01\s+second\s+Standard/m);
    });

    it('get-vmsnapshot for an unknown VM fails with exit 1', () => {
      cli.fails(['get-vmsnapshot', '--vm-name', 'nope'], 1, "No virtual machine named 'nope' was found.");
    });
  });

  describe('types: R2, R9 (notice on stderr only), ProductionOnly', () => {
    it('a Paused VM with Production falls back to Standard with memory; the notice goes to stderr', () => {
      cli.ok(['start-vm', '--name', 'db-01']);
      cli.ok(['suspend-vm', '--name', 'db-01']);
      const result = cli.run(['checkpoint-vm', '--name', 'db-01', '--snapshot-name', 'paused', '--json']);
      assert.equal(result.code, 0, result.err);
      assert.match(result.err, /Standard checkpoint created because a production checkpoint could not be created: /);
      const checkpoint = JSON.parse(result.out) as CheckpointJson; // stdout is JSON and nothing else
      assert.equal(checkpoint.CheckpointType, 'Standard');
      assert.equal(checkpoint.HasSavedState, true);
      assert.equal(checkpoint.VmState, 'Paused');
      assert.equal(cli.vm('db-01').State, 'Paused', 'R1: a Paused VM stays Paused');
      const table = cli.run(['checkpoint-vm', '--name', 'db-01', '--snapshot-name', 'paused-2']);
      assert.equal(table.code, 0);
      assert.ok(!table.out.includes('Standard checkpoint created because'), 'the notice never reaches stdout');
      assert.match(table.err, /Standard checkpoint created because/);
    });

    it('ProductionOnly on a Paused VM fails with exit 1 and changes nothing', () => {
      cli.ok(['set-vm', '--name', 'db-01', '--checkpoint-type', 'ProductionOnly']);
      cli.unchanged(() => cli.fails(['checkpoint-vm', '--name', 'db-01'], 1, "Checkpoint operation failed. Production checkpoints cannot be created for 'db-01'."));
    });

    it('Disabled fails with exit 1 and changes nothing', () => {
      cli.ok(['set-vm', '--name', 'db-01', '--checkpoint-type', 'Disabled']);
      cli.unchanged(() => cli.fails(['checkpoint-vm', '--name', 'db-01'], 1, "Checkpoint operation failed. Checkpoints have been disabled for 'db-01'."));
      cli.ok(['set-vm', '--name', 'db-01', '--checkpoint-type', 'Production']);
      cli.ok(['stop-vm', '--name', 'db-01', '--turn-off']);
    });

    it('an unknown VM and a bad checkpoint name fail with exit 1 and change nothing', () => {
      cli.unchanged(() => {
        cli.fails(['checkpoint-vm', '--name', 'nope'], 1, "No virtual machine named 'nope' was found.");
        cli.fails(['checkpoint-vm', '--name', 'web-01', '--snapshot-name', ''], 1, 'The name must be between 1 and 100 characters.');
        cli.fails(['checkpoint-vm', '--name', 'web-01', '--snapshot-name', 'n'.repeat(101)], 1, 'The name must be between 1 and 100 characters.');
      });
    });
  });

  describe('automatic checkpoints (R14, R15)', () => {
    it('start-vm takes an automatic checkpoint first; a clean stop-vm removes it again', () => {
      cli.newVm('auto-01');
      cli.ok(['set-vm', '--name', 'auto-01', '--automatic-checkpoints-enabled', 'true']);
      cli.ok(['start-vm', '--name', 'auto-01']);
      const [automatic] = cli.checkpoints('auto-01');
      assert.ok(automatic, 'a checkpoint was taken');
      assert.equal(automatic.IsAutomatic, true);
      assert.match(automatic.Name, /^Automatic Checkpoint - auto-01 - \(/);
      cli.ok(['stop-vm', '--name', 'auto-01']);
      assert.deepEqual(cli.checkpoints('auto-01'), []);
      cli.ok(['remove-vm', '--name', 'auto-01']);
    });
  });

  describe('apply, revert, rename, R24', () => {
    it('restore-vmsnapshot applies a checkpoint and prints the VM; the guest files follow', () => {
      cli.writeFile('web-01', '/app/version.txt', 'v1');
      const v1 = cli.checkpoint('web-01', 'v1');
      cli.writeFile('web-01', '/app/version.txt', 'v2');
      const vm = cli.json<VmJson>(['restore-vmsnapshot', '--vm-name', 'web-01', '--name', 'v1']);
      assertKeys(vm, VM_KEYS);
      assert.equal(vm.ParentCheckpointId, v1.Id);
      assert.equal(vm.State, 'Off', 'R12: a checkpoint of an Off VM leaves the VM Off');
      assert.equal(cli.readFile('web-01', '/app/version.txt').toString(), 'v1');
    });

    it('--checkpoint-first takes a checkpoint of Now first and says so on stderr', () => {
      cli.writeFile('web-01', '/app/version.txt', 'v3');
      const before = cli.checkpoints('web-01').length;
      const result = cli.run(['restore-vmsnapshot', '--vm-name', 'web-01', '--name', 'v1', '--checkpoint-first', '--json']);
      assert.equal(result.code, 0, result.err);
      JSON.parse(result.out);
      assert.match(result.err, /was created first/);
      const after = cli.checkpoints('web-01');
      assert.equal(after.length, before + 1);
      const taken = after.find((c) => !c.Name.match(/^(v1|second|backup)$/) && c.ParentSnapshotId === cli.checkpoints('web-01').find((x) => x.Name === 'v1')?.Id);
      assert.ok(taken, 'the new checkpoint hangs under v1');
      assert.equal(cli.readFile('web-01', '/app/version.txt', '--snapshot-id', taken.Id).toString(), 'v3', 'it holds Now as it was');
      assert.equal(cli.readFile('web-01', '/app/version.txt').toString(), 'v1');
    });

    it('revert-vm applies the parent checkpoint; without one it fails', () => {
      cli.writeFile('web-01', '/app/version.txt', 'v4');
      const vm = cli.json<VmJson>(['revert-vm', '--name', 'web-01']);
      assert.equal(vm.ParentCheckpointName, 'v1');
      assert.equal(cli.readFile('web-01', '/app/version.txt').toString(), 'v1');
      cli.newVm('fresh');
      cli.unchanged(() => cli.fails(['revert-vm', '--name', 'fresh'], 1, "'fresh' has no checkpoint to revert to."));
      cli.ok(['remove-vm', '--name', 'fresh']);
    });

    it('R24: a name shared by two checkpoints is refused for one-checkpoint commands, and the Id works', () => {
      const a = cli.checkpoint('web-01', 'dup');
      cli.checkpoint('web-01', 'dup');
      const ambiguous = /More than one checkpoint of 'web-01' is named 'dup'\. Use its Id\./i;
      cli.unchanged(() => {
        cli.fails(['restore-vmsnapshot', '--vm-name', 'web-01', '--name', 'DUP'], 1, ambiguous);
        cli.fails(['rename-vmsnapshot', '--vm-name', 'web-01', '--name', 'dup', '--new-name', 'x'], 1, ambiguous);
        cli.fails(['remove-vmsnapshot', '--vm-name', 'web-01', '--name', 'dup'], 1, ambiguous);
        cli.fails(['export-vmsnapshot', '--vm-name', 'web-01', '--name', 'dup', '--path', path.join(dir, 'never')], 1, ambiguous);
        cli.fails(['get-vmfile', '--name', 'web-01', '--path', '/app/version.txt', '--snapshot', 'dup'], 1, ambiguous);
        cli.fails(['restore-vmsnapshot', '--vm-name', 'web-01', '--name', 'missing'], 1, "'web-01' has no checkpoint named 'missing'.");
        cli.fails(['restore-vmsnapshot', '--vm-name', 'web-01', '--id', '00000000-0000-0000-0000-000000000000'], 1, /web-01/);
      });
      const renamed = cli.json<CheckpointJson>(['rename-vmsnapshot', '--vm-name', 'web-01', '--id', a.Id, '--new-name', 'dup-first']);
      assertKeys(renamed, CHECKPOINT_KEYS);
      assert.equal(renamed.Id, a.Id);
      assert.equal(renamed.Name, 'dup-first');
    });

    it('rename-vmsnapshot validates the new name (R4) and changes nothing when it fails', () => {
      cli.unchanged(() => {
        cli.fails(['rename-vmsnapshot', '--vm-name', 'web-01', '--name', 'dup-first', '--new-name', 'r'.repeat(101)], 1, 'The name must be between 1 and 100 characters.');
        cli.fails(['rename-vmsnapshot', '--vm-name', 'web-01', '--name', 'dup-first', '--new-name', ' '], 1, 'The name must be between 1 and 100 characters.');
      });
    });
  });

  describe('remove-vmsnapshot', () => {
    it('removes every match of * and ? patterns (R24), and prints what it removed', () => {
      cli.ok(['restore-vmsnapshot', '--vm-name', 'web-01', '--name', 'v1']);
      for (const name of ['t-1', 't-2', 'tx3']) {
        cli.checkpoint('web-01', name);
        cli.ok(['restore-vmsnapshot', '--vm-name', 'web-01', '--name', 'v1']);
      }
      const removed = cli.json<CheckpointJson[]>(['remove-vmsnapshot', '--vm-name', 'web-01', '--name', 'T-*']);
      assert.deepEqual(removed.map((c) => c.Name).sort(), ['t-1', 't-2']);
      assert.deepEqual(cli.json<CheckpointJson[]>(['get-vmsnapshot', '--vm-name', 'web-01', '--name', 't*']).map((c) => c.Name), ['tx3']);
      const out = cli.ok(['remove-vmsnapshot', '--vm-name', 'web-01', '--name', 't?3']).out;
      assert.match(out, /Removed 1 checkpoint of 'web-01'/);
      assert.deepEqual(cli.json<CheckpointJson[]>(['get-vmsnapshot', '--vm-name', 'web-01', '--name', 't*']), []);
    });

    it('--include-all-child-snapshots removes a whole subtree; Now keeps its data', () => {
      const root = cli.checkpoint('web-01', 'sub-root');
      cli.checkpoint('web-01', 'sub-child');
      cli.writeFile('web-01', '/app/now.txt', 'now');
      const removed = cli.json<CheckpointJson[]>(['remove-vmsnapshot', '--vm-name', 'web-01', '--id', root.Id, '--include-all-child-snapshots']);
      assert.deepEqual(removed.map((c) => c.Name).sort(), ['sub-child', 'sub-root']);
      const vm = cli.vm('web-01');
      assert.equal(vm.ParentCheckpointName, 'v1', "R17: Now's parent becomes the subtree root's parent");
      assert.equal(cli.readFile('web-01', '/app/now.txt').toString(), 'now');
    });

    it('an unknown checkpoint fails with exit 1 and changes nothing', () => {
      cli.unchanged(() => cli.fails(['remove-vmsnapshot', '--vm-name', 'web-01', '--name', 'ghost'], 1, "'web-01' has no checkpoint named 'ghost'."));
    });
  });

  describe('compare-vmsnapshot', () => {
    it('lists Added, Removed and Modified paths against Now or another checkpoint', () => {
      cli.writeFile('web-01', '/cmp/keep.txt', 'same');
      cli.writeFile('web-01', '/cmp/change.txt', 'before');
      cli.writeFile('web-01', '/cmp/gone.txt', 'bye');
      cli.checkpoint('web-01', 'cmp-base');
      assert.deepEqual(cli.json(['compare-vmsnapshot', '--vm-name', 'web-01', '--name', 'cmp-base']), [], 'no changes: []');
      cli.writeFile('web-01', '/cmp/change.txt', 'after');
      cli.writeFile('web-01', '/cmp/new.txt', 'hello');
      cli.ok(['remove-vmfile', '--name', 'web-01', '--path', '/cmp/gone.txt']);
      const rows = cli.json<Array<{ Path: string; Change: string }>>(['compare-vmsnapshot', '--vm-name', 'web-01', '--name', 'cmp-base']);
      for (const row of rows) assertKeys(row, ['Path', 'Change']);
      const byPath = Object.fromEntries(rows.map((r) => [r.Path, r.Change]));
      assert.equal(byPath['/cmp/change.txt'], 'Modified');
      assert.equal(byPath['/cmp/new.txt'], 'Added');
      assert.equal(byPath['/cmp/gone.txt'], 'Removed');
      assert.equal(byPath['/cmp/keep.txt'], undefined);
      cli.checkpoint('web-01', 'cmp-next');
      const between = cli.json<Array<{ Path: string; Change: string }>>(['compare-vmsnapshot', '--vm-name', 'web-01', '--name', 'cmp-base', '--to', 'cmp-next']);
      assert.deepEqual(between.map((r) => `${r.Change} ${r.Path}`).sort(), rows.map((r) => `${r.Change} ${r.Path}`).sort());
      assert.match(cli.ok(['compare-vmsnapshot', '--vm-name', 'web-01', '--name', 'cmp-base']).out, /^Modified\s+\/cmp\/change\.txt$/m);
    });
  });
});
