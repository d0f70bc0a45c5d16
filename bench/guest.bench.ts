/**
 * Guest file-system benchmark (issue 4): the same work on ext2fs over a plain memory
 * disk, on the host file system (fs.promises in a tmp dir), and - once the disk store
 * lands - on ext2fs over the lab store, side by side in one run. Each figure prints one
 * line with every column and the ratios that matter.
 *
 * Extra columns come in through `options.devices`: a factory that returns a fresh
 * BlockDevice of the asked size plus a `commit()` that makes it durable (the store's
 * commit). Every bulk figure ends with one sync()+commit, as a CLI command would.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BlockDevice, MemoryBlockDevice } from '../src/engine/disk/blockDevice';
import { formatDisk, GIB } from '../src/engine/guest/format';
import { GuestFs } from '../src/engine/guest/guestFs';

export interface BenchDevice {
  device: BlockDevice;
  /** Makes the device's writes durable (the store's commit); memory: nothing. */
  commit(): Promise<void> | void;
  dispose?(): Promise<void> | void;
}

export interface BenchColumn {
  name: string;
  create(capacity: number): Promise<BenchDevice> | BenchDevice;
}

export interface GuestBenchOptions {
  /** Extra ext2fs columns, e.g. { name: 'lab store', create: ... }. */
  devices?: BenchColumn[];
  /** Scale factor for quick runs (1 = the sizes). */
  scale?: number;
  log?: (line: string) => void;
}

interface Target {
  name: string;
  writeFile(p: string, data: Buffer): Promise<void>;
  readFile(p: string): Promise<Buffer>;
  mkdirp(p: string): Promise<void>;
  /** Durability point: sync + commit for ext2fs, fsync of touched files for the host. */
  durable(): Promise<void>;
  dispose(): Promise<void>;
}

const MIB = 1024 * 1024;

async function ext2Target(name: string, bench: BenchDevice): Promise<Target> {
  formatDisk(bench.device, bench.device.capacity / GIB);
  const guest = await GuestFs.mount(bench.device, { label: `'${name}'` });
  return {
    name,
    writeFile: (p, data) => guest.writeFile(p, data),
    readFile: (p) => guest.readFile(p),
    mkdirp: (p) => guest.mkdir(p, { parents: true }),
    durable: async () => {
      await guest.sync();
      await bench.commit();
    },
    dispose: async () => {
      await guest.unmount();
      await bench.dispose?.();
    },
  };
}

async function hostTarget(): Promise<Target> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'guest-bench-'));
  const touched = new Set<string>();
  return {
    name: 'host fs',
    writeFile: async (p, data) => {
      await fsp.writeFile(path.join(root, p), data);
      touched.add(p);
    },
    readFile: (p) => fsp.readFile(path.join(root, p)),
    mkdirp: async (p) => {
      await fsp.mkdir(path.join(root, p), { recursive: true });
    },
    durable: async () => {
      for (const p of touched) {
        const h = await fsp.open(path.join(root, p), 'r');
        await h.sync();
        await h.close();
      }
      touched.clear();
    },
    dispose: () => fsp.rm(root, { recursive: true, force: true }),
  };
}

async function time(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function main(options: GuestBenchOptions = {}): Promise<Record<string, Record<string, number>>> {
  const log = options.log ?? ((line: string) => console.log(line));
  const scale = options.scale ?? 1;
  // By default the lab store sits beside the memory disk (issue 4's ratio: store / memory).
  const extra = options.devices ?? [(require('./labStoreColumn') as typeof import('./labStoreColumn')).labStoreColumn];
  const columns: BenchColumn[] = [{ name: 'ext2fs on memory', create: (capacity) => ({ device: new MemoryBlockDevice(capacity), commit: () => undefined }) }, ...extra];
  const results: Record<string, Record<string, number>> = {};
  const record = (figure: string, target: string, value: number) => ((results[figure] ??= {})[target] = value);

  const bigMiB = Math.max(1, Math.round(100 * scale));
  const smallCount = Math.max(10, Math.round(2000 * scale));
  const treeFiles = Math.max(10, Math.round(5000 * scale));
  const chunk = Buffer.alloc(MIB);
  for (let i = 0; i < chunk.length; i += 8) chunk.writeDoubleLE(Math.random(), i);
  const small = Buffer.alloc(4096, 7);
  const treeFile = Buffer.alloc(10 * 1000, 3); // 5,000 x 10 kB = 50 MB

  const makeTargets = async (): Promise<Target[]> => {
    const targets: Target[] = [];
    for (const column of columns) targets.push(await ext2Target(column.name, await column.create(4 * GIB)));
    targets.push(await hostTarget());
    return targets;
  };

  let targets = await makeTargets();
  for (const t of targets) {
    // Sequential 1 MiB writes of 100 MiB (one file, 1 MiB at a time), then one durable point.
    const writeMs = await time(async () => {
      const whole = Buffer.alloc(bigMiB * MIB);
      for (let i = 0; i < bigMiB; i++) chunk.copy(whole, i * MIB);
      await t.writeFile('/big.bin', whole);
      await t.durable();
    });
    record('sequential write 100 MiB (MB/s)', t.name, (bigMiB * MIB) / 1e6 / (writeMs / 1000));
    const readMs = await time(async () => {
      await t.readFile('/big.bin');
    });
    record('sequential read 100 MiB (MB/s)', t.name, (bigMiB * MIB) / 1e6 / (readMs / 1000));
    await t.mkdirp('/small');
    const smallMs = await time(async () => {
      for (let i = 0; i < smallCount; i++) await t.writeFile(`/small/f${i}.dat`, small);
      await t.durable();
    });
    record('2,000 files of 4 KiB (files/s)', t.name, smallCount / (smallMs / 1000));
    const latencies: number[] = [];
    for (let i = 0; i < 30; i++) {
      latencies.push(
        await time(async () => {
          await t.writeFile('/latency.txt', small);
          await t.durable();
          await t.readFile('/latency.txt');
        }),
      );
    }
    record('durable 4 KiB write-then-read median (ms)', t.name, median(latencies));
  }
  for (const t of targets) await t.dispose();

  targets = await makeTargets();
  for (const t of targets) {
    const copyMs = await time(async () => {
      for (let d = 0; d < treeFiles / 50; d++) {
        await t.mkdirp(`/tree/d${d}`);
        for (let f = 0; f < 50; f++) await t.writeFile(`/tree/d${d}/f${f}.txt`, treeFile);
      }
      await t.durable();
    });
    record('copy 5,000 files / 50 MB into a guest (s)', t.name, copyMs / 1000);
  }
  for (const t of targets) await t.dispose();

  const base = columns[0].name;
  const higherIsBetter = (figure: string) => figure.includes('/s)');
  for (const [figure, values] of Object.entries(results)) {
    const cells = Object.entries(values).map(([name, v]) => `${name} ${v.toFixed(v < 10 ? 2 : 0)}`);
    const ratios: string[] = [];
    for (const name of Object.keys(values)) {
      if (name === base) continue;
      const r = higherIsBetter(figure) ? values[name] / values[base] : values[base] / values[name];
      ratios.push(`${name}/${base} ${r.toFixed(2)}`);
    }
    log(`guest: ${figure}: ${cells.join(' | ')} | ratio (speed) ${ratios.join(', ')}`);
  }
  return results;
}

if (require.main === module) {
  const scale = Number(process.env.GUEST_BENCH_SCALE ?? '1');
  main({ scale }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
