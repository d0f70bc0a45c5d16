import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { NodeIo } from '../../../src/engine/store/io';
import { Store } from '../../../src/engine/store/store';
import { BLOCK_SIZE, VmDisks } from '../../../src/engine/disk/vmDisks';
import { cleanup, fill, GiB, scratch, VM } from './helpers';

/** Durability is the crash test's subject; here fsync only slows the hundreds of runs down. */
class NoSyncIo extends NodeIo {
  override fsync(): void {}
  override fsyncDir(): void {}
}

const REGION = 24 * BLOCK_SIZE; // the part of the disk the operations touch

export type Op =
  | { kind: 'write'; position: number; length: number; seed: number }
  | { kind: 'discard'; position: number; length: number }
  | { kind: 'commit' }
  | { kind: 'checkpoint' }
  | { kind: 'apply'; pick: number }
  | { kind: 'delete'; pick: number }
  | { kind: 'deleteSubtree'; pick: number }
  | { kind: 'reload' };

const range = fc
  .tuple(fc.integer({ min: 0, max: REGION - 1 }), fc.integer({ min: 1, max: 3 * BLOCK_SIZE }))
  .map(([position, length]) => ({ position, length: Math.min(length, REGION - position) }));

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(range, fc.nat()).map(([r, seed]) => ({ kind: 'write' as const, ...r, seed })) },
  { weight: 1, arbitrary: range.map((r) => ({ kind: 'discard' as const, ...r })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'checkpoint' as const }) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: 'apply' as const, pick })) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: 'delete' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'deleteSubtree' as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reload' as const }) },
);

interface Checkpoint {
  id: number;
  parent: number | null;
  disk: string;
}

export async function runModel(ops: Op[], counter = { ops: 0 }): Promise<void> {
    const dir = scratch('clab-model-');
    try {
      const store = await Store.open(dir, { io: new NoSyncIo() });
      // writes of two whole blocks or more take the direct path (straight to free slots)
      const options = { spillThresholdBytes: 4 * BLOCK_SIZE, directWriteBytes: 2 * BLOCK_SIZE };
      let disks!: VmDisks;
      store.commit((tx) => {
        disks = VmDisks.create(store, tx, VM, GiB, options);
      });
      // model: whole copies of every view
      const model = new Map<number | 'now', Buffer>([['now', Buffer.alloc(REGION)]]);
      const checkpoints: Checkpoint[] = [];
      let nextId = 0;
      let nowDisk = 'disk0.vhdx';
      let nowParent: number | null = null;
      let device = disks.device(nowDisk, 'rw');
      let uncommitted = false;

      const collapse = (): void => {
        const referenced = new Set([nowDisk, ...checkpoints.map((c) => c.disk)]);
        store.commit((tx) => {
          const renames = disks.collapse(tx, referenced);
          for (const c of checkpoints) c.disk = renames.get(c.disk) ?? c.disk;
          nowDisk = renames.get(nowDisk) ?? nowDisk;
        });
        // R16: a disk no checkpoint or Now references survives only with two or more children
        const stillReferenced = new Set([nowDisk, ...checkpoints.map((c) => c.disk)]);
        for (const info of disks.list()) {
          if (!stillReferenced.has(info.file)) assert.ok(info.children.length >= 2, `${info.file} is unreferenced with ${info.children.length} children`);
        }
      };
      const check = (): void => {
        for (const [view, expected] of model) {
          const file = view === 'now' ? nowDisk : checkpoints.find((c) => c.id === view)!.disk;
          const actual = Buffer.alloc(REGION);
          disks.device(file, 'ro').read(actual, 0, REGION, 0);
          assert.ok(actual.equals(expected), `view ${String(view)} (${file}) differs from the model`);
        }
      };

      for (const step of ops) {
        counter.ops++;
        switch (step.kind) {
          case 'write': {
            const data = fill(step.seed, Math.ceil(step.length / 4) * 4).subarray(0, step.length);
            device.write(data, 0, step.length, step.position);
            data.copy(model.get('now')!, step.position);
            uncommitted = true;
            break;
          }
          case 'discard':
            device.discard(step.position, step.length);
            model.get('now')!.fill(0, step.position, step.position + step.length);
            uncommitted = true;
            break;
          case 'commit':
            store.commit((tx) => disks.commitWrites(tx));
            uncommitted = false;
            break;
          case 'checkpoint': {
            if (checkpoints.length >= 50) break;
            const id = nextId++;
            store.commit((tx) => {
              const frozen = nowDisk;
              nowDisk = disks.freeze(tx, frozen);
              checkpoints.push({ id, parent: nowParent, disk: frozen });
            });
            nowParent = id;
            model.set(id, Buffer.from(model.get('now')!));
            uncommitted = false;
            break;
          }
          case 'apply': {
            if (checkpoints.length === 0) break;
            const target = checkpoints[step.pick % checkpoints.length];
            store.commit((tx) => {
              disks.discard(tx, nowDisk);
              nowDisk = disks.createChild(tx, target.disk);
            });
            nowParent = target.id;
            model.set('now', Buffer.from(model.get(target.id)!));
            device = disks.device(nowDisk, 'rw');
            uncommitted = false;
            collapse();
            break;
          }
          case 'delete':
          case 'deleteSubtree': {
            if (checkpoints.length === 0) break;
            const target = checkpoints[step.pick % checkpoints.length];
            const doomed = new Set([target.id]);
            if (step.kind === 'deleteSubtree') {
              for (let grew = true; grew; ) {
                grew = false;
                for (const c of checkpoints) if (c.parent !== null && doomed.has(c.parent) && !doomed.has(c.id)) grew = doomed.add(c.id) !== undefined;
              }
            }
            for (const c of checkpoints) if (c.parent !== null && doomed.has(c.parent) && !doomed.has(c.id)) c.parent = target.parent;
            if (nowParent !== null && doomed.has(nowParent)) nowParent = target.parent;
            for (const id of doomed) model.delete(id);
            checkpoints.splice(0, checkpoints.length, ...checkpoints.filter((c) => !doomed.has(c.id)));
            collapse();
            break;
          }
          case 'reload':
            if (uncommitted) store.commit((tx) => disks.commitWrites(tx));
            uncommitted = false;
            {
              // the in-memory accounting (kept incrementally) matches what the files say
              const byFile = (list: ReturnType<VmDisks['list']>) => list.sort((a, b) => a.file.localeCompare(b.file));
              const before = byFile(disks.list());
              disks.close();
              disks = VmDisks.load(store, VM, options);
              assert.deepEqual(byFile(disks.list()), before);
            }
            device = disks.device(nowDisk, 'rw');
            break;
        }
        check();
      }
      store.commit((tx) => disks.commitWrites(tx));
      // R19: deleting every checkpoint leaves a single .vhdx
      const all = checkpoints.splice(0);
      for (const c of all) model.delete(c.id);
      collapse();
      check();
      assert.deepEqual(disks.list().map((d) => d.file), ['disk0.vhdx']);
      assert.deepEqual(store.verify(), []);
      // R30: the pool holds only what Now references (reclaimed, tail trimmed) within a few free slots
      const space = disks.space();
      assert.ok(space.poolBytes <= space.referencedBytes + 64 * BLOCK_SIZE, `pool ${space.poolBytes} vs referenced ${space.referencedBytes}`);
      const reloaded = VmDisks.load(store, VM);
      const actual = Buffer.alloc(REGION);
      reloaded.device('disk0.vhdx', 'ro').read(actual, 0, REGION, 0);
      assert.ok(actual.equals(model.get('now')!));
    } finally {
      cleanup(dir);
    }
}

describe('VmDisks against a reference model of whole copies (R7, R11, R16-R19, R26, R30)', () => {
  it('every view reads what the model says after random writes, checkpoints, applies, deletes and merges', async () => {
    const counter = { ops: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 120 }), async (ops) => {
        await runModel(ops, counter);
      }),
      { numRuns: Number(process.env.MODEL_RUNS ?? 120) },
    );
    console.log(`      random-operation test: ${counter.ops} operations compared against the model`);
  });
});
