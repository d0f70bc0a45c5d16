import { strict as assert } from 'node:assert';
import type { VmInfo } from '../../../src/engine/model';
import { formOf, LOCATION_LOCKED_REASON, vmViewOf } from '../../../src/webview/viewModel';

const vm: VmInfo = {
  Id: 'id-1',
  Name: 'web-01',
  State: 'Off',
  Status: 'Ok',
  Generation: 2,
  GuestOs: 'linux',
  MemoryStartupBytes: 1024 ** 3,
  DiskSizeBytes: 4 * 1024 ** 3,
  CheckpointType: 'ProductionOnly',
  SnapshotFileLocation: '/store/Snapshots',
  AutomaticCheckpointsEnabled: false,
  BackupIntegration: true,
  ShutdownIntegration: false,
  GuestServicesIntegration: true,
  ParentCheckpointId: null,
  ParentCheckpointName: null,
  Notes: 'n',
};

describe('Settings page: what the page is shown', () => {
  it('shows the VM as form values (memory in MB, the type as controls)', () => {
    assert.deepEqual(formOf(vm), {
      name: 'web-01',
      notes: 'n',
      checkpoints: { enabled: true, kind: 'Production', fallbackToStandard: false },
      snapshotFileLocation: '/store/Snapshots',
      automaticCheckpoints: false,
      backup: true,
      shutdown: false,
      guestServices: true,
      memoryMiB: 1024,
    });
    assert.deepEqual(formOf({ ...vm, CheckpointType: 'Disabled' }, { kind: 'Standard', fallbackToStandard: true }).checkpoints, {
      enabled: false,
      kind: 'Standard',
      fallbackToStandard: true,
    });
  });

  it('locks the location while the VM has checkpoints (R22) and memory unless Off, with the reasons', () => {
    const free = vmViewOf({ vm, CheckpointCount: 0 }, '/store/Snapshots');
    assert.deepEqual(free.locked, {});
    const busy = vmViewOf({ vm: { ...vm, State: 'Running' }, CheckpointCount: 2 }, '/store/Snapshots');
    assert.equal(busy.locked.snapshotFileLocation, LOCATION_LOCKED_REASON);
    assert.equal(LOCATION_LOCKED_REASON, 'The checkpoint file location cannot be changed while the virtual machine has checkpoints.');
    assert.equal(busy.locked.memoryMiB, "Memory can be changed only while the virtual machine is Off; 'web-01' is Running.");
    assert.equal(busy.checkpointCount, 2);
    const missing = vmViewOf({ vm: { ...vm, Status: 'Missing' }, CheckpointCount: 0 }, '/store/Snapshots');
    assert.match(missing.locked.all ?? '', /missing or damaged/);
  });
});
