/**
 * The "lab store" column of the guest benchmark: ext2fs over a real VM disk of the
 * store (block maps, block pool, journal), committed the way the engine commits a
 * guest operation. Beside "ext2fs on memory" it shows what the store itself costs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmDisks } from '../src/engine/disk/vmDisks';
import { Store } from '../src/engine/store/store';
import type { BenchColumn, BenchDevice } from './guest.bench';

export const labStoreColumn: BenchColumn = {
  name: 'ext2fs on lab store',
  async create(capacity: number): Promise<BenchDevice> {
    const root = mkdtempSync(join(tmpdir(), 'checkpoint-lab-guest-bench-'));
    const store = await Store.open(root);
    let disks!: VmDisks;
    store.commit((tx) => {
      disks = VmDisks.create(store, tx, 'bench-vm', capacity);
    });
    const device = disks.device('disk0.vhdx', 'rw');
    return {
      device,
      commit: () => store.commit((tx) => disks.commitWrites(tx)),
      dispose: () => {
        disks.close();
        rmSync(root, { recursive: true, force: true });
      },
    };
  },
};
