/**
 * Two Lab instances on one store (as the extension and the CLI are): each sees the other's
 * changes (R31: one writer at a time, the tree refreshes from the store's sequence), and
 * listings stay light (no WebAssembly).
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { Lab, LabChange } from '../../../src/engine';
import { cleanup, openLab, scratch } from './helpers';

describe('engine: two Labs on one store (cross-process)', function () {
  this.timeout(60_000);
  let root: string;
  let a: Lab;
  let b: Lab;

  before(async () => {
    root = scratch();
    a = await openLab(root);
    b = await openLab(root);
  });
  after(async () => {
    await a.close();
    await b.close();
    cleanup(root);
  });

  it('R31: a VM, checkpoints and guest files made by one Lab are seen by the other', async () => {
    await a.createVm({ name: 'shared', diskSizeGiB: 1 });
    assert.deepEqual((await b.listVms()).map((v) => v.Name), ['shared']);
    await b.writeFile('shared', '/from-b.txt', 'b1');
    assert.equal((await a.readFile('shared', '/from-b.txt')).toString(), 'b1', 'a reloads its mounted disk after b committed');
    const { checkpoint } = await a.checkpoint('shared', { name: 'by a' });
    await a.writeFile('shared', '/from-b.txt', 'a2');
    assert.deepEqual((await b.listCheckpoints({ vm: 'shared' })).map((c) => c.Id), [checkpoint.Id]);
    assert.equal((await b.readFile('shared', '/from-b.txt')).toString(), 'a2');
    await b.apply('shared', 'by a');
    assert.equal((await a.readFile('shared', '/from-b.txt')).toString(), 'b1');
    await b.start('shared');
    await b.writeFile('shared', '/run/mem', 'from b');
    assert.equal((await a.getVm('shared')).State, 'Running');
    assert.equal((await a.readFile('shared', '/run/mem')).toString(), 'from b', 'memory is shared through the .vmrs');
    await a.save('shared');
    await b.start('shared');
    assert.equal((await b.readFile('shared', '/run/mem')).toString(), 'from b');
    await b.turnOff('shared');
    await a.removeCheckpoint('shared', 'by a');
    assert.deepEqual(await b.listCheckpoints({ vm: 'shared' }), []);
    assert.deepEqual((await a.verify()).Problems, []);
    assert.deepEqual((await b.verify()).Problems, []);
  });

  it('R31: refresh() and watch() report the other Lab\'s commits as storeChanged; own changes come as typed events', async () => {
    const seenByA: LabChange[] = [];
    const sub = a.onDidChange((c) => seenByA.push(c));
    await a.refresh();
    seenByA.length = 0;
    await a.createVm({ name: 'evented', diskSizeGiB: 1 });
    const vmId = (await a.getVm('evented')).Id;
    assert.ok(seenByA.some((c) => c.kind === 'vmAdded' && c.vmId === vmId && c.origin === 'local'));
    await a.writeFile('evented', '/x.txt', 'x');
    assert.ok(seenByA.some((c) => c.kind === 'guestFilesChanged' && c.vmId === vmId && c.paths?.includes('/x.txt')));
    await a.checkpoint('evented');
    assert.ok(seenByA.some((c) => c.kind === 'checkpointsChanged' && c.vmId === vmId));
    assert.equal(await a.refresh(), false, 'own commits are not external changes');
    seenByA.length = 0;
    const watching = new Promise<LabChange>((resolve) => {
      const s = a.onDidChange((c) => {
        if (c.kind === 'storeChanged') {
          s.dispose();
          resolve(c);
        }
      });
    });
    const watch = a.watch(50);
    await b.setVm('evented', { notes: 'changed by b' });
    const change = await watching;
    watch.dispose();
    sub.dispose();
    assert.equal(change.origin, 'external');
    assert.equal((await a.getVm('evented')).Notes, 'changed by b');
  });

  it('R31: while one Lab holds the lock the other waits, then fails after the timeout with the SPEC message', async () => {
    const c = await openLab(root, { lockTimeoutMs: 200 });
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const holding = a.editFiles('evented', () => held);
      await new Promise((r) => setTimeout(r, 50));
      await assert.rejects(c.setVm('evented', { notes: 'blocked' }), { message: 'The lab store is in use by another process.' });
      release();
      await holding;
      assert.equal((await c.setVm('evented', { notes: 'after' })).Notes, 'after');
    } finally {
      await c.close();
    }
  });

  it('commitSequence moves with every commit, by either Lab', async () => {
    const start = a.commitSequence;
    assert.equal(b.commitSequence, start);
    await b.createVm({ name: 'seq', diskSizeGiB: 1 });
    assert.ok(a.commitSequence > start);
    const mid = a.commitSequence;
    await a.writeFile('seq', '/x.txt', 'x');
    assert.ok(b.commitSequence > mid);
    assert.equal(a.commitSequence, b.commitSequence);
  });

  it('nowVersion moves only when something changes what THIS VM\'s Now holds, in any process', async () => {
    await a.createVm({ name: 'nv-one', diskSizeGiB: 1 });
    await a.createVm({ name: 'nv-other', diskSizeGiB: 1 });
    let seen = await b.nowVersion('nv-one');
    assert.equal(await a.nowVersion('nv-one'), seen, 'the same in both Labs');
    const same = async (why: string): Promise<void> => assert.equal(await b.nowVersion('nv-one'), seen, why);
    const moved = async (why: string): Promise<void> => {
      const now = await b.nowVersion('nv-one');
      assert.notEqual(now, seen, why);
      seen = now;
    };
    await a.writeFile('nv-other', '/f.txt', 'another VM');
    await a.setVm('nv-one', { notes: 'settings only' });
    await same('writes into another VM and settings leave it');
    await a.writeFile('nv-one', '/f.txt', 'one');
    await moved('a guest write by the other Lab');
    const { checkpoint } = await a.checkpoint('nv-one', { name: 'nv-cp' });
    await same('a checkpoint keeps what Now holds');
    await a.writeFile('nv-one', '/f.txt', 'two');
    await moved('a write after the checkpoint');
    await a.apply('nv-one', checkpoint.Id);
    await moved('apply');
    await a.start('nv-one');
    await moved('start');
    await a.writeFile('nv-one', '/run/state', 'memory only');
    await moved('a write to /run');
    await a.turnOff('nv-one');
    await moved('turn off');
    await a.removeCheckpoint('nv-one', checkpoint.Id);
    await a.writeFile('nv-one', '/f.txt', 'three');
    await moved('a write after a merge');
    await assert.rejects(b.nowVersion('no-such-vm'), { code: 'VmNotFound' });
  });

  it('listings load no WebAssembly (a fresh process lists VMs and checkpoints without the guest module)', () => {
    const script = `
      const { Lab } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/engine'))});
      const { guestLoaded } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/engine/guestModule'))});
      (async () => {
        const lab = await Lab.open(${JSON.stringify(root)});
        const vms = await lab.listVms();
        const cps = await lab.listCheckpoints();
        await lab.getVm(vms[0].Id);
        process.stdout.write(JSON.stringify({ vms: vms.length, cps: cps.length, wasm: guestLoaded() || Object.keys(require.cache).some((k) => k.includes('ext2fs')) }));
      })();`;
    const out = JSON.parse(execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { encoding: 'utf8' }));
    assert.ok(out.vms >= 1);
    assert.equal(out.wasm, false);
  });
});
