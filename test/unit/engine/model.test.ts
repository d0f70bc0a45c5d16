/**
 * Random operations (fast-check) against a reference model made of whole copies: for Now
 * and for every checkpoint a Map path -> content of the disk and, when it holds memory, of
 * /run. After every operation Now must read back exactly the model; after deletes, applies
 * and at the end of each run every checkpoint must too (R6-R19, section 2, the guest rules).
 * Runs: ENGINE_MODEL_RUNS (default 30), seed: ENGINE_MODEL_SEED.
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Lab, VmState } from '../../../src/engine';
import { cleanup, openLab, scratch } from './helpers';

type Files = Map<string, string>;
interface ModelCheckpoint {
  id: string;
  parent: string | null;
  disk: Files;
  run: Files | null;
  /** R11: the hardware config (integration services) Apply restores. */
  backup: boolean;
}
interface Model {
  state: VmState;
  type: 'Standard' | 'Production';
  backup: boolean;
  disk: Files;
  run: Files | null;
  parent: string | null;
  checkpoints: ModelCheckpoint[];
}

type Op =
  | { kind: 'write'; path: number; value: number }
  | { kind: 'writeRun'; path: number; value: number }
  | { kind: 'remove'; path: number }
  | { kind: 'checkpoint' }
  | { kind: 'apply'; pick: number; first: boolean }
  | { kind: 'revert'; first: boolean }
  | { kind: 'delete'; pick: number; subtree: boolean }
  | { kind: 'life'; action: 'start' | 'save' | 'turnOff' | 'pause' | 'resume' | 'shutDown' | 'removeSavedState' }
  | { kind: 'settings'; type: 'Standard' | 'Production'; backup: boolean };

const DISK_PATHS = ['/a.txt', '/b.txt', '/dir/c.txt', '/dir/sub/d.txt'];
const RUN_PATHS = ['/run/r1', '/run/r2'];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), path: fc.nat(3), value: fc.nat(999) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('writeRun' as const), path: fc.nat(1), value: fc.nat(999) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), path: fc.nat(3) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('checkpoint' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('apply' as const), pick: fc.nat(), first: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revert' as const), first: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat(), subtree: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('life' as const),
      action: fc.constantFrom('start' as const, 'save' as const, 'turnOff' as const, 'pause' as const, 'resume' as const, 'shutDown' as const, 'removeSavedState' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('settings' as const), type: fc.constantFrom('Standard' as const, 'Production' as const), backup: fc.boolean() }) },
);

const TRANSITIONS: Record<string, Partial<Record<VmState, VmState>>> = {
  start: { Off: 'Running', Saved: 'Running' },
  pause: { Running: 'Paused' },
  resume: { Paused: 'Running' },
  save: { Running: 'Saved', Paused: 'Saved' },
  shutDown: { Running: 'Off' },
  turnOff: { Running: 'Off', Paused: 'Off' },
  removeSavedState: { Saved: 'Off' },
};

function copy(files: Files | null): Files | null {
  return files === null ? null : new Map(files);
}

/** Now's files in one locked operation (editFiles with reads only commits nothing). */
async function readNow(lab: Lab, vm: string, withRun: boolean): Promise<{ disk: Files; run: Files | null }> {
  return lab.editFiles(vm, async (files) => {
    const disk: Files = new Map();
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await files.list(dir)) {
        if (entry.Path === '/lost+found' || entry.Path === '/run') continue;
        if (entry.Type === 'Directory') await walk(entry.Path);
        else disk.set(entry.Path, (await files.readFile(entry.Path)).toString());
      }
    };
    await walk('/');
    let run: Files | null = null;
    if (withRun) {
      run = new Map();
      for (const entry of await files.list('/run')) run.set(entry.Path, (await files.readFile(entry.Path)).toString());
    }
    return { disk, run };
  });
}

async function readTree(lab: Lab, vm: string, checkpoint: string | undefined): Promise<Files> {
  const out: Files = new Map();
  const target = checkpoint === undefined ? {} : { checkpoint };
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await lab.listFiles(vm, dir, target)) {
      if (entry.Path === '/lost+found' || entry.Path === '/run') continue;
      if (entry.Type === 'Directory') await walk(entry.Path);
      else out.set(entry.Path, (await lab.readFile(vm, entry.Path, target)).toString());
    }
  };
  await walk('/');
  return out;
}

async function readRun(lab: Lab, vm: string, checkpoint: string | undefined): Promise<Files> {
  const target = checkpoint === undefined ? {} : { checkpoint };
  const out: Files = new Map();
  for (const entry of await lab.listFiles(vm, '/run', target)) out.set(entry.Path, (await lab.readFile(vm, entry.Path, target)).toString());
  return out;
}

function sorted(files: Files | null): Array<[string, string]> | null {
  return files === null ? null : [...files].sort(([a], [b]) => (a < b ? -1 : 1));
}

describe('engine: random operations against a whole-copy model (fast-check)', function () {
  this.timeout(600_000);
  let root: string;
  let lab: Lab;
  let vmCounter = 0;
  let operations = 0;

  before(async () => {
    // fsync durability is the store's crash tests' business; on tmpfs the model runs more operations
    root = fs.existsSync('/dev/shm') ? fs.mkdtempSync(path.join('/dev/shm', 'clab-model-')) : scratch();
    lab = await openLab(root);
  });
  after(async () => {
    await lab.close();
    cleanup(root);
  });

  it('R6-R19, section 2 and the guest rules: every checkpoint and Now read back what the model says', async () => {
    const runs = Number(process.env.ENGINE_MODEL_RUNS ?? 30);
    const seed = process.env.ENGINE_MODEL_SEED === undefined ? undefined : Number(process.env.ENGINE_MODEL_SEED);
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 40, maxLength: 120, size: 'max' }), async (ops) => {
        const vm = `model-${++vmCounter}`;
        await lab.createVm({ name: vm, diskSizeGiB: 1 });
        await lab.setVm(vm, { checkpointType: 'Standard' });
        const model: Model = { state: 'Off', type: 'Standard', backup: true, disk: new Map(), run: null, parent: null, checkpoints: [] };
        let rotation = 0;
        /** Every checkpoint (end of run), or the ones a delete or apply may have touched plus two in rotation. */
        const checkAll = async (why: string, only?: Set<string>): Promise<void> => {
          const chosen = only === undefined ? model.checkpoints : model.checkpoints.filter((c, i) => only.has(c.id) || (i + rotation) % Math.max(1, Math.ceil(model.checkpoints.length / 2)) === 0);
          rotation++;
          for (const cp of chosen) {
            assert.deepEqual(sorted(await readTree(lab, vm, cp.id)), sorted(cp.disk), `checkpoint disk after ${why}`);
            if (cp.run) assert.deepEqual(sorted(await readRun(lab, vm, cp.id)), sorted(cp.run), `checkpoint /run after ${why}`);
          }
          const listed = await lab.listCheckpoints({ vm });
          assert.deepEqual(
            listed.map((c) => [c.Id, c.ParentSnapshotId, c.HasSavedState]).sort(),
            model.checkpoints.map((c) => [c.id, c.parent, c.run !== null]).sort(),
            `checkpoint tree after ${why}`,
          );
        };
        const touchedParents = lastTouched;
        try {
          for (const op of ops) {
            operations++;
            await step(lab, vm, model, op);
            const info = await lab.getVm(vm);
            assert.equal(info.State, model.state, `state after ${JSON.stringify(op)}`);
            assert.equal(info.ParentCheckpointId, model.parent, `ParentCheckpoint after ${JSON.stringify(op)}`);
            const now = await readNow(lab, vm, model.state !== 'Off');
            assert.deepEqual(sorted(now.disk), sorted(model.disk), `Now after ${JSON.stringify(op)}`);
            assert.deepEqual(sorted(now.run), sorted(model.run), `/run after ${JSON.stringify(op)}`);
            if (op.kind === 'delete' || op.kind === 'apply' || op.kind === 'revert') {
              // the checkpoints next to the change are the ones whose disks merge or get renamed
              const near = new Set(model.checkpoints.filter((c) => c.parent === model.parent || c.id === model.parent || touchedParents.has(c.id)).map((c) => c.id));
              await checkAll(JSON.stringify(op), near);
            }
            touchedParents.clear();
          }
          await checkAll('the last operation');
          assert.deepEqual((await lab.verify()).Problems, []);
        } finally {
          if (model.state === 'Running' || model.state === 'Paused') await lab.turnOff(vm);
          await lab.removeVm(vm);
        }
      }),
      { numRuns: runs, seed, endOnFailure: true },
    );
    console.log(`      (${operations} operations in ${runs} runs)`);
  });
});

/** Checkpoints whose parent changed in the last delete (checked right after it). */
const lastTouched = new Set<string>();

async function expectRefusal(promise: Promise<unknown>, why: string): Promise<void> {
  await assert.rejects(promise, (e: Error) => {
    assert.ok(e.message.length > 0, why);
    return true;
  });
}

async function step(lab: Lab, vm: string, m: Model, op: Op): Promise<void> {
  switch (op.kind) {
    case 'write': {
      const p = DISK_PATHS[op.path];
      const value = `v${op.value}`;
      if (m.state === 'Paused' || m.state === 'Saved') return expectRefusal(lab.writeFile(vm, p, value, { createParents: true }), 'write while paused/saved');
      await lab.writeFile(vm, p, value, { createParents: true });
      m.disk.set(p, value);
      return;
    }
    case 'writeRun': {
      const p = RUN_PATHS[op.path];
      if (m.state !== 'Running') return expectRefusal(lab.writeFile(vm, p, `r${op.value}`), 'run write when not running');
      await lab.writeFile(vm, p, `r${op.value}`);
      m.run!.set(p, `r${op.value}`);
      return;
    }
    case 'remove': {
      const p = DISK_PATHS[op.path];
      if (m.state === 'Paused' || m.state === 'Saved' || !m.disk.has(p)) return expectRefusal(lab.removeFile(vm, p), 'remove');
      await lab.removeFile(vm, p);
      m.disk.delete(p);
      return;
    }
    case 'checkpoint':
      await takeCheckpoint(m, () => lab.checkpoint(vm).then((r) => r.checkpoint.Id));
      return;
    case 'apply': {
      if (m.checkpoints.length === 0) return;
      const target = m.checkpoints[op.pick % m.checkpoints.length];
      return applyModel(m, target, op.first, () => lab.apply(vm, target.id, { checkpointFirst: op.first }));
    }
    case 'revert': {
      const target = m.checkpoints.find((c) => c.id === m.parent);
      if (!target) return expectRefusal(lab.revert(vm, { checkpointFirst: op.first }), 'revert without parent');
      return applyModel(m, target, op.first, () => lab.revert(vm, { checkpointFirst: op.first }));
    }
    case 'delete': {
      if (m.checkpoints.length === 0) return;
      const target = m.checkpoints[op.pick % m.checkpoints.length];
      await lab.removeCheckpoint(vm, target.id, { includeChildren: op.subtree });
      const gone = new Set([target.id]);
      if (op.subtree) {
        for (let grew = true; grew; ) {
          grew = false;
          for (const c of m.checkpoints) {
            if (c.parent !== null && gone.has(c.parent) && !gone.has(c.id)) {
              gone.add(c.id);
              grew = true;
            }
          }
        }
      }
      const byId = new Map(m.checkpoints.map((c) => [c.id, c]));
      const survivor = (id: string | null): string | null => {
        while (id !== null && gone.has(id)) id = byId.get(id)!.parent;
        return id;
      };
      for (const c of m.checkpoints) {
        const moved = survivor(c.parent);
        if (moved !== c.parent) lastTouched.add(c.id);
        c.parent = moved;
      }
      for (const id of gone) {
        const up = survivor(byId.get(id)!.parent);
        if (up !== null) lastTouched.add(up);
      }
      m.parent = survivor(m.parent);
      m.checkpoints = m.checkpoints.filter((c) => !gone.has(c.id));
      return;
    }
    case 'settings':
      await lab.setVm(vm, { checkpointType: op.type, backupIntegration: op.backup });
      m.type = op.type;
      m.backup = op.backup;
      return;
    case 'life': {
      const to = TRANSITIONS[op.action][m.state];
      const call = (lab[op.action] as (vm: string) => Promise<unknown>).bind(lab);
      if (to === undefined) return expectRefusal(call(vm), `${op.action} from ${m.state}`);
      await call(vm);
      if (to === 'Off') m.run = null;
      else if (m.state === 'Off') m.run = new Map();
      m.state = to;
      return;
    }
  }
}

/** R5, R8-R10, R6 on the model. */
async function takeCheckpoint(m: Model, take: () => Promise<string>): Promise<string | undefined> {
  if (m.checkpoints.length >= 50) {
    await expectRefusal(take(), 'R5');
    return undefined;
  }
  const production = m.type === 'Production' && (m.state === 'Off' || (m.state === 'Running' && m.backup));
  const id = await take();
  m.checkpoints.push({ id, parent: m.parent, disk: new Map(m.disk), run: production || m.state === 'Off' ? null : copy(m.run), backup: m.backup });
  m.parent = id;
  return id;
}

/** R11-R13 on the model. */
async function applyModel(m: Model, target: ModelCheckpoint, first: boolean, apply: () => Promise<{ checkpointTaken?: { Id: string } }>): Promise<void> {
  if (first && m.checkpoints.length >= 50) return expectRefusal(apply(), 'R13 with R5');
  const result = await apply();
  if (first) {
    const production = m.type === 'Production' && (m.state === 'Off' || (m.state === 'Running' && m.backup));
    assert.ok(result.checkpointTaken, 'checkpoint first');
    m.checkpoints.push({ id: result.checkpointTaken.Id, parent: m.parent, disk: new Map(m.disk), run: production || m.state === 'Off' ? null : copy(m.run), backup: m.backup });
  }
  m.disk = new Map(target.disk);
  m.run = copy(target.run);
  m.state = target.run ? 'Saved' : 'Off';
  m.parent = target.id;
  m.backup = target.backup;
}
