/** Data fixtures shared by tests and benchmarks that draw the view without a lab. */
import type { VmInfo } from '../../src/engine/model';

/** A VmInfo with the SPEC section 1 defaults (Off, generation 2, 1 GiB memory, 4 GiB disk), overridden by `fields`. */
export function vmInfoFixture(fields: Partial<VmInfo> = {}): VmInfo {
  return {
    Id: 'v',
    Name: 'v',
    State: 'Off',
    Status: 'Ok',
    Generation: 2,
    GuestOs: 'linux',
    MemoryStartupBytes: 1024 ** 3,
    DiskSizeBytes: 4 * 1024 ** 3,
    CheckpointType: 'Production',
    SnapshotFileLocation: '/tmp',
    AutomaticCheckpointsEnabled: false,
    BackupIntegration: true,
    ShutdownIntegration: true,
    GuestServicesIntegration: true,
    ParentCheckpointId: null,
    ParentCheckpointName: null,
    Notes: '',
    ...fields,
  };
}
