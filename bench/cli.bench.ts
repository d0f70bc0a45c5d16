/**
 * CLI bench: whole-process time of `node dist/cli.js ...`, as a user's terminal or a script
 * pays it (Node startup, bundle load, store open, output).
 *   - get-vmsnapshot --json over 50 VMs x 50 checkpoints (target < 300 ms, issue 5)
 *   - get-vm --json on the same store
 *   - checkpoint-vm (a VM with one more checkpoint each run; removed again afterwards)
 * The store is built through the engine facade. Median of 5 runs each, with the ratio to a
 * bare `node -e 0` so the CLI's own cost is visible, and the child's CPU time (user + sys, via
 * /usr/bin/time) because wall time swings on a shared machine.
 * Env: CLI_BENCH_VMS, CLI_BENCH_CHECKPOINTS (default 50 x 50), CLI_BENCH_RUNS (default 5),
 * CLI_BENCH_NO_BUILD=1 to use the dist/cli.js already built, CLI_BENCH_STORE=DIR to keep the
 * built store there and reuse it on the next run (building 50 x 50 takes a while).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Lab } from '../src/engine';

const REPO = path.resolve(__dirname, '..');
const CLI = path.join(REPO, 'dist', 'cli.js');
const TARGET_MS = 300;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const TIME_BIN = '/usr/bin/time';
const hasTime = fs.existsSync(TIME_BIN);

interface Sample {
  wallMs: number;
  /** user + sys CPU of the child (NaN without /usr/bin/time): steadier than wall time on a busy machine. */
  cpuMs: number;
}

/** One whole process; throws when it fails. */
function timeProcess(args: string[], check?: (stdout: Buffer) => void): Sample {
  const cpuFile = path.join(os.tmpdir(), `cli-bench-cpu-${process.pid}`);
  const [command, commandArgs] = hasTime ? [TIME_BIN, ['-f', '%U %S', '-o', cpuFile, process.execPath, ...args]] : [process.execPath, args];
  const start = process.hrtime.bigint();
  const result = spawnSync(command, commandArgs, { cwd: REPO, maxBuffer: 512 * 1024 * 1024, env: { ...process.env, CHECKPOINT_LAB_STORE: '' } });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr?.toString()}`);
  check?.(result.stdout);
  let cpuMs = Number.NaN;
  if (hasTime) {
    const [user, sys] = fs.readFileSync(cpuFile, 'utf8').trim().split(/\s+/).map(Number);
    cpuMs = (user + sys) * 1000;
    fs.rmSync(cpuFile, { force: true });
  }
  return { wallMs, cpuMs };
}

function measure(runs: number, args: string[], check?: (stdout: Buffer) => void, between?: () => void): Sample {
  timeProcess(args, check); // warm the file cache
  between?.();
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    samples.push(timeProcess(args, check));
    between?.();
  }
  return { wallMs: median(samples.map((s) => s.wallMs)), cpuMs: median(samples.map((s) => s.cpuMs)) };
}

function describe(sample: Sample, floor: Sample): string {
  const cpu = Number.isNaN(sample.cpuMs) ? '' : `, CPU ${sample.cpuMs.toFixed(0)} ms`;
  return `${sample.wallMs.toFixed(0)} ms wall${cpu} (median) | ratio to node floor ${(sample.wallMs / floor.wallMs).toFixed(2)}`;
}

async function buildStore(store: string, vms: number, checkpoints: number, log: (line: string) => void): Promise<void> {
  const start = Date.now();
  const lab = await Lab.open(store);
  try {
    for (let v = 0; v < vms; v++) {
      const name = `vm-${String(v).padStart(2, '0')}`;
      await lab.createVm({ name, diskSizeGiB: 1 });
      for (let c = 0; c < checkpoints; c++) await lab.checkpoint({ name }, { name: `${name} checkpoint ${c}` });
    }
  } finally {
    await lab.close();
  }
  log(`cli: store built through the facade: ${vms} VMs x ${checkpoints} checkpoints in ${((Date.now() - start) / 1000).toFixed(1)} s`);
}

export async function main(options: { log?: (line: string) => void } = {}): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  const vms = Number(process.env.CLI_BENCH_VMS ?? '50');
  const checkpoints = Number(process.env.CLI_BENCH_CHECKPOINTS ?? '50');
  const runs = Number(process.env.CLI_BENCH_RUNS ?? '5');
  if (process.env.CLI_BENCH_NO_BUILD !== '1') {
    const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`node esbuild.mjs failed: ${build.stderr}`);
  }
  const kept = process.env.CLI_BENCH_STORE;
  const dir = kept ? path.resolve(kept) : fs.mkdtempSync(path.join(os.tmpdir(), 'cli-bench-'));
  const store = path.join(dir, 'store');
  try {
    if (kept && fs.existsSync(path.join(dir, 'built'))) log(`cli: reusing the store in ${dir}`);
    else {
      fs.rmSync(store, { recursive: true, force: true });
      await buildStore(store, vms, checkpoints, log);
      if (kept) fs.writeFileSync(path.join(dir, 'built'), `${vms} x ${checkpoints}\n`);
    }
    const expected = vms * checkpoints;
    const node = measure(runs, ['-e', '0']);
    const list = measure(runs, [CLI, '--store', store, 'get-vmsnapshot', '--json'], (stdout) => {
      const count = (JSON.parse(stdout.toString('utf8')) as unknown[]).length;
      if (count !== expected) throw new Error(`get-vmsnapshot listed ${count} checkpoints, expected ${expected}`);
    });
    const vmList = measure(runs, [CLI, '--store', store, 'get-vm', '--json']);
    // checkpoint-vm on a VM without checkpoints (the 50-per-VM limit), removed after each run.
    const lab = await Lab.open(store);
    if (!(await lab.listVms()).some((vm) => vm.Name === 'bench-target')) await lab.createVm({ name: 'bench-target', diskSizeGiB: 1 });
    await lab.close();
    const removeAll = (): void => {
      const result = spawnSync(process.execPath, [CLI, '--store', store, 'remove-vmsnapshot', '--vm-name', 'bench-target', '--name', '*']);
      if (result.status !== 0) throw new Error(`remove-vmsnapshot failed: ${result.stderr.toString()}`);
    };
    const take = measure(runs, [CLI, '--store', store, 'checkpoint-vm', '--name', 'bench-target', '--json'], undefined, removeAll);
    const verdict = list.wallMs < TARGET_MS ? 'meets' : 'MISSES';
    log(`cli: node -e 0 (process floor): ${node.wallMs.toFixed(0)} ms wall${Number.isNaN(node.cpuMs) ? '' : `, CPU ${node.cpuMs.toFixed(0)} ms`}; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
    log(`cli: get-vmsnapshot --json, ${vms} VMs x ${checkpoints} checkpoints: ${describe(list, node)} | target ${TARGET_MS} ms wall: ${verdict}`);
    log(`cli: get-vm --json, ${vms} VMs: ${describe(vmList, node)}`);
    log(`cli: checkpoint-vm (whole process, Off VM): ${describe(take, node)}`);
  } finally {
    if (!kept) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
