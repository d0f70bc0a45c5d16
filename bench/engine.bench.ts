/**
 * Engine facade benchmarks (figures for issue 5):
 *   - checkpoint and apply median latency (fsyncs included, on the scratch disk under os.tmpdir())
 *     on a VM with 1 GiB written, side by side with a VM with 16 MiB written: ratio;
 *   - listCheckpoints over 50 VMs x 50 checkpoints in-process (the CLI bench times the process);
 *   - listFiles of a 1,000-entry guest folder and a 4 KiB read of a checkpoint's file, cold
 *     (the first call of a freshly opened Lab: disks loaded, file system mounted) and warm.
 *   npx tsx bench/engine.bench.ts        (npm run bench calls main())
 *   npx tsx bench/engine.bench.ts guest  (only the guest listing/read figures)
 * BENCH_ENGINE_SAMPLES (default 20) sets the samples per median.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Lab } from '../src/engine';

const MIB = 1024 * 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** A VM with `bytes` of guest data written through the facade (1 MiB files in one editFiles batch per 64 MiB). */
async function vmWithData(lab: Lab, name: string, bytes: number): Promise<void> {
  await lab.createVm({ name, diskSizeGiB: 4 });
  const chunk = Buffer.alloc(MIB);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  const files = bytes / MIB;
  for (let first = 0; first < files; first += 64) {
    await lab.editFiles(name, async (guest) => {
      for (let i = first; i < Math.min(files, first + 64); i++) {
        chunk.writeUInt32LE(i, 0);
        await guest.writeFile(`/data/f${i}.bin`, chunk, { createParents: true });
      }
    });
  }
}

/**
 * Each operation is timed alone: pending work of the previous one (the R30 usage refresh,
 * a coalesced follow-up commit) is settled first and timed separately as "usage".
 */
async function checkpointAndApply(lab: Lab, name: string, samples: number): Promise<Record<'checkpoint' | 'apply' | 'remove' | 'usage', number>> {
  const times = { checkpoint: [] as number[], apply: [] as number[], remove: [] as number[], usage: [] as number[] };
  const settle = async (): Promise<void> => {
    const t = process.hrtime.bigint();
    await lab.listVms(); // waits for the usage refresh of the operation before
    times.usage.push(ms(t));
  };
  for (let i = 0; i < samples; i++) {
    let t = process.hrtime.bigint();
    const { checkpoint: cp } = await lab.checkpoint(name, { name: `bench-${i}` });
    times.checkpoint.push(ms(t));
    await settle();
    t = process.hrtime.bigint();
    await lab.apply(name, cp.Id);
    times.apply.push(ms(t));
    await settle();
    t = process.hrtime.bigint();
    await lab.removeCheckpoint(name, cp.Id);
    times.remove.push(ms(t));
    await settle();
  }
  return { checkpoint: median(times.checkpoint), apply: median(times.apply), remove: median(times.remove), usage: median(times.usage) };
}

/** listFiles of a 1,000-entry folder and a 4 KiB checkpoint read, cold and warm (medians). */
async function guestListAndRead(root: string, samples: number): Promise<void> {
  const dir = path.join(root, 'guest');
  const setup = await Lab.open(dir);
  await setup.createVm({ name: 'files', diskSizeGiB: 4 });
  await setup.editFiles('files', async (guest) => {
    await guest.mkdir('/many');
    for (let i = 0; i < 1000; i++) await guest.writeFile(`/many/file-${String(i).padStart(4, '0')}.txt`, `content ${i}`);
  });
  const page = Buffer.alloc(4096, 7);
  await setup.writeFile('files', '/page.bin', page);
  const { checkpoint } = await setup.checkpoint('files', { name: 'bench' });
  await setup.close();
  const cold = { list: [] as number[], read: [] as number[] };
  const warm = { list: [] as number[], read: [] as number[] };
  let entries = 0;
  for (let i = 0; i < samples; i++) {
    for (const what of ['list', 'read'] as const) {
      const lab = await Lab.open(dir);
      const once = async (): Promise<number> => {
        const t = process.hrtime.bigint();
        if (what === 'list') entries = (await lab.listFiles('files', '/many')).length;
        else if ((await lab.readFile('files', '/page.bin', { checkpoint: checkpoint.Id })).length !== 4096) throw new Error('short read');
        return ms(t);
      };
      cold[what].push(await once());
      for (let j = 0; j < 3; j++) warm[what].push(await once());
      await lab.close();
    }
  }
  console.log(`engine listFiles of a ${entries}-entry folder: cold ${median(cold.list).toFixed(2)} ms, warm ${median(warm.list).toFixed(2)} ms (target < 50 ms)`);
  console.log(`engine 4 KiB read of a checkpoint's file: cold ${median(cold.read).toFixed(2)} ms, warm ${median(warm.read).toFixed(2)} ms, ratio ${(median(cold.read) / median(warm.read)).toFixed(1)}`);
}

export async function main(): Promise<void> {
  const samples = Number(process.env.BENCH_ENGINE_SAMPLES ?? 20);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'clab-engine-bench-'));
  try {
    await guestListAndRead(root, samples);
    if (process.argv[2] === 'guest') return;
    const lab = await Lab.open(root);
    await vmWithData(lab, 'small', 16 * MIB);
    await vmWithData(lab, 'large', 1024 * MIB);
    const small = await checkpointAndApply(lab, 'small', samples);
    const large = await checkpointAndApply(lab, 'large', samples);
    const line = (what: 'checkpoint' | 'apply' | 'remove' | 'usage', target?: number) =>
      console.log(
        `engine ${what} median (fsync incl.): 1 GiB written ${large[what].toFixed(2)} ms, 16 MiB written ${small[what].toFixed(2)} ms, ratio ${(large[what] / small[what]).toFixed(2)}${target ? ` (target < ${target} ms)` : ''}`,
      );
    line('checkpoint', 20);
    line('apply', 20);
    line('remove');
    line('usage');
    await lab.close();

    // 50 VMs x 50 checkpoints, built through the facade (small disks, no data)
    const listRoot = path.join(root, 'list');
    const big = await Lab.open(listRoot);
    for (let v = 0; v < 50; v++) {
      const name = `vm-${String(v).padStart(2, '0')}`;
      await big.createVm({ name, diskSizeGiB: 1 });
      for (let c = 0; c < 50; c++) await big.checkpoint(name, { name: `cp-${c}` });
    }
    await big.close();
    const listTimes: number[] = [];
    let count = 0;
    for (let i = 0; i < samples; i++) {
      const t = process.hrtime.bigint();
      const fresh = await Lab.open(listRoot);
      count = (await fresh.listCheckpoints()).length;
      listTimes.push(ms(t));
      await fresh.close();
    }
    const cached = await Lab.open(listRoot);
    await cached.listCheckpoints();
    const warm: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = process.hrtime.bigint();
      await cached.listCheckpoints();
      warm.push(ms(t));
    }
    await cached.close();
    console.log(`engine listCheckpoints 50 VMs x 50 checkpoints (${count}): open + list ${median(listTimes).toFixed(2)} ms, cached list ${median(warm).toFixed(2)} ms (whole CLI process: see cli.bench, target < 300 ms)`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
