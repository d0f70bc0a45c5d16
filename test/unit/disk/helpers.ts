import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Store } from '../../../src/engine/store/store';
import type { Io } from '../../../src/engine/store/io';
import { BLOCK_SIZE, VmDisks, type VmDisksOptions } from '../../../src/engine/disk/vmDisks';

export const GiB = 1024 ** 3;
export const VM = '11111111-2222-3333-4444-555555555555';

export function scratch(prefix = 'clab-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function cleanup(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export function counterGuid(start = 0): () => string {
  let next = start;
  return () => `00000000-0000-0000-0000-${(next++).toString(16).padStart(12, '0')}`;
}

export async function newLab(root: string, capacity = GiB, options: VmDisksOptions & { io?: Io } = {}): Promise<{ store: Store; disks: VmDisks }> {
  const store = await Store.open(root, { io: options.io });
  let disks!: VmDisks;
  store.commit((tx) => {
    disks = VmDisks.create(store, tx, VM, capacity, options);
  });
  return { store, disks };
}

export function fill(seed: number, length: number): Buffer {
  const data = Buffer.alloc(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data.writeUInt32LE(x >>> 0, i);
  }
  return data;
}

export function readAll(disks: VmDisks, file: string, length: number, position = 0): Buffer {
  const out = Buffer.alloc(length);
  disks.device(file, 'ro').read(out, 0, length, position);
  return out;
}

/** Every disk's readable content as a digest of its allocated ranges (zeros excluded), plus the tree. */
export function snapshot(disks: VmDisks): string {
  const crypto = require('node:crypto') as typeof import('node:crypto');
  const out: Record<string, unknown> = {};
  for (const info of disks.list().sort((a, b) => a.file.localeCompare(b.file))) {
    const device = disks.device(info.file, 'ro');
    const hash = crypto.createHash('sha256');
    for (const range of device.allocatedRanges()) {
      const data = Buffer.alloc(range.length);
      device.read(data, 0, range.length, range.position);
      for (let at = 0; at < data.length; at += BLOCK_SIZE) {
        const block = data.subarray(at, at + BLOCK_SIZE);
        if (block.some((byte) => byte !== 0)) hash.update(`${range.position + at}:`).update(block);
      }
    }
    out[info.file] = { parent: info.parent, frozen: info.frozen, data: hash.digest('hex').slice(0, 16) };
  }
  return JSON.stringify(out);
}
