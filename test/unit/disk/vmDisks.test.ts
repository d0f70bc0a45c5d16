import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FaultIo, NodeIo } from '../../../src/engine/store/io';
import { Store } from '../../../src/engine/store/store';
import { BLOCK_SIZE, VmDisks } from '../../../src/engine/disk/vmDisks';
import { cleanup, fill, GiB, newLab, readAll, scratch, snapshot, VM } from './helpers';

describe('VmDisks', () => {
  let dir: string;
  beforeEach(() => {
    dir = scratch();
  });
  afterEach(() => cleanup(dir));

  const diskDir = (): string => path.join(dir, 'Virtual Hard Disks', VM);

  it('R26: a new 64 GiB disk is sparse (a few KiB on disk) and reads zeros', async () => {
    const { disks } = await newLab(dir, 64 * GiB);
    const bytes = fs.readdirSync(diskDir()).reduce((sum, name) => sum + fs.statSync(path.join(diskDir(), name)).size, 0);
    assert.ok(bytes <= 4096, `a new 64 GiB disk takes ${bytes} bytes`);
    assert.deepEqual(fs.readdirSync(diskDir()).sort(), ['blocks.pool', 'disk0.vhdx']);
    const device = disks.device('disk0.vhdx', 'rw');
    assert.equal(device.capacity, 64 * GiB);
    assert.deepEqual(readAll(disks, 'disk0.vhdx', 8192, 64 * GiB - 8192), Buffer.alloc(8192));
    assert.deepEqual(device.allocatedRanges(), []);
  });

  it('R28: create, writes and commitWrites in ONE transaction keep the data (prepare + commitWrites too)', async () => {
    const store = await Store.open(dir);
    let disks!: VmDisks;
    store.commit((tx) => {
      disks = VmDisks.create(store, tx, VM, GiB);
      disks.device('disk0.vhdx', 'rw').write(fill(4, 40 * BLOCK_SIZE + 8), 0, 40 * BLOCK_SIZE + 8, 3);
      disks.commitWrites(tx);
    });
    const expected = Buffer.alloc(40 * BLOCK_SIZE + 10);
    fill(4, 40 * BLOCK_SIZE + 8).copy(expected, 3);
    assert.deepEqual(readAll(disks, 'disk0.vhdx', expected.length), expected);
    disks.close();
    const reloaded = VmDisks.load(store, VM);
    assert.deepEqual(readAll(reloaded, 'disk0.vhdx', expected.length), expected);
    reloaded.close();
    assert.deepEqual(store.verify(), []);

    // prepare(): writes (spilled, direct and buffered) before any transaction, then one commit
    const other = '22222222-2222-3333-4444-555555555555';
    const prepared = VmDisks.prepare(store, other, GiB, { spillThresholdBytes: 8 * BLOCK_SIZE, directWriteBytes: 16 * BLOCK_SIZE });
    assert.equal(fs.existsSync(path.join(dir, 'Virtual Hard Disks', other)), false, 'no folder before the commit');
    const device = prepared.device('disk0.vhdx', 'rw');
    device.write(fill(5, 32 * BLOCK_SIZE), 0, 32 * BLOCK_SIZE, 0); // direct
    device.write(fill(6, 12 * BLOCK_SIZE), 0, 12 * BLOCK_SIZE, 40 * BLOCK_SIZE); // spills
    device.write(fill(7, 100), 0, 100, 60 * BLOCK_SIZE); // buffered
    const before = Buffer.alloc(61 * BLOCK_SIZE);
    device.read(before, 0, before.length, 0);
    store.commit((tx) => prepared.commitWrites(tx));
    assert.equal(prepared.isPending, false);
    assert.deepEqual(readAll(prepared, 'disk0.vhdx', before.length), before);
    const again = VmDisks.load(store, other);
    assert.deepEqual(readAll(again, 'disk0.vhdx', before.length), before);
    again.close();
    prepared.close();
    assert.deepEqual(store.verify(), []);
    assert.ok(!fs.readdirSync(path.join(dir, 'Virtual Hard Disks')).some((n) => n.includes('tmp')));
  });

  it('R28: prepared disks that are closed without a commit leave nothing behind', async () => {
    const store = await Store.open(dir);
    const prepared = VmDisks.prepare(store, VM, GiB, { spillThresholdBytes: 4 * BLOCK_SIZE });
    prepared.device('disk0.vhdx', 'rw').write(fill(1, 10 * BLOCK_SIZE), 0, 10 * BLOCK_SIZE, 0);
    prepared.close();
    assert.deepEqual(fs.readdirSync(path.join(dir, 'Virtual Hard Disks')), []);
  });

  it('devices are released by dispose() (no growth with the number handed out)', async () => {
    const { disks } = await newLab(dir);
    const before = disks.openDeviceCount;
    for (let i = 0; i < 200; i++) {
      const device = disks.device('disk0.vhdx', 'ro');
      device.read(Buffer.alloc(10), 0, 10, 0);
      device.dispose();
      device.dispose(); // idempotent
    }
    assert.equal(disks.openDeviceCount, before);
    const kept = disks.device('disk0.vhdx', 'rw');
    assert.equal(disks.openDeviceCount, before + 1);
    kept.dispose();
    assert.equal(disks.openDeviceCount, before);
    assert.throws(() => kept.read(Buffer.alloc(1), 0, 1, 0), /no longer exists/);
  });

  it('refuses sizes outside 4 KiB..64 GiB', async () => {
    const store = await Store.open(dir);
    assert.throws(() => store.commit((tx) => VmDisks.create(store, tx, VM, 65 * GiB)), /64 GiB/);
    assert.throws(() => store.commit((tx) => VmDisks.create(store, tx, VM, 1000)), /multiple of 4 KiB/);
  });

  it('R26/R7: differencing reads resolve to the newest disk that wrote a block; freeze keeps the frozen view', async () => {
    const { store, disks } = await newLab(dir);
    const now = disks.device('disk0.vhdx', 'rw');
    now.write(fill(1, 3 * BLOCK_SIZE), 0, 3 * BLOCK_SIZE, 0);
    store.commit((tx) => disks.commitWrites(tx));
    let child = '';
    store.commit((tx) => {
      child = disks.freeze(tx, 'disk0.vhdx');
    });
    assert.match(child, /^disk0_[0-9A-F-]{36}\.avhdx$/);
    assert.equal(disks.isFrozen('disk0.vhdx'), true);
    assert.throws(() => disks.device('disk0.vhdx', 'rw'), /read-only/);
    // the rw device follows Now to the child
    now.write(fill(2, 100), 0, 100, BLOCK_SIZE + 10);
    store.commit((tx) => disks.commitWrites(tx));
    const expectedChild = fill(1, 3 * BLOCK_SIZE);
    fill(2, 100).copy(expectedChild, BLOCK_SIZE + 10);
    assert.deepEqual(readAll(disks, child, 3 * BLOCK_SIZE), expectedChild);
    assert.deepEqual(readAll(disks, 'disk0.vhdx', 3 * BLOCK_SIZE), fill(1, 3 * BLOCK_SIZE));
    assert.deepEqual(readAll(disks, child, BLOCK_SIZE, 5 * BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE));
    assert.throws(() => disks.device('disk0.vhdx', 'ro').write(Buffer.alloc(1), 0, 1, 0), /read-only/);
    // discard (trim) hides the parent's block
    now.discard(0, BLOCK_SIZE);
    store.commit((tx) => disks.commitWrites(tx));
    assert.deepEqual(readAll(disks, child, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE));
    assert.deepEqual(readAll(disks, 'disk0.vhdx', BLOCK_SIZE), fill(1, BLOCK_SIZE));
    // everything is the same after a reload from files
    const reloaded = VmDisks.load(store, VM);
    assert.equal(snapshot(reloaded), snapshot(disks));
    assert.deepEqual(store.verify(), []);
  });

  it('R7: freeze is O(1): the new child file is one header and the frozen disk changes only its header', async () => {
    const { store, disks } = await newLab(dir);
    const now = disks.device('disk0.vhdx', 'rw');
    now.write(fill(3, 256 * BLOCK_SIZE), 0, 256 * BLOCK_SIZE, 0);
    store.commit((tx) => disks.commitWrites(tx));
    const sizeBefore = fs.statSync(path.join(diskDir(), 'disk0.vhdx')).size;
    let child = '';
    store.commit((tx) => {
      child = disks.freeze(tx, 'disk0.vhdx');
    });
    assert.equal(fs.statSync(path.join(diskDir(), child)).size, 512);
    assert.equal(fs.statSync(path.join(diskDir(), 'disk0.vhdx')).size, sizeBefore);
  });

  it('R11: createChild and discard (apply discards Now and continues from the checkpoint disk)', async () => {
    const { store, disks } = await newLab(dir);
    const now = disks.device('disk0.vhdx', 'rw');
    now.write(fill(1, BLOCK_SIZE), 0, BLOCK_SIZE, 0);
    let nowFile = '';
    store.commit((tx) => {
      nowFile = disks.freeze(tx, 'disk0.vhdx');
    });
    now.write(fill(2, BLOCK_SIZE), 0, BLOCK_SIZE, 0);
    store.commit((tx) => disks.commitWrites(tx));
    assert.throws(() => store.commit((tx) => disks.createChild(tx, nowFile)), /not frozen/);
    let applied = '';
    store.commit((tx) => {
      disks.discard(tx, nowFile);
      applied = disks.createChild(tx, 'disk0.vhdx');
    });
    assert.equal(disks.has(nowFile), false);
    assert.throws(() => now.read(Buffer.alloc(1), 0, 1, 0), /no longer exists/);
    assert.deepEqual(readAll(disks, applied, BLOCK_SIZE), fill(1, BLOCK_SIZE));
    assert.deepEqual(fs.readdirSync(diskDir()).sort(), ['blocks.pool', 'disk0.vhdx', applied].sort());
    // the discarded block's slot was reclaimed: the pool holds one block
    assert.equal(fs.statSync(path.join(diskDir(), 'blocks.pool')).size, BLOCK_SIZE);
    assert.throws(() => store.commit((tx) => disks.discard(tx, 'disk0.vhdx')), /has differencing disks/);
    assert.deepEqual(store.verify(), []);
  });

  /** base <- a (checkpoint A) <- Now, with distinct data in each. */
  async function chainOfTwo(): Promise<{ store: Store; disks: VmDisks; a: string; now: string }> {
    const { store, disks } = await newLab(dir);
    const device = disks.device('disk0.vhdx', 'rw');
    device.write(fill(1, 4 * BLOCK_SIZE), 0, 4 * BLOCK_SIZE, 0);
    let a = '';
    store.commit((tx) => {
      a = disks.freeze(tx, 'disk0.vhdx');
    });
    device.write(fill(2, 2 * BLOCK_SIZE), 0, 2 * BLOCK_SIZE, BLOCK_SIZE);
    let now = '';
    store.commit((tx) => {
      now = disks.freeze(tx, a);
    });
    device.write(fill(3, BLOCK_SIZE), 0, BLOCK_SIZE, 2 * BLOCK_SIZE);
    store.commit((tx) => disks.commitWrites(tx));
    return { store, disks, a, now };
  }

  function views(disks: VmDisks, files: string[]): Map<string, Buffer> {
    return new Map(files.map((file) => [file, readAll(disks, file, 8 * BLOCK_SIZE)]));
  }

  it('R16/R18/R20: deleting a middle checkpoint merges its disk with its one child, keeping the parent name; no view changes, no bytes copied', async () => {
    const { store, disks, a, now } = await chainOfTwo();
    const before = views(disks, ['disk0.vhdx', now]);
    const poolBefore = fs.readFileSync(path.join(diskDir(), 'blocks.pool'));
    let renames = new Map<string, string>();
    // checkpoint A (disk a) deleted: referenced = base (root checkpoint) and Now
    store.commit((tx) => {
      renames = disks.collapse(tx, new Set(['disk0.vhdx', now]));
    });
    // a had one child (Now): they merged under a's name, and Now's file was removed
    assert.deepEqual([...renames], [[now, a]]);
    assert.deepEqual(fs.readdirSync(diskDir()).sort(), ['blocks.pool', 'disk0.vhdx', a].sort());
    assert.deepEqual(readAll(disks, a, 8 * BLOCK_SIZE), before.get(now));
    assert.deepEqual(readAll(disks, 'disk0.vhdx', 8 * BLOCK_SIZE), before.get('disk0.vhdx'));
    assert.equal(disks.copiedDataBytes, 0);
    // the overridden block of a (block 2) was freed; data of surviving blocks untouched in the pool
    const poolAfter = fs.readFileSync(path.join(diskDir(), 'blocks.pool'));
    assert.ok(poolAfter.length <= poolBefore.length);
    assert.equal(disks.space().referencedBytes, (4 + 1 + 1) * BLOCK_SIZE);
    assert.deepEqual(store.verify(), []);
    assert.equal(snapshot(VmDisks.load(store, VM)), snapshot(disks));
  });

  it('R16/R19: deleting the only checkpoint merges Now into the base: a single .vhdx again', async () => {
    const { store, disks } = await newLab(dir);
    const device = disks.device('disk0.vhdx', 'rw');
    device.write(fill(1, 2 * BLOCK_SIZE), 0, 2 * BLOCK_SIZE, 0);
    let now = '';
    store.commit((tx) => {
      now = disks.freeze(tx, 'disk0.vhdx');
    });
    // Now larger than its parent: the merge folds the smaller parent into the child, renamed
    device.write(fill(2, 8 * BLOCK_SIZE), 0, 8 * BLOCK_SIZE, BLOCK_SIZE);
    store.commit((tx) => disks.commitWrites(tx));
    const expected = readAll(disks, now, 10 * BLOCK_SIZE);
    let renames = new Map<string, string>();
    store.commit((tx) => {
      renames = disks.collapse(tx, new Set([now]));
    });
    assert.deepEqual([...renames], [[now, 'disk0.vhdx']]);
    assert.deepEqual(fs.readdirSync(diskDir()).sort(), ['blocks.pool', 'disk0.vhdx']);
    assert.equal(disks.isFrozen('disk0.vhdx'), false);
    assert.deepEqual(readAll(disks, 'disk0.vhdx', 10 * BLOCK_SIZE), expected);
    // the rw device followed the merge
    device.write(fill(4, BLOCK_SIZE), 0, BLOCK_SIZE, 0);
    store.commit((tx) => disks.commitWrites(tx));
    assert.deepEqual(readAll(disks, 'disk0.vhdx', BLOCK_SIZE), fill(4, BLOCK_SIZE));
    assert.equal(disks.copiedDataBytes, 0);
    assert.deepEqual(store.verify(), []);
    assert.equal(snapshot(VmDisks.load(store, VM)), snapshot(disks));
  });

  it('R16: a frozen disk with no child left is deleted; one with two children stays until it has one', async () => {
    const { store, disks } = await newLab(dir);
    const device = disks.device('disk0.vhdx', 'rw');
    device.write(fill(1, BLOCK_SIZE), 0, BLOCK_SIZE, 0);
    let a = '';
    store.commit((tx) => {
      a = disks.freeze(tx, 'disk0.vhdx');
    }); // checkpoint C0 -> disk0.vhdx; Now = a
    device.write(fill(2, BLOCK_SIZE), 0, BLOCK_SIZE, 0);
    let now = '';
    store.commit((tx) => {
      now = disks.freeze(tx, a);
    }); // checkpoint C1 -> a; Now = now
    // apply C0: Now discarded, new Now under disk0 -> disk0 has two children (a, now2)
    let now2 = '';
    store.commit((tx) => {
      disks.discard(tx, now);
      now2 = disks.createChild(tx, 'disk0.vhdx');
    });
    // delete C0: disk0 unreferenced with two children -> stays
    let renames = new Map<string, string>();
    store.commit((tx) => {
      renames = disks.collapse(tx, new Set([a, now2]));
    });
    assert.equal(renames.size, 0);
    assert.ok(disks.has('disk0.vhdx'));
    // delete C1 too: a has no child -> deleted; then disk0 has one child (now2) -> merged
    store.commit((tx) => {
      renames = disks.collapse(tx, new Set([now2]));
    });
    assert.deepEqual([...renames], [[now2, 'disk0.vhdx']]);
    assert.deepEqual(fs.readdirSync(diskDir()).sort(), ['blocks.pool', 'disk0.vhdx']);
    assert.deepEqual(readAll(disks, 'disk0.vhdx', BLOCK_SIZE), fill(1, BLOCK_SIZE));
    assert.equal(fs.statSync(path.join(diskDir(), 'blocks.pool')).size, BLOCK_SIZE, 'R30: the deleted disk\'s block was reclaimed');
    assert.deepEqual(store.verify(), []);
  });

  it('R27: depth 50 reads the same bytes as a flat disk holding the same writes', async () => {
    const { store, disks } = await newLab(dir);
    const reference = Buffer.alloc(64 * BLOCK_SIZE);
    const device = disks.device('disk0.vhdx', 'rw');
    for (let depth = 0; depth < 50; depth++) {
      const block = (depth * 7) % 64;
      const data = fill(depth + 10, BLOCK_SIZE / 2);
      device.write(data, 0, data.length, block * BLOCK_SIZE + 100);
      data.copy(reference, block * BLOCK_SIZE + 100);
      store.commit((tx) => disks.freeze(tx, disks.list().find((info) => !info.frozen)!.file));
    }
    const now = disks.list().find((info) => !info.frozen)!.file;
    let depth = 0;
    for (let file: string | null = now; file !== null; file = disks.list().find((info) => info.file === file)!.parent) depth++;
    assert.equal(depth, 51);
    assert.deepEqual(readAll(disks, now, reference.length), reference);
    assert.deepEqual(readAll(VmDisks.load(store, VM), now, reference.length), reference);
  });

  it('R30: usage reports exclusive and shared bytes per checkpoint', async () => {
    const { store, disks, a, now } = await chainOfTwo();
    // base: blocks 0-3; a: blocks 1,2; now: block 2
    const usage = disks.usage(['disk0.vhdx', a, now]);
    // base (root checkpoint) has one child a: deleting it merges a into it, freeing base's blocks 1,2
    assert.equal(usage.get('disk0.vhdx')!.exclusiveBytes, 2 * BLOCK_SIZE);
    // a has one child (now): merging frees a's block 2
    assert.equal(usage.get(a)!.exclusiveBytes, BLOCK_SIZE);
    // base reads 0,3 shared with a and now; blocks 1,2 of base only it reads
    assert.equal(usage.get('disk0.vhdx')!.sharedBytes, 2 * BLOCK_SIZE);
    assert.equal(usage.get(a)!.sharedBytes, 3 * BLOCK_SIZE); // 0,3 (base) and 1 (a) shared with now
    assert.equal(usage.get(now)!.sharedBytes, 3 * BLOCK_SIZE);
    assert.equal(usage.get(now)!.referencedBytes, 4 * BLOCK_SIZE);
    void store;
  });

  it('spills large dirty sets to free slots and references them only at commit', async () => {
    const { store, disks } = await newLab(dir, GiB, { spillThresholdBytes: 64 * 1024 });
    const device = disks.device('disk0.vhdx', 'rw');
    const data = fill(9, 1024 * 1024);
    device.write(data, 0, data.length, 0);
    assert.ok(fs.statSync(path.join(diskDir(), 'blocks.pool')).size > 0, 'spilled');
    assert.deepEqual(readAll(disks, 'disk0.vhdx', data.length), data);
    // not committed: a reload sees nothing
    assert.deepEqual(readAll(VmDisks.load(store, VM), 'disk0.vhdx', BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE));
    store.commit((tx) => disks.commitWrites(tx));
    assert.deepEqual(readAll(VmDisks.load(store, VM), 'disk0.vhdx', data.length), data);
    // rewriting the same range reuses freed slots: the pool does not keep growing
    for (let round = 0; round < 3; round++) {
      device.write(fill(round, data.length), 0, data.length, 0);
      store.commit((tx) => disks.commitWrites(tx));
    }
    assert.ok(fs.statSync(path.join(diskDir(), 'blocks.pool')).size <= 2 * data.length + 64 * 1024);
    assert.deepEqual(store.verify(), []);
  });

  it('copies the caller\'s buffer: reusing it after a large write changes nothing on the disk', async () => {
    const { disks } = await newLab(dir);
    const device = disks.device('disk0.vhdx', 'rw');
    const data = fill(5, 128 * 1024);
    const original = Buffer.from(data);
    device.write(data, 0, data.length, 0);
    data.fill(0xee);
    assert.deepEqual(readAll(disks, 'disk0.vhdx', original.length), original);
  });

  it('writes large requests straight to free slots: unreferenced until commit, partial ends merged, damage found by verify', async () => {
    const { store, disks } = await newLab(dir);
    const device = disks.device('disk0.vhdx', 'rw');
    device.write(fill(1, 8 * BLOCK_SIZE), 0, 8 * BLOCK_SIZE, 0);
    store.commit((tx) => disks.commitWrites(tx));
    const data = fill(2, 40 * BLOCK_SIZE + 300);
    const position = 3 * BLOCK_SIZE + 1000; // unaligned: partial blocks at both ends
    device.write(data, 0, data.length, position);
    const poolPath = path.join(diskDir(), 'blocks.pool');
    assert.ok(fs.statSync(poolPath).size >= 40 * BLOCK_SIZE, 'the whole blocks went to the pool at once');
    const expected = Buffer.concat([fill(1, 8 * BLOCK_SIZE), Buffer.alloc(40 * BLOCK_SIZE)]).subarray(0, 48 * BLOCK_SIZE);
    data.copy(expected, position);
    assert.deepEqual(readAll(disks, 'disk0.vhdx', expected.length), expected);
    // not committed: another process (a reload) sees the old disk
    assert.deepEqual(readAll(VmDisks.load(store, VM), 'disk0.vhdx', 8 * BLOCK_SIZE), fill(1, 8 * BLOCK_SIZE));
    store.commit((tx) => disks.commitWrites(tx));
    assert.deepEqual(readAll(VmDisks.load(store, VM), 'disk0.vhdx', expected.length), expected);
    assert.deepEqual(store.verify(), []);
    // overwriting a directly written range again reuses its slot at once (it was never committed)
    device.write(fill(3, 20 * BLOCK_SIZE), 0, 20 * BLOCK_SIZE, 10 * BLOCK_SIZE);
    device.write(fill(4, 20 * BLOCK_SIZE), 0, 20 * BLOCK_SIZE, 10 * BLOCK_SIZE);
    store.commit((tx) => disks.commitWrites(tx));
    fill(4, 20 * BLOCK_SIZE).copy(expected, 10 * BLOCK_SIZE);
    assert.deepEqual(readAll(VmDisks.load(store, VM), 'disk0.vhdx', expected.length), expected);
    assert.deepEqual(store.verify(), []);
    // a damaged block of a large write fails its checksum
    const fd = fs.openSync(poolPath, 'r+');
    const pool = fs.readFileSync(poolPath);
    const slotAt = pool.indexOf(fill(4, 20 * BLOCK_SIZE).subarray(5 * BLOCK_SIZE, 6 * BLOCK_SIZE));
    assert.ok(slotAt >= 0 && slotAt % BLOCK_SIZE === 0);
    fs.writeSync(fd, Buffer.from([pool[slotAt + 77] ^ 0x80]), 0, 1, slotAt + 77);
    fs.closeSync(fd);
    const problems = store.verify();
    assert.equal(problems.length, 1);
    assert.match(problems[0].problem, new RegExp(`slot ${slotAt / BLOCK_SIZE} .*fails its checksum`));
  });

  it('asks the device to start writing back every 16 MiB written to the pool before a commit (a hint: content and durability unchanged)', async () => {
    class CountingIo extends NodeIo {
      kicks = 0;
      override startWriteback(file: string): void {
        assert.ok(file.endsWith('blocks.pool'));
        this.kicks++;
        super.startWriteback(file);
      }
    }
    const io = new CountingIo();
    const { store, disks } = await newLab(dir, GiB, { io });
    const device = disks.device('disk0.vhdx', 'rw');
    const data = fill(6, 1024 * 1024);
    for (let mib = 0; mib < 40; mib++) device.write(data, 0, data.length, mib * data.length);
    assert.equal(io.kicks, 2);
    store.commit((tx) => disks.commitWrites(tx));
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the background fdatasyncs finish
    const reread = readAll(VmDisks.load(store, VM), 'disk0.vhdx', 2 * data.length, 38 * data.length);
    assert.deepEqual(reread, Buffer.concat([data, data]));
    assert.deepEqual(store.verify(), []);
  });

  it('a full disk (ENOSPC) during a large write names the pool and loses nothing committed', async () => {
    const io = new FaultIo();
    const { store, disks } = await newLab(dir, GiB, { io });
    const device = disks.device('disk0.vhdx', 'rw');
    device.write(fill(1, 4 * BLOCK_SIZE), 0, 4 * BLOCK_SIZE, 0);
    store.commit((tx) => disks.commitWrites(tx));
    io.enospc = (file) => file.endsWith('blocks.pool');
    assert.throws(() => device.write(fill(2, 32 * BLOCK_SIZE), 0, 32 * BLOCK_SIZE, 0), /not enough disk space to write '.*blocks\.pool'/);
    io.enospc = undefined;
    assert.deepEqual(readAll(disks, 'disk0.vhdx', 4 * BLOCK_SIZE), fill(1, 4 * BLOCK_SIZE));
    store.commit((tx) => disks.commitWrites(tx));
    assert.deepEqual(readAll(VmDisks.load(store, VM), 'disk0.vhdx', 4 * BLOCK_SIZE), fill(1, 4 * BLOCK_SIZE));
    assert.deepEqual(store.verify(), []);
  });

  it('removeAll deletes the VM\'s disk folder', async () => {
    const { store } = await newLab(dir);
    store.commit((tx) => VmDisks.removeAll(tx, VM));
    assert.equal(fs.existsSync(diskDir()), false);
    assert.deepEqual(store.verify(), []);
  });

  it('refuses to write with disks loaded before another process changed the store', async () => {
    const { store, disks } = await newLab(dir);
    const other = await Store.open(dir);
    other.commit((tx) => tx.writeJson('Virtual Machines/x.vmcx', {}));
    assert.throws(() => store.commit((tx) => disks.commitWrites(tx)), /changed by another process/);
    assert.equal(store.changedElsewhere(), true);
  });
});
