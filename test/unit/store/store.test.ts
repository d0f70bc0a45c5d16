import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeJson, encodeJson } from '../../../src/engine/store/codec';
import { FaultIo } from '../../../src/engine/store/io';
import { STORE_BUSY_MESSAGE, Store } from '../../../src/engine/store/store';
import { BLOCK_SIZE, VmDisks } from '../../../src/engine/disk/vmDisks';
import { cleanup, fill, newLab, readAll, scratch, snapshot, VM } from '../disk/helpers';

const repo = path.resolve(__dirname, '../../..');

/** A child node process that takes the store's lock and then waits (optionally under a shell that never reaps it). */
function lockHolder(root: string, zombie: boolean): Promise<{ child: ChildProcess; pid: number }> {
  const script = `require(${JSON.stringify(path.join(repo, 'src/engine/store/lock.ts'))}).FileLock.prototype.tryAcquire.call(new (require(${JSON.stringify(
    path.join(repo, 'src/engine/store/lock.ts'),
  )}).FileLock)(${JSON.stringify(path.join(root, 'lab.lock'))})); console.log('locked ' + process.pid); setInterval(() => {}, 1000);`;
  const node = `${JSON.stringify(process.execPath)} --require tsx/cjs -e ${JSON.stringify(script)}`;
  // zombie: the shell execs into sleep, which never reaps the killed node child
  const child = zombie ? spawn('sh', ['-c', `${node} & exec sleep 30`], { cwd: repo }) : spawn('sh', ['-c', `exec ${node}`], { cwd: repo });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (data: Buffer) => {
      const match = /locked (\d+)/.exec(data.toString());
      if (match) resolve({ child, pid: Number(match[1]) });
    });
    child.on('error', reject);
    setTimeout(() => reject(new Error('lock holder did not start')), 20000);
  });
}

describe('Store', () => {
  let dir: string;
  beforeEach(() => {
    dir = scratch('clab-store-');
  });
  afterEach(() => cleanup(dir));

  it('creates a store with lab.json (format, store Id, no VMs) and reopens it with the same Id', async () => {
    const store = await Store.open(dir);
    assert.match(store.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(store.readJson('lab.json'), { storeId: store.id, vms: [] });
    const raw = JSON.parse(fs.readFileSync(path.join(dir, 'lab.json'), 'utf8'));
    assert.equal(raw.format, 1);
    assert.match(raw.checksum, /^crc32:[0-9a-f]{8}$/);
    for (const folder of ['Virtual Machines', 'Virtual Hard Disks', 'Snapshots']) assert.ok(fs.statSync(path.join(dir, folder)).isDirectory());
    assert.equal((await Store.open(dir)).id, store.id);
    assert.deepEqual(store.verify(), []);
  });

  it('R31: every commit bumps a sequence another process reads cheaply', async () => {
    const store = await Store.open(dir);
    const other = await Store.open(dir);
    const start = other.readSequence();
    store.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', { n: 1 }));
    assert.equal(other.readSequence(), start + 1);
    assert.equal(other.changedElsewhere(), true);
    other.markSeen();
    assert.equal(other.changedElsewhere(), false);
    assert.deepEqual(other.readJson('Virtual Machines/a.vmcx'), { n: 1 });
  });

  it('commit: writeFile, pwrite, truncate, deleteFile, onCommitted; a failing build changes nothing', async () => {
    const store = await Store.open(dir);
    let committed = 0;
    store.commit((tx) => {
      tx.writeFile('Snapshots/x.bin', Buffer.from('hello world'));
      tx.onCommitted(() => committed++);
    });
    store.commit((tx) => {
      tx.pwrite('Snapshots/x.bin', 6, Buffer.from('WORLD'));
      tx.truncate('Snapshots/x.bin', 9);
    });
    assert.equal(fs.readFileSync(path.join(dir, 'Snapshots/x.bin'), 'utf8'), 'hello WOR');
    const sequence = store.readSequence();
    assert.throws(() =>
      store.commit((tx) => {
        tx.deleteFile('Snapshots/x.bin');
        throw new Error('engine refused');
      }),
    );
    assert.equal(store.readSequence(), sequence);
    assert.ok(fs.existsSync(path.join(dir, 'Snapshots/x.bin')));
    store.commit((tx) => tx.deleteFile('Snapshots/x.bin'));
    assert.ok(!fs.existsSync(path.join(dir, 'Snapshots/x.bin')));
    assert.equal(committed, 1);
  });

  describe('opening without the lock (listings)', () => {
    it('a clean store opens without its lock and without walking it; lab.json is handed on once', async () => {
      const store = await Store.open(dir);
      store.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', { v: 1 }));
      const { child } = await lockHolder(dir, false);
      try {
        const started = Date.now();
        const reader = await Store.open(dir, { lockTimeoutMs: 300 });
        assert.ok(Date.now() - started < 250, 'no wait for the lock');
        assert.equal(reader.id, store.id);
        assert.equal(reader.knownSequence, store.readSequence());
        assert.equal(reader.takeOpenedLab()?.data.storeId, store.id);
        assert.equal(reader.takeOpenedLab(), undefined);
        assert.equal(reader.journalPending(), false);
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('a commit marks its temporaries (lab.sweep) only while they exist; a crash between leaves the mark and the next open sweeps', async () => {
      const store = await Store.open(dir);
      store.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', { v: 1 }));
      assert.ok(!fs.existsSync(path.join(dir, 'lab.sweep')), 'removed after the commit');
      // die right after the first temporary is written (boundary 1 is the mark, 2 the temporary)
      const io = new FaultIo();
      const dying = await Store.open(dir, { io });
      io.crashAt = io.boundaries + 3;
      assert.throws(() => dying.commit((tx) => tx.writeJson('Virtual Machines/b.vmcx', { v: 2 })), /simulated crash/);
      assert.ok(fs.existsSync(path.join(dir, 'lab.sweep')));
      assert.ok(fs.readdirSync(path.join(dir, 'Virtual Machines')).some((name) => name.endsWith('.clab-tmp')));
      const next = await Store.open(dir);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'Virtual Machines')), ['a.vmcx']);
      assert.ok(!fs.existsSync(path.join(dir, 'lab.sweep')));
      assert.deepEqual(next.verify(), []);
    });

    it('an interrupted commit (journal record present) is recovered under the lock, not read around', async () => {
      const store = await Store.open(dir);
      store.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', { v: 1 }));
      const io = new FaultIo();
      const dying = await Store.open(dir, { io });
      // find the boundary right after the commit point: the journal record is whole, nothing applied
      const probe = new FaultIo();
      const counting = await Store.open(dir, { io: probe });
      const start = probe.boundaries;
      let journalAt = 0;
      const inner = probe.fsync.bind(probe);
      probe.fsync = (file: string) => {
        if (journalAt === 0 && file.endsWith('lab.journal')) journalAt = probe.boundaries + 1 - start;
        inner(file);
      };
      counting.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', { v: 0 }));
      assert.ok(journalAt > 0);
      io.crashAt = io.boundaries + journalAt + 1;
      assert.throws(() => dying.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', { v: 2 })), /simulated crash/);
      assert.ok(store.journalPending(), 'the record is there, not applied');
      const reopened = await Store.open(dir);
      assert.equal(reopened.journalPending(), false);
      assert.equal(reopened.takeOpenedLab(), undefined, 'the locked path: recovery first');
      assert.deepEqual(reopened.readJson('Virtual Machines/a.vmcx'), { v: 2 }, 'rolled forward');
      assert.deepEqual(reopened.verify(), []);
    });
  });

  describe('lock (R31)', () => {
    it('times out with "The lab store is in use by another process." while a live process holds it, and changes nothing', async () => {
      const store = await Store.open(dir, { lockTimeoutMs: 300 });
      const { child } = await lockHolder(dir, false);
      try {
        const sequence = store.readSequence();
        const started = Date.now();
        await assert.rejects(
          store.withLock(() => store.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', {}))),
          (error: Error & { code?: string }) => error.message === STORE_BUSY_MESSAGE && error.code === 'StoreBusy',
        );
        assert.ok(Date.now() - started >= 290);
        assert.equal(store.readSequence(), sequence);
        assert.equal(STORE_BUSY_MESSAGE, 'The lab store is in use by another process.');
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('takes over at once the lock of a killed holder', async () => {
      const store = await Store.open(dir, { lockTimeoutMs: 3000 });
      const { child, pid } = await lockHolder(dir, false);
      process.kill(pid, 'SIGKILL');
      await new Promise((resolve) => child.on('exit', resolve));
      const started = Date.now();
      await store.withLock(() => store.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', {})));
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    });

    it('takes over at once the lock of a killed holder that is not reaped yet (a zombie)', async () => {
      const store = await Store.open(dir, { lockTimeoutMs: 3000 });
      const { child, pid } = await lockHolder(dir, true);
      try {
        process.kill(pid, 'SIGKILL');
        for (let wait = 0; wait < 100; wait++) {
          const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
          if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0], 'Z', 'the holder is a zombie');
        const started = Date.now();
        await store.withLock(() => store.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', {})));
        assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('is held only for the call, serialises calls in one process, and commit() inside it uses the held lock', async () => {
      const store = await Store.open(dir);
      const lockFile = path.join(dir, 'lab.lock');
      assert.ok(!fs.existsSync(lockFile));
      const order: string[] = [];
      await Promise.all([
        store.withLock(async () => {
          assert.ok(fs.existsSync(lockFile));
          assert.equal(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid, process.pid);
          store.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', {}));
          await new Promise((resolve) => setTimeout(resolve, 30));
          order.push('first');
        }),
        store.withLock(() => order.push('second')),
      ]);
      assert.deepEqual(order, ['first', 'second']);
      assert.ok(!fs.existsSync(lockFile));
    });

    it('work scheduled from inside a locked call takes the lock itself when it runs later', async () => {
      const store = await Store.open(dir);
      const lockFile = path.join(dir, 'lab.lock');
      let outerDone = false;
      const later = await store.withLock(() => {
        // runs after the outer call released the lock: it must not think it still holds it
        const scheduled = new Promise<boolean>((resolve, reject) =>
          setImmediate(() =>
            store
              .withLock(() => outerDone && fs.existsSync(lockFile))
              .then(resolve, reject),
          ),
        );
        outerDone = true;
        return { scheduled };
      });
      assert.equal(await later.scheduled, true, 'the later call ran after the first, holding the lock');
      assert.ok(!fs.existsSync(lockFile));
    });
  });

  describe('the power-cut model of the crash tests (FaultIo.losePendingWrites)', () => {
    it('undoes writes not made durable by an fsync of their file; a rename carries what is pending', () => {
      const io = new FaultIo();
      const file = (name: string) => path.join(dir, name);
      io.writeFile(file('kept'), Buffer.from('v1'));
      io.fsync(file('kept'));
      io.pwrite(file('kept'), 0, Buffer.from('v2'));
      io.writeFile(file('new'), Buffer.from('never synced'));
      io.writeFile(file('synced'), Buffer.from('synced'));
      io.fsync(file('synced'));
      io.writeFile(file('tmp'), Buffer.from('renamed unsynced'));
      io.rename(file('tmp'), file('target'));
      assert.equal(io.losePendingWrites(), 3);
      assert.equal(fs.readFileSync(file('kept'), 'utf8'), 'v1', 'the pwrite after the fsync is lost');
      assert.ok(!fs.existsSync(file('new')), 'a file never fsynced is gone');
      assert.equal(fs.readFileSync(file('synced'), 'utf8'), 'synced');
      assert.ok(!fs.existsSync(file('target')), 'a renamed file keeps its pending state');
    });

    it('with entries, folder changes not made durable by an fsync of the folder are undone too', () => {
      const io = new FaultIo();
      const file = (name: string) => path.join(dir, name);
      io.writeFile(file('old'), Buffer.from('old'));
      io.writeFile(file('gone'), Buffer.from('gone'));
      io.fsync(file('old'));
      io.fsync(file('gone'));
      io.fsyncDir(dir); // both entries durable
      io.writeFile(file('tmp'), Buffer.from('new'));
      io.fsync(file('tmp')); // content durable, entry not
      io.rename(file('tmp'), file('old'));
      io.unlink(file('gone'));
      io.mkdir(file('sub'));
      io.losePendingWrites({ entries: true });
      assert.equal(fs.readFileSync(file('old'), 'utf8'), 'old', 'the rename over it is undone');
      assert.ok(!fs.existsSync(file('tmp')), 'the new entry is gone');
      assert.equal(fs.readFileSync(file('gone'), 'utf8'), 'gone', 'the unlink is undone');
      assert.ok(!fs.existsSync(file('sub')));
      // after an fsync of the folder the same changes survive
      const durable = new FaultIo();
      durable.writeFile(file('tmp'), Buffer.from('new'));
      durable.fsync(file('tmp'));
      durable.rename(file('tmp'), file('old'));
      durable.fsyncDir(dir);
      durable.losePendingWrites({ entries: true });
      assert.equal(fs.readFileSync(file('old'), 'utf8'), 'new');
    });
  });

  describe('metadata files (format, checksum, data)', () => {
    const value = { name: 'web-01', checkpoints: [{ id: 'a', notes: 'line 1\nline 2 \u00e9' }], size: 4 * 2 ** 30, none: null };

    it('pretty and compact files decode to the same data; the checksum does not depend on the layout', () => {
      const pretty = encodeJson(value);
      const compact = encodeJson(value, { compact: true });
      assert.ok(compact.length < pretty.length);
      assert.ok(pretty.toString().includes('\n  "name"'), 'pretty for people reading the store');
      assert.deepEqual(decodeJson('a.json', pretty), value);
      assert.deepEqual(decodeJson('a.json', compact), value);
    });

    it('a changed value in a compact file fails its checksum', () => {
      const damaged = Buffer.from(encodeJson(value, { compact: true }).toString().replace('web-01', 'web-02'));
      assert.throws(() => decodeJson('lab.json', damaged), /lab\.json/);
    });
  });

  describe('bad input (R32)', () => {
    it('a truncated metadata file is named; the rest of the store still reads', async () => {
      const store = await Store.open(dir);
      store.commit((tx) => {
        tx.writeJson('Virtual Machines/a.vmcx', { name: 'a' });
        tx.writeJson('Virtual Machines/b.vmcx', { name: 'b' });
      });
      const file = path.join(dir, 'Virtual Machines/a.vmcx');
      fs.truncateSync(file, 20);
      assert.throws(() => store.readJson('Virtual Machines/a.vmcx'), /^StoreFileError: Virtual Machines\/a\.vmcx: .*truncated/);
      assert.deepEqual(store.readJson('Virtual Machines/b.vmcx'), { name: 'b' });
      const reopened = await Store.open(dir);
      assert.deepEqual(reopened.verify().map((p) => p.file), ['Virtual Machines/a.vmcx']);
    });

    it('a hand-edited JSON file fails its checksum, naming the file', async () => {
      const store = await Store.open(dir);
      store.commit((tx) => tx.writeJson('Snapshots/c.vmcx', { name: 'c', memory: 1024 }));
      const file = path.join(dir, 'Snapshots/c.vmcx');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('1024', '2048'));
      assert.throws(() => store.readJson('Snapshots/c.vmcx'), /Snapshots\/c\.vmcx: checksum mismatch/);
      const problems = (await Store.open(dir)).verify();
      assert.equal(problems.length, 1);
      assert.equal(problems[0].file, 'Snapshots/c.vmcx');
      assert.match(problems[0].problem, /edited outside Checkpoint Lab/);
    });

    it('a store from a newer format is refused naming both versions', async () => {
      await Store.open(dir);
      const file = path.join(dir, 'lab.json');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"format": 1', '"format": 7'));
      await assert.rejects(Store.open(dir), /store format 7.*store format 1/);
    });

    it('a store from the older format 0 is migrated after a copy of its metadata is kept', async () => {
      fs.mkdirSync(path.join(dir, 'Virtual Machines'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'lab.json'), JSON.stringify({ format: 0, storeId: 'old-store', vms: [{ id: 'x' }] }));
      fs.writeFileSync(path.join(dir, 'Virtual Machines/x.vmcx'), JSON.stringify({ format: 0, name: 'web-01' }));
      const store = await Store.open(dir);
      assert.equal(store.id, 'old-store');
      assert.deepEqual(store.readJson('lab.json'), { storeId: 'old-store', vms: [{ id: 'x' }] });
      assert.deepEqual(store.readJson('Virtual Machines/x.vmcx'), { name: 'web-01' });
      const backups = fs.readdirSync(path.join(dir, 'Backups'));
      assert.equal(backups.length, 1);
      assert.match(backups[0], /^format-0-/);
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'Backups', backups[0], 'Virtual Machines/x.vmcx'), 'utf8')).format, 0);
      assert.deepEqual(store.verify(), []);
    });

    it('a metadata file without format or checksum is named', async () => {
      const store = await Store.open(dir);
      fs.writeFileSync(path.join(dir, 'Snapshots/d.vmrs'), JSON.stringify({ hello: 1 }));
      assert.throws(() => store.readJson('Snapshots/d.vmrs'), /Snapshots\/d\.vmrs: the file has no format version/);
      assert.throws(() => store.readJson('Snapshots/missing.vmrs'), /Snapshots\/missing\.vmrs: the file is missing/);
    });

    it('a damaged disk file or a missing block is named by verify and on use; other disks and files are unaffected', async () => {
      const { store, disks } = await newLab(dir);
      const device = disks.device('disk0.vhdx', 'rw');
      device.write(fill(1, 4 * BLOCK_SIZE), 0, 4 * BLOCK_SIZE, 0);
      let now = '';
      store.commit((tx) => {
        now = disks.freeze(tx, 'disk0.vhdx');
      });
      device.write(fill(2, BLOCK_SIZE), 0, BLOCK_SIZE, 0);
      store.commit((tx) => disks.commitWrites(tx));
      store.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', { ok: true }));
      const diskDir = path.join(dir, 'Virtual Hard Disks', VM);
      // truncate the pool: a block is missing
      fs.truncateSync(path.join(diskDir, 'blocks.pool'), 3 * BLOCK_SIZE);
      const problems = store.verify();
      assert.ok(problems.some((p) => p.file.endsWith('disk0.vhdx') && /missing from blocks\.pool/.test(p.problem)), JSON.stringify(problems));
      assert.throws(() => readAll(VmDisks.load(store, VM), now, BLOCK_SIZE), /blocks\.pool: .*missing/);
      // corrupt a data block: its checksum fails
      const pool = path.join(diskDir, 'blocks.pool');
      const bytes = fs.readFileSync(pool);
      bytes[10] ^= 0xff;
      fs.writeFileSync(pool, bytes);
      assert.ok(store.verify().some((p) => p.file.endsWith('blocks.pool') && /fails its checksum/.test(p.problem)));
      // damage Now's map: that disk is named; the checkpoint's disk and the rest still load
      fs.truncateSync(path.join(diskDir, now), 100);
      const reloaded = VmDisks.load(store, VM);
      assert.throws(() => reloaded.device(now, 'rw'), new RegExp(`${now.replace(/[.]/g, '\\.')}: the disk file is truncated`));
      assert.ok(reloaded.has('disk0.vhdx'));
      assert.ok(store.verify().some((p) => p.file.endsWith(now) && /truncated/.test(p.problem)));
      assert.deepEqual(store.readJson('Virtual Machines/a.vmcx'), { ok: true });
      // a hand-edited disk header
      const header = fs.readFileSync(path.join(diskDir, 'disk0.vhdx'));
      header[16] ^= 1;
      fs.writeFileSync(path.join(diskDir, 'disk0.vhdx'), header);
      assert.ok(store.verify().some((p) => p.file.endsWith('disk0.vhdx') && /header fails its checksum/.test(p.problem)));
      await Store.open(dir); // the store itself still opens
    });

    it('ENOSPC: a full disk gives a clear error naming the file; nothing is committed or lost; reopen is clean', async () => {
      const io = new FaultIo();
      const { store, disks } = await newLab(dir, 1024 ** 3, { io });
      const device = disks.device('disk0.vhdx', 'rw');
      device.write(fill(1, 2 * BLOCK_SIZE), 0, 2 * BLOCK_SIZE, 0);
      store.commit((tx) => disks.commitWrites(tx));
      store.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', { v: 1 }));
      const before = snapshot(disks);
      const sequence = store.readSequence();
      // the pool cannot grow
      io.enospc = (file) => file.endsWith('blocks.pool');
      device.write(fill(2, 3 * BLOCK_SIZE), 0, 3 * BLOCK_SIZE, 0);
      assert.throws(
        () => store.commit((tx) => disks.commitWrites(tx)),
        (error: Error & { code?: string }) => error.code === 'StoreFull' && /not enough disk space to write 'Virtual Hard Disks\/.*\/blocks\.pool'/i.test(error.message),
      );
      assert.equal(store.readSequence(), sequence);
      assert.equal(snapshot(disks), before, 'in-memory disks went back to the committed state');
      // metadata cannot be written either: named, nothing changed
      io.enospc = () => true;
      assert.throws(() => store.commit((tx) => tx.writeJson('Virtual Machines/a.vmcx', { v: 2 })), /Virtual Machines\/a\.vmcx/);
      assert.deepEqual(store.readJson('Virtual Machines/a.vmcx'), { v: 1 });
      io.enospc = undefined;
      const reopened = await Store.open(dir);
      assert.equal(snapshot(VmDisks.load(reopened, VM)), before);
      assert.deepEqual(reopened.verify(), []);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'Virtual Machines')), ['a.vmcx']);
    });
  });
});
