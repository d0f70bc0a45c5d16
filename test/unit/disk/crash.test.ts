import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FaultIo, SimulatedCrash } from '../../../src/engine/store/io';
import { Store } from '../../../src/engine/store/store';
import { BLOCK_SIZE, VmDisks } from '../../../src/engine/disk/vmDisks';
import { Lab } from '../../../src/engine';
import { cleanup, counterGuid, fill, newLab, scratch, snapshot, VM } from './helpers';

/** How a run ends at its crash point (see FaultIo.losePendingWrites). */
const CUTS = ['crash', 'power cut', 'power cut, entries too'] as const;

/**
 * R28: for each operation, die at every write boundary (FaultIo throws and refuses every later
 * write, as a killed process would), reopen with recovery, and require exactly the before or
 * the after state, with verify() clean.
 */
describe('crash safety at every write boundary (R28, R29)', () => {
  let template: string;
  let bigNowTemplate: string;
  let nowFile = "";
  const options = { spillThresholdBytes: 8 * BLOCK_SIZE };

  before(async () => {
    // a base with data, checkpoint A (disk0.vhdx frozen), Now with data over part of it
    template = scratch('clab-crash-');
    const { store, disks } = await newLab(template, 1024 ** 3, { newGuid: counterGuid() });
    const device = disks.device('disk0.vhdx', 'rw');
    device.write(fill(1, 16 * BLOCK_SIZE), 0, 16 * BLOCK_SIZE, 0);
    store.commit((tx) => {
      nowFile = disks.freeze(tx, 'disk0.vhdx');
    });
    device.write(fill(2, 4 * BLOCK_SIZE), 0, 4 * BLOCK_SIZE, 2 * BLOCK_SIZE);
    store.commit((tx) => disks.commitWrites(tx));
    disks.close();
    // the same, with Now holding more blocks than its parent (the merge folds the parent into Now's file, renamed)
    bigNowTemplate = scratch('clab-crash-');
    fs.cpSync(template, bigNowTemplate, { recursive: true });
    const big = await Store.open(bigNowTemplate);
    const bigDisks = VmDisks.load(big, VM);
    bigDisks.device(nowFile, 'rw').write(fill(3, 24 * BLOCK_SIZE), 0, 24 * BLOCK_SIZE, 20 * BLOCK_SIZE);
    big.commit((tx) => bigDisks.commitWrites(tx));
    bigDisks.close();
  });
  after(() => {
    cleanup(template);
    cleanup(bigNowTemplate);
  });

  type Operation = (store: Store, disks: VmDisks) => void;

  async function crashEverywhere(name: string, operation: Operation, from = template): Promise<number> {
    const open = async (dir: string, io?: FaultIo): Promise<{ store: Store; disks: VmDisks }> => {
      const store = await Store.open(dir, { io, lockTimeoutMs: 1000 });
      return { store, disks: VmDisks.load(store, VM, { ...options, newGuid: counterGuid(0x100) }) };
    };
    // before / after
    const reference = scratch('clab-crash-ref-');
    fs.cpSync(from, reference, { recursive: true });
    const first = await open(reference);
    const before = snapshot(first.disks);
    await first.store.withLock(() => operation(first.store, first.disks));
    const after = snapshot(first.disks);
    assert.equal(snapshot((await open(reference)).disks), after, 'the after state survives a reopen');
    assert.notEqual(after, before, `${name} changes something`);
    cleanup(reference);

    let tried = 0;
    const outcomes = { before: 0, after: 0 };
    // each point three times: the process dies (its writes stay); the power goes (file writes
    // not fsynced are lost); the power goes and folder entries not fsynced are lost too
    for (let run = 3; ; run++) {
      const boundary = Math.floor(run / 3);
      const cut = CUTS[run % 3];
      const dir = scratch('clab-crash-run-');
      try {
        fs.cpSync(from, dir, { recursive: true });
        const io = new FaultIo();
        const { store, disks } = await open(dir, io);
        io.crashAt = io.boundaries + boundary;
        let crashed = false;
        try {
          await store.withLock(() => operation(store, disks));
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
          crashed = true;
        }
        if (!crashed) break; // the operation completed before this boundary: all points tried
        tried++;
        const lost = cut === 'crash' ? 0 : io.losePendingWrites({ entries: cut === 'power cut, entries too' });
        const how = `${cut}${lost > 0 ? ` (${lost} changes lost)` : ''} at write boundary ${boundary}`;
        // the next process: recovery under the lock, then the state must be before or after
        let reopened: { store: Store; disks: VmDisks };
        let state: string;
        try {
          reopened = await open(dir);
          state = snapshot(reopened.disks);
        } catch (error) {
          throw new Error(`${name}: after a ${how}, the store does not open: ${(error as Error).message}`);
        }
        assert.ok(state === before || state === after, `${name}: ${how} left a mixed state`);
        outcomes[state === before ? 'before' : 'after']++;
        assert.deepEqual(reopened.store.verify(), [], `${name}: ${how}`);
        // and the store still works: the operation can be done again
        await reopened.store.withLock(() => operation(reopened.store, reopened.disks));
        assert.deepEqual(reopened.store.verify(), []);
        // nothing orphaned: no temporaries, a pool no larger than what is referenced (plus the tail of one spill)
        const files = fs.readdirSync(path.join(dir, 'Virtual Hard Disks', VM));
        assert.ok(!files.some((file) => file.includes('tmp')), files.join());
      } finally {
        cleanup(dir);
      }
    }
    console.log(`      ${name}: ${tried} crash points tried, two thirds of them as power cuts (${outcomes.before} recovered to before, ${outcomes.after} to after)`);
    assert.ok(tried >= 5);
    assert.ok(outcomes.before > 0 && outcomes.after > 0);
    return tried;
  }

  let total = 0;
  it('checkpoint (freeze)', async () => {
    total += await crashEverywhere('checkpoint', (store, disks) => {
      const now = disks.list().find((d) => !d.frozen)!.file;
      disks.device(now, 'rw').write(fill(5, 100), 0, 100, 7);
      store.commit((tx) => disks.freeze(tx, now));
    });
  });

  it('merge (delete checkpoint A: collapse merges Now into disk0.vhdx)', async () => {
    total += await crashEverywhere('merge', (store, disks) => {
      const now = disks.list().find((d) => !d.frozen)!.file;
      store.commit((tx) => disks.collapse(tx, new Set([now])));
    });
  });

  it('merge into the smaller parent (Now\'s map takes the parent\'s name)', async () => {
    total += await crashEverywhere(
      'merge (rename)',
      (store, disks) => {
        const now = disks.list().find((d) => !d.frozen)!.file;
        store.commit((tx) => disks.collapse(tx, new Set([now])));
      },
      bigNowTemplate,
    );
  });

  it('guest write (spilled and buffered blocks, commitWrites)', async () => {
    total += await crashEverywhere('guest write', (store, disks) => {
      const now = disks.list().find((d) => !d.frozen)!.file;
      const device = disks.device(now, 'rw');
      device.write(fill(7, 12 * BLOCK_SIZE), 0, 12 * BLOCK_SIZE, 10 * BLOCK_SIZE); // spills
      device.write(fill(8, 3000), 0, 3000, 100);
      device.discard(15 * BLOCK_SIZE, BLOCK_SIZE);
      store.commit((tx) => disks.commitWrites(tx));
    });
  });

  it('large guest write (whole blocks straight to free slots, partial ends buffered, commitWrites)', async () => {
    total += await crashEverywhere('large guest write', (store, disks) => {
      const now = disks.list().find((d) => !d.frozen)!.file;
      const device = disks.device(now, 'rw');
      device.write(fill(9, 20 * BLOCK_SIZE + 300), 0, 20 * BLOCK_SIZE + 300, 5 * BLOCK_SIZE + 100);
      store.commit((tx) => disks.commitWrites(tx));
    });
  });

  after(() => console.log(`      crash points tried in all: ${total}`));
  void nowFile;
});

/**
 * R28 for VM creation (new-vm, import-vm): die at every write boundary of the facade's
 * operation; the next process finds the VM either absent (no disk folder, no config, not in
 * lab.json, no temporaries) or present and fully formatted, with verify() clean. The store
 * is first inspected through the plain Store (recovery only), before the Lab's orphan sweep,
 * which is defence and must find nothing to do.
 */
describe('crash safety of VM creation at every write boundary (R28, R29)', function () {
  this.timeout(120_000);
  const NEW_ID = 'abcdef01-2222-3333-4444-555555555555';
  let exported = '';
  let exportRoot = '';

  before(async () => {
    exportRoot = scratch('clab-crash-export-');
    const lab = await Lab.open(path.join(exportRoot, 'store'));
    await lab.createVm({ name: 'source', diskSizeGiB: 1 });
    await lab.writeFile('source', '/hello.txt', 'from the source');
    exported = (await lab.exportVm('source', path.join(exportRoot, 'out'))).folder;
    await lab.close();
  });
  after(() => cleanup(exportRoot));

  function filesNaming(root: string, id: string): string[] {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const name of fs.readdirSync(dir)) {
        const full = path.join(dir, name);
        if (name.includes(id) || name.endsWith('.clab-tmp')) out.push(path.relative(root, full));
        if (fs.statSync(full).isDirectory()) walk(full);
      }
    };
    walk(root);
    return out;
  }

  async function crashEverywhere(name: string, create: (lab: Lab) => Promise<unknown>, check: (lab: Lab) => Promise<void>): Promise<void> {
    const outcomes = { absent: 0, present: 0 };
    for (let run = 3; ; run++) {
      const boundary = Math.floor(run / 3);
      const cut = CUTS[run % 3];
      const dir = scratch('clab-crash-vm-');
      try {
        const io = new FaultIo();
        const lab = await Lab.open(dir, { io, newId: () => NEW_ID, lockTimeoutMs: 1000 });
        io.crashAt = io.boundaries + boundary;
        let crashed = false;
        try {
          await create(lab);
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
          crashed = true;
        }
        if (!crashed) {
          await lab.close();
          break;
        }
        if (cut !== 'crash') io.losePendingWrites({ entries: cut === 'power cut, entries too' });
        const how = `${cut} at write boundary ${boundary}`;
        // the next process: recovery only (no orphan sweep yet)
        const store = await Store.open(dir, { lockTimeoutMs: 1000 });
        const registered = JSON.stringify(store.readJson<{ vms: unknown[] }>('lab.json').vms).includes(NEW_ID);
        const leftovers = filesNaming(dir, NEW_ID);
        if (registered) {
          outcomes.present++;
          assert.ok(fs.existsSync(path.join(dir, 'Virtual Hard Disks', NEW_ID, 'disk0.vhdx')), `${name}: ${how}`);
        } else {
          outcomes.absent++;
          assert.deepEqual(leftovers, [], `${name}: ${how} left files of a VM that does not exist`);
        }
        assert.ok(!leftovers.some((file) => file.endsWith('.clab-tmp')), leftovers.join());
        const reopened = await Lab.open(dir);
        try {
          assert.deepEqual((await reopened.verify()).Problems, [], `${name}: ${how}`);
          const vms = await reopened.listVms();
          assert.equal(vms.length, registered ? 1 : 0);
          if (registered) {
            assert.equal(vms[0].Status, 'Ok');
            await check(reopened);
          }
          assert.deepEqual(filesNaming(dir, NEW_ID).filter((file) => file.endsWith('.clab-tmp')), []);
        } finally {
          await reopened.close();
        }
      } finally {
        cleanup(dir);
      }
    }
    console.log(`      ${name}: ${outcomes.absent + outcomes.present} crash points tried, two thirds of them as power cuts (${outcomes.absent} absent, ${outcomes.present} complete)`);
    assert.ok(outcomes.absent >= 3 && outcomes.present >= 1, JSON.stringify(outcomes));
  }

  it('new-vm: absent, or present with a formatted ext4 disk', async () => {
    await crashEverywhere(
      'new-vm',
      (lab) => lab.createVm({ name: 'fresh', diskSizeGiB: 1 }),
      async (lab) => {
        assert.deepEqual(await lab.listFiles('fresh', '/lost+found').catch(() => []), []);
        await lab.writeFile('fresh', '/after.txt', 'works');
        assert.equal((await lab.readFile('fresh', '/after.txt')).toString(), 'works');
      },
    );
  });

  it('import-vm: absent, or present with the whole imported disk', async () => {
    await crashEverywhere(
      'import-vm',
      (lab) => lab.importVm(exported),
      async (lab) => {
        assert.equal((await lab.readFile('source', '/hello.txt')).toString(), 'from the source');
      },
    );
  });
});
