/**
 * Disk store benchmarks (issue 3): one line per figure, measured side by side in one run.
 *   npx tsx bench/disk.bench.ts        (npm run bench calls main())
 * BENCH_QUICK=1 shrinks the big sizes for a smoke run; BENCH_ONLY=checkpoint,merge,read,sequential,space picks figures.
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { NodeIo } from '../src/engine/store/io';
import { Store } from '../src/engine/store/store';
import { BLOCK_SIZE, VmDisks } from '../src/engine/disk/vmDisks';
import type { BlockDevice } from '../src/engine/disk/blockDevice';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const VM = 'bench-vm';
const quick = process.env.BENCH_QUICK === '1';
const BIG = quick ? 128 * MiB : GiB;
const SEQ = quick ? 64 * MiB : 256 * MiB;

/** Counts data bytes written into block pools (to show that merges copy none). */
class CountingIo extends NodeIo {
  poolBytes = 0;
  override pwrite(file: string, position: number, data: Uint8Array | readonly Uint8Array[]): void {
    if (file.endsWith('blocks.pool')) this.poolBytes += data instanceof Uint8Array ? data.length : data.reduce((sum, part) => sum + part.length, 0);
    super.pwrite(file, position, data);
  }
  override writeFile(file: string, data: Uint8Array): void {
    if (file.endsWith('blocks.pool')) this.poolBytes += data.length;
    super.writeFile(file, data);
  }
}

interface Lab {
  dir: string;
  store: Store;
  disks: VmDisks;
  io: CountingIo;
}

async function newLab(): Promise<Lab> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clab-bench-'));
  const io = new CountingIo();
  const store = await Store.open(dir, { io });
  let disks!: VmDisks;
  store.commit((tx) => {
    disks = VmDisks.create(store, tx, VM, 64 * GiB);
  });
  return { dir, store, disks, io };
}

function dispose(lab: Lab): void {
  lab.disks.close();
  fs.rmSync(lab.dir, { recursive: true, force: true });
}

function nowOf(disks: VmDisks): string {
  return disks.list().find((d) => !d.frozen)!.file;
}

let seed = 12345;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}

function chunk(size: number, tag: number): Buffer {
  const data = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; at += 8) data.writeDoubleLE(tag * 1e6 + at + random(), at);
  return data;
}

/** Writes `bytes` sequentially from `start` in 1 MiB requests and commits. */
function writeSequential(lab: Lab, device: BlockDevice, bytes: number, start = 0): void {
  const data = chunk(MiB, 1);
  for (let at = 0; at < bytes; at += MiB) {
    data.writeUInt32LE(at / MiB, 0);
    device.write(data, 0, MiB, start + at);
  }
  lab.store.commit((tx) => lab.disks.commitWrites(tx));
}

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/**
 * Before a timed step, on both sides of a ratio: collect the setup's garbage (a GiB of written
 * buffers) and let the host write back the setup's data, so the step does not pay for them.
 */
function settle(): void {
  collectGarbage();
  try {
    execSync('sync');
  } catch {
    // no sync(1): measure anyway
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
const now = (): number => performance.now();

function line(text: string): void {
  console.log(text);
}

async function checkpointLatency(): Promise<void> {
  const sizes = [16 * MiB, BIG];
  const labs: Lab[] = [];
  for (const size of sizes) {
    const lab = await newLab();
    writeSequential(lab, lab.disks.device('disk0.vhdx', 'rw'), size);
    labs.push(lab);
  }
  settle();
  // Both chains exist side by side, settled once after their setup, and take turns (small,
  // big, small, big, ...): a checkpoint is ~8 fsyncs, so load on the shared machine that comes
  // and goes would otherwise land on one side only (the ratio ranged 0.85-4.8 when all 20
  // small checkpoints ran first). Profiled: the freeze itself costs ~0.2 ms on either chain.
  // One settle() after the setup is enough: between steps there is only a 4 KiB write, and
  // each step's own fsyncs leave nothing of ours to write back.
  const times = sizes.map((): number[] => []);
  for (let i = 0; i < 20; i++) {
    for (const [side, lab] of labs.entries()) {
      const file = nowOf(lab.disks);
      lab.disks.device(file, 'rw').write(chunk(BLOCK_SIZE, i), 0, BLOCK_SIZE, Math.floor(random() * (sizes[side] / BLOCK_SIZE)) * BLOCK_SIZE);
      const t0 = now();
      lab.store.commit((tx) => lab.disks.freeze(tx, file));
      times[side].push(now() - t0);
    }
  }
  for (const lab of labs) dispose(lab);
  const [small, big] = times.map(median);
  line(`checkpoint latency (freeze+commit after a 4 KiB write, median of 20): 16 MiB chain ${ms(small)}, ${mib(BIG)} chain ${ms(big)}, ratio ${(big / small).toFixed(2)} (target <= 1.5)`);
}

async function mergeLatency(): Promise<void> {
  const sizes = [16 * MiB, BIG];
  const times = sizes.map((): number[] => []);
  const copied = sizes.map(() => 0);
  // The two sizes take turns (small, big, small, big, ...) rather than all small runs first:
  // the machine is shared, and load that comes and goes then lands on both sides alike.
  for (let run = 0; run < 5; run++) {
    for (const [side, size] of sizes.entries()) {
      const lab = await newLab();
      const device = lab.disks.device('disk0.vhdx', 'rw');
      writeSequential(lab, device, 4 * MiB); // base data (root checkpoint A)
      lab.store.commit((tx) => lab.disks.freeze(tx, 'disk0.vhdx'));
      const changed = nowOf(lab.disks);
      writeSequential(lab, device, size, 0); // the checkpoint's differencing disk: `size` of changed blocks
      lab.store.commit((tx) => lab.disks.freeze(tx, changed)); // checkpoint B -> changed
      device.write(chunk(BLOCK_SIZE, 9), 0, BLOCK_SIZE, 0);
      lab.store.commit((tx) => lab.disks.commitWrites(tx));
      // The lab knows which disk is Now's from its own records; looking it up here with
      // list() is bench bookkeeping, so it stays outside the timed region.
      const referenced = new Set(['disk0.vhdx', nowOf(lab.disks)]);
      settle();
      const before = lab.io.poolBytes;
      const t0 = now();
      // delete checkpoint B: its disk merges with its one child (Now)
      lab.store.commit((tx) => lab.disks.collapse(tx, referenced));
      times[side].push(now() - t0);
      copied[side] += lab.io.poolBytes - before + lab.disks.copiedDataBytes;
      dispose(lab);
    }
  }
  const [small, big] = times.map(median);
  line(
    `merge latency (delete a checkpoint whose disk holds N changed, median of 5): 16 MiB ${ms(small)}, ${mib(BIG)} ${ms(big)}, ratio ${(big / small).toFixed(2)} (target <= 1.5); data bytes copied: ${copied[0]} and ${copied[1]} (target 0)`,
  );
}

async function readThroughput(): Promise<void> {
  const dataBytes = 64 * MiB;
  const flat = await newLab();
  writeSequential(flat, flat.disks.device('disk0.vhdx', 'rw'), dataBytes);
  const deep = await newLab();
  writeSequential(deep, deep.disks.device('disk0.vhdx', 'rw'), dataBytes);
  for (let depth = 0; depth < 50; depth++) {
    const file = nowOf(deep.disks);
    const device = deep.disks.device(file, 'rw');
    for (let i = 0; i < 40; i++) device.write(chunk(BLOCK_SIZE, depth), 0, BLOCK_SIZE, Math.floor(random() * (dataBytes / BLOCK_SIZE)) * BLOCK_SIZE);
    deep.store.commit((tx) => deep.disks.freeze(tx, file));
  }
  const measure = (lab: Lab): number => {
    const device = lab.disks.device(nowOf(lab.disks), 'ro');
    const buffer = Buffer.alloc(BLOCK_SIZE);
    const blocks = dataBytes / BLOCK_SIZE;
    device.read(buffer, 0, BLOCK_SIZE, 0); // builds the view once
    let count = 0;
    const t0 = now();
    while (now() - t0 < 400) {
      for (let i = 0; i < 1000; i++) device.read(buffer, 0, BLOCK_SIZE, Math.floor(random() * blocks) * BLOCK_SIZE);
      count += 1000;
    }
    return count / ((now() - t0) / 1000);
  };
  const flatRates: number[] = [];
  const deepRates: number[] = [];
  for (let round = 0; round < 3; round++) {
    flatRates.push(measure(flat));
    deepRates.push(measure(deep));
  }
  const f = median(flatRates);
  const d = median(deepRates);
  line(`4 KiB random reads: depth 0 ${(f / 1000).toFixed(0)}k/s, depth 50 ${(d / 1000).toFixed(0)}k/s, ratio ${(d / f).toFixed(2)} (target >= 0.9)`);
  dispose(flat);
  dispose(deep);
}

async function sequentialWrite(): Promise<void> {
  const data = chunk(MiB, 3);
  const diskRun = async (bytes: number): Promise<number> => {
    const lab = await newLab();
    const device = lab.disks.device('disk0.vhdx', 'rw');
    settle();
    const t0 = now();
    for (let at = 0; at < bytes; at += MiB) device.write(data, 0, MiB, at);
    lab.store.commit((tx) => lab.disks.commitWrites(tx)); // ends with fsync
    const time = now() - t0;
    dispose(lab);
    return time;
  };
  const hostRun = (bytes: number): number => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clab-bench-host-'));
    const fd = fs.openSync(path.join(dir, 'host.bin'), 'w');
    settle();
    const t0 = now();
    for (let at = 0; at < bytes; at += MiB) fs.writeSync(fd, data, 0, MiB, at);
    fs.fsyncSync(fd);
    const time = now() - t0;
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
    return time;
  };
  // Untimed warm-up of both sides: the first pass through the disk's write and commit code
  // runs unoptimised (fs.writeSync has nothing to warm up), and with an even number of runs
  // the median would have been that cold run. Each timed side then starts from a settled
  // host (settle(): the previous side's 256 MiB written back and its deleted file's blocks
  // released), so neither pays for the other's writeback.
  await diskRun(32 * MiB);
  hostRun(32 * MiB);
  const runs: Array<{ disk: number; host: number }> = [];
  for (let round = 0; round < 3; round++) runs.push({ disk: await diskRun(SEQ), host: hostRun(SEQ) });
  const disk = median(runs.map((r) => r.disk));
  const host = median(runs.map((r) => r.host));
  const rate = (t: number): string => `${(SEQ / MiB / (t / 1000)).toFixed(0)} MiB/s`;
  line(`sequential 1 MiB writes of ${mib(SEQ)} + fsync (median of 3): virtual disk ${rate(disk)}, host file ${rate(host)}, ratio ${(host / disk).toFixed(2)} (target >= 0.5)`);
}

function apparentBytes(dir: string): number {
  let total = 0;
  const walk = (at: string): void => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else total += fs.statSync(full).size;
    }
  };
  walk(dir);
  return total;
}

async function space(): Promise<void> {
  const lab = await newLab();
  const dataBytes = 64 * MiB;
  writeSequential(lab, lab.disks.device('disk0.vhdx', 'rw'), dataBytes);
  let unique = dataBytes;
  const changePerCheckpoint = Math.floor(dataBytes / 100 / BLOCK_SIZE);
  for (let i = 0; i < 20; i++) {
    const file = nowOf(lab.disks);
    lab.store.commit((tx) => lab.disks.freeze(tx, file));
    const device = lab.disks.device(nowOf(lab.disks), 'rw');
    const touched = new Set<number>();
    while (touched.size < changePerCheckpoint) touched.add(Math.floor(random() * (dataBytes / BLOCK_SIZE)));
    for (const block of touched) device.write(chunk(BLOCK_SIZE, i), 0, BLOCK_SIZE, block * BLOCK_SIZE);
    lab.store.commit((tx) => lab.disks.commitWrites(tx));
    unique += touched.size * BLOCK_SIZE;
  }
  const apparent = apparentBytes(lab.dir);
  line(`store apparent bytes after 20 checkpoints with 1% change each: ${mib(apparent)} for ${mib(unique)} unique bytes written, ratio ${(apparent / unique).toFixed(3)} (target <= 1.1)`);
  const before = apparentBytes(lab.dir);
  const file = nowOf(lab.disks);
  lab.store.commit((tx) => lab.disks.freeze(tx, file));
  const added = apparentBytes(lab.dir) - before;
  line(`apparent bytes added by a checkpoint of an unchanged disk: ${added} bytes (target <= 16384)`);
  dispose(lab);
}

export async function main(): Promise<void> {
  console.log(`disk store benchmarks${quick ? ' (BENCH_QUICK: big size ' + mib(BIG) + ')' : ''}`);
  const only = process.env.BENCH_ONLY; // e.g. BENCH_ONLY=sequential
  const figures: Array<[string, () => Promise<void>]> = [
    ['checkpoint', checkpointLatency],
    ['merge', mergeLatency],
    ['read', readThroughput],
    ['sequential', sequentialWrite],
    ['space', space],
  ];
  for (const [name, run] of figures) if (!only || only.split(',').includes(name)) await run();
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
