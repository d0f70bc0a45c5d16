/**
 * VMs through the built CLI: new-vm, get-vm, set-vm, the lifecycle of SPEC section 2,
 * remove-vm; JSON shapes of SPEC section 6; bad input gives a clear message, exit 1,
 * and leaves the store byte-for-byte unchanged.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GIB, MIB, StoreCli, VM_KEYS, assertKeys, buildCli, removeDir, tempDir } from './helpers';
import type { VmJson } from './helpers';

describe('CLI: virtual machines', function () {
  this.timeout(60_000);
  let dir: string;
  let cli: StoreCli;

  before(function () {
    buildCli();
    dir = tempDir('vm');
    cli = new StoreCli(path.join(dir, 'store'));
  });

  after(() => removeDir(dir));

  describe('basics', () => {
    it('an empty lab lists [] for get-vm and get-vmsnapshot, and prints nothing without --json', () => {
      assert.deepEqual(cli.vms(), []);
      assert.deepEqual(cli.checkpoints(), []);
      assert.equal(cli.ok(['get-vm']).out, '');
    });

    it('new-vm prints one VM object with the SPEC fields and defaults', () => {
      const vm = cli.json<VmJson>(['new-vm', '--name', 'web-01', '--disk-size', '1GiB']);
      assertKeys(vm, VM_KEYS);
      assert.match(vm.Id, /^[0-9a-f-]{36}$/i);
      assert.deepEqual(
        { ...vm, Id: undefined },
        {
          Id: undefined,
          Name: 'web-01',
          State: 'Off',
          Status: 'Ok',
          Generation: 2,
          GuestOs: 'linux',
          MemoryStartupBytes: GIB,
          DiskSizeBytes: GIB,
          CheckpointType: 'Production',
          SnapshotFileLocation: path.join(cli.store, 'Snapshots'),
          AutomaticCheckpointsEnabled: false,
          BackupIntegration: true,
          ShutdownIntegration: true,
          GuestServicesIntegration: true,
          ParentCheckpointId: null,
          ParentCheckpointName: null,
          Notes: '',
        },
      );
      assert.deepEqual(cli.vms(), [vm], 'get-vm --json is an array holding the same object');
      assert.deepEqual(cli.json(['get-vm', '--name', 'WEB-01']), [vm], 'names are case-insensitive; get-vm --name is still an array');
    });

    it('new-vm takes generation, guest OS, memory and sizes as 4GiB, 4GB or 4', () => {
      const vm = cli.json<VmJson>(['new-vm', '--name', 'db-01', '--generation', '1', '--guest-os', 'windows', '--memory', '512MiB', '--disk-size', '1GB']);
      assert.equal(vm.Generation, 1);
      assert.equal(vm.GuestOs, 'windows');
      assert.equal(vm.MemoryStartupBytes, 512 * MIB);
      assert.equal(vm.DiskSizeBytes, GIB, '1GB means 1 GiB, as in PowerShell');
      const bare = cli.json<VmJson>(['new-vm', '--name', 'bare', '--disk-size', '1', '--memory', '2GB']);
      assert.equal(bare.DiskSizeBytes, GIB, 'a bare number is GiB');
      assert.equal(bare.MemoryStartupBytes, 2 * GIB);
      cli.ok(['remove-vm', '--name', 'bare']);
    });

    it('get-vm without --json prints a table naming each VM', () => {
      const out = cli.ok(['get-vm']).out;
      assert.match(out, /^Name\s+State/m);
      assert.match(out, /^web-01\s+Off/m);
      assert.match(out, /^db-01\s+Off/m);
    });

    it('set-vm changes every setting of section 1 and prints the VM', () => {
      const location = path.join(dir, 'snapshots-elsewhere');
      fs.mkdirSync(location);
      const vm = cli.json<VmJson>([
        'set-vm',
        '--name', 'db-01',
        '--checkpoint-type', 'Standard',
        '--snapshot-file-location', location,
        '--automatic-checkpoints-enabled', 'true',
        '--backup-integration', 'false',
        '--shutdown-integration', 'false',
        '--guest-services-integration', 'false',
        '--memory', '2GiB',
        '--notes', 'lab notes',
      ]);
      assertKeys(vm, VM_KEYS);
      assert.equal(vm.CheckpointType, 'Standard');
      assert.equal(vm.SnapshotFileLocation, location);
      assert.equal(vm.AutomaticCheckpointsEnabled, true);
      assert.equal(vm.BackupIntegration, false);
      assert.equal(vm.ShutdownIntegration, false);
      assert.equal(vm.GuestServicesIntegration, false);
      assert.equal(vm.MemoryStartupBytes, 2 * GIB);
      assert.equal(vm.Notes, 'lab notes');
      const renamed = cli.json<VmJson>(['set-vm', '--name', 'db-01', '--new-name', 'db-02']);
      assert.equal(renamed.Name, 'db-02');
      assert.equal(renamed.Id, vm.Id);
      cli.fails(['get-vm', '--name', 'db-01'], 1, "No virtual machine named 'db-01' was found.");
      cli.ok(['remove-vm', '--name', 'db-02']);
    });

    it('runs the lifecycle of section 2, each command printing the VM', () => {
      const state = (args: string[]): string => cli.json<VmJson>(args).State;
      assert.equal(state(['start-vm', '--name', 'web-01']), 'Running');
      assert.equal(state(['suspend-vm', '--name', 'web-01']), 'Paused');
      assert.equal(state(['resume-vm', '--name', 'web-01']), 'Running');
      assert.equal(state(['save-vm', '--name', 'web-01']), 'Saved');
      assert.equal(state(['start-vm', '--name', 'web-01']), 'Running');
      assert.equal(state(['stop-vm', '--name', 'web-01']), 'Off', 'clean shut down by default');
      assert.equal(state(['start-vm', '--name', 'web-01']), 'Running');
      assert.equal(state(['suspend-vm', '--name', 'web-01']), 'Paused');
      assert.equal(state(['stop-vm', '--name', 'web-01', '--turn-off']), 'Off');
      assert.equal(state(['start-vm', '--name', 'web-01']), 'Running');
      assert.equal(state(['save-vm', '--name', 'web-01']), 'Saved');
      assert.equal(state(['remove-saved-state', '--name', 'web-01']), 'Off');
      assert.match(cli.ok(['start-vm', '--name', 'web-01']).out, /^web-01\s+Running/m, 'without --json: a table row');
      cli.ok(['stop-vm', '--name', 'web-01', '--turn-off']);
    });

    it('refuses transitions the table does not have: exit 1, the SPEC message, nothing changed', () => {
      cli.unchanged(() => {
        cli.fails(['suspend-vm', '--name', 'web-01'], 1, "The operation cannot be performed while the virtual machine 'web-01' is in the Off state.");
        cli.fails(['resume-vm', '--name', 'web-01'], 1, 'is in the Off state.');
        cli.fails(['stop-vm', '--name', 'web-01'], 1, 'is in the Off state.');
        cli.fails(['remove-saved-state', '--name', 'web-01'], 1, 'is in the Off state.');
      });
    });

    it('a clean shut down needs the Shutdown integration service; remove-vm refuses a Running VM', () => {
      cli.ok(['set-vm', '--name', 'web-01', '--shutdown-integration', 'false']);
      cli.ok(['start-vm', '--name', 'web-01']);
      cli.unchanged(() => {
        cli.fails(['stop-vm', '--name', 'web-01'], 1, "The virtual machine 'web-01' cannot be shut down: the Shutdown integration service is not available.");
        cli.fails(['remove-vm', '--name', 'web-01'], 1, "Turn off 'web-01' first.");
      });
      assert.equal(cli.json<VmJson>(['stop-vm', '--name', 'web-01', '--turn-off']).State, 'Off');
      cli.ok(['set-vm', '--name', 'web-01', '--shutdown-integration', 'true']);
    });
  });

  describe('bad input: a clear message, exit 1, nothing changed', () => {
    const name101 = 'x'.repeat(101);
    const cases: Array<[string, string[], string]> = [
      ['an unknown VM', ['start-vm', '--name', 'nope'], "No virtual machine named 'nope' was found."],
      ['an unknown VM for get-vm', ['get-vm', '--name', 'nope'], "No virtual machine named 'nope' was found."],
      ['an unknown VM for set-vm', ['set-vm', '--name', 'nope', '--notes', 'x'], "No virtual machine named 'nope' was found."],
      ['an unknown VM for remove-vm', ['remove-vm', '--name', 'nope'], "No virtual machine named 'nope' was found."],
      ['a duplicate name', ['new-vm', '--name', 'web-01', '--disk-size', '1GiB'], 'already exists'],
      ['a duplicate name in other case', ['new-vm', '--name', ' WEB-01 ', '--disk-size', '1GiB'], 'already exists'],
      ['a rename onto another VM', ['set-vm', '--name', 'web-01', '--new-name', 'APP-01'], 'already exists'],
      ['a name of 0 characters', ['new-vm', '--name', '', '--disk-size', '1GiB'], 'The name must be between 1 and 100 characters.'],
      ['a name of spaces only', ['new-vm', '--name', '   ', '--disk-size', '1GiB'], 'The name must be between 1 and 100 characters.'],
      ['a name of 101 characters', ['new-vm', '--name', name101, '--disk-size', '1GiB'], 'The name must be between 1 and 100 characters.'],
      ['a rename to 101 characters', ['set-vm', '--name', 'web-01', '--new-name', name101], 'The name must be between 1 and 100 characters.'],
      ['a disk of 0', ['new-vm', '--name', 'z', '--disk-size', '0'], 'The virtual disk size must be a whole number of GiB from 1 to 64'],
      ['a disk of 65GiB', ['new-vm', '--name', 'z', '--disk-size', '65GiB'], 'The virtual disk size must be a whole number of GiB from 1 to 64'],
      ['a disk of 1.5GiB', ['new-vm', '--name', 'z', '--disk-size', '1.5GiB'], 'The virtual disk size must be a whole number of GiB from 1 to 64'],
      ['memory of 16MiB', ['new-vm', '--name', 'z', '--memory', '16MiB', '--disk-size', '1GiB'], 'The startup memory must be between 32 MiB and 64 GiB'],
      ['memory of 65GiB', ['set-vm', '--name', 'web-01', '--memory', '65GiB'], 'The startup memory must be between 32 MiB and 64 GiB'],
      ['a checkpoint location that is not a folder', ['set-vm', '--name', 'web-01', '--snapshot-file-location', '/nonexistent/folder'], "The checkpoint file location '/nonexistent/folder' is not a writable folder."],
    ];
    before(() => {
      cli.newVm('app-01');
    });
    for (const [label, args, message] of cases) {
      it(label, () => {
        cli.unchanged(() => cli.fails(args, 1, message));
      });
    }

    it('a name of exactly 100 characters is accepted', () => {
      const name100 = 'y'.repeat(100);
      assert.equal(cli.json<VmJson>(['set-vm', '--name', 'app-01', '--new-name', name100]).Name, name100);
      cli.ok(['set-vm', '--name', name100, '--new-name', 'app-01']);
    });
  });

  describe('afterwards', () => {
    it('memory and generation change only while Off', () => {
      cli.ok(['start-vm', '--name', 'web-01']);
      cli.unchanged(() => cli.fails(['set-vm', '--name', 'web-01', '--memory', '2GiB'], 1, /Off|state/));
      assert.equal(cli.json<VmJson>(['set-vm', '--name', 'web-01', '--notes', 'running notes']).Notes, 'running notes', 'notes change in any state');
      cli.ok(['stop-vm', '--name', 'web-01', '--turn-off']);
    });

    it('remove-vm deletes the VM and its files', () => {
      const vm = cli.vm('app-01');
      const removed = cli.json<VmJson>(['remove-vm', '--name', 'app-01']);
      assert.equal(removed.Id, vm.Id);
      assert.deepEqual(cli.vms().map((v) => v.Name), ['web-01']);
      const leftovers: string[] = [];
      const walk = (d: string): void => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
          const full = path.join(d, entry.name);
          if (entry.name.includes(vm.Id)) leftovers.push(full);
          if (entry.isDirectory()) walk(full);
        }
      };
      walk(cli.store);
      assert.deepEqual(leftovers, [], 'no file or folder of the removed VM remains');
    });
  });
});
