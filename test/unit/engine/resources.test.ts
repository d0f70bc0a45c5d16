/**
 * Long-running hosts (the VS Code extension host) must not accumulate resources: disk
 * devices, mounted guest file systems (each holds part of the fixed 16 MiB WebAssembly heap).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Lab } from '../../../src/engine';
import { DEFAULT_MOUNT_LIMITS } from '../../../src/engine/mounts';
import { cleanup, openLab, scratch } from './helpers';

describe('engine: resources stay bounded', function () {
  this.timeout(300_000);
  let root: string;
  let lab: Lab;

  before(async () => {
    root = scratch();
    lab = await openLab(root);
  });
  after(async () => {
    await lab.close();
    cleanup(root);
  });

  it('200 checkpoint reads (read, list, stat, exists, compare, export) leave open devices and mounts bounded', async () => {
    await lab.createVm({ name: 'reads', diskSizeGiB: 1 });
    await lab.writeFile('reads', '/a.txt', 'one');
    const { checkpoint: first } = await lab.checkpoint('reads', { name: 'first' });
    await lab.writeFile('reads', '/a.txt', 'two');
    const { checkpoint: second } = await lab.checkpoint('reads', { name: 'second' });
    await lab.readFile('reads', '/a.txt');
    const baseline = lab.resourceCounts();
    for (let i = 0; i < 200; i++) {
      const checkpoint = i % 2 === 0 ? first.Id : second.Id;
      assert.equal((await lab.readFile('reads', '/a.txt', { checkpoint })).toString(), i % 2 === 0 ? 'one' : 'two');
      if (i % 10 === 1) await lab.listFiles('reads', '/', { checkpoint });
      if (i % 10 === 2) await lab.statFile('reads', '/a.txt', { checkpoint });
      if (i % 10 === 3) await lab.fileExists('reads', '/nope', { checkpoint });
      if (i % 50 === 4) await lab.compare('reads', first.Id, second.Id);
      if (i % 50 === 5) await lab.compare('reads', first.Id);
    }
    await lab.exportCheckpoint('reads', first.Id, path.join(root, '..', `${path.basename(root)}-export`));
    cleanup(path.join(root, '..', `${path.basename(root)}-export`));
    const after = lab.resourceCounts();
    // a small cache of mounted checkpoints may stay; nothing may grow with the number of reads
    assert.ok(after.openDevices <= baseline.openDevices + 4, `open devices ${baseline.openDevices} -> ${after.openDevices}`);
    assert.ok(after.mountedFileSystems <= baseline.mountedFileSystems + 4, `mounted file systems ${baseline.mountedFileSystems} -> ${after.mountedFileSystems}`);
  });

  it('12 VMs of 64 GiB, written and read in turn (Now and checkpoints): mounts stay within the WebAssembly heap, nothing aborts', async () => {
    // a 64 GiB mount holds ~3.8 MiB of the fixed 16 MiB heap: only 4 fit before libext2fs aborts
    const names = Array.from({ length: 12 }, (_, i) => `big-${i}`);
    for (const name of names) await lab.createVm({ name, diskSizeGiB: 64 });
    const checkpoints = new Map<string, string>();
    for (let round = 0; round < 2; round++) {
      for (const name of names) {
        await lab.writeFile(name, `/round-${round}.txt`, `${name} ${round}`);
        assert.equal((await lab.readFile(name, `/round-${round}.txt`)).toString(), `${name} ${round}`);
        if (round === 0) checkpoints.set(name, (await lab.checkpoint(name, { name: 'r0' })).checkpoint.Id);
        else assert.equal((await lab.readFile(name, '/round-0.txt', { checkpoint: checkpoints.get(name)! })).toString(), `${name} 0`);
        const counts = lab.resourceCounts();
        assert.ok(counts.mountHeapBytes <= DEFAULT_MOUNT_LIMITS.budgetBytes, `${counts.mountedFileSystems} file systems mounted at once, ${counts.mountHeapBytes} bytes`);
        assert.ok(counts.mountedFileSystems <= 3 + 4, `${counts.mountedFileSystems} file systems mounted at once`);
      }
    }
    for (const name of names) {
      assert.deepEqual((await lab.listFiles(name, '/')).map((f) => f.Path).filter((p) => p.includes('round')), ['/round-0.txt', '/round-1.txt']);
      assert.equal((await lab.compare(name, checkpoints.get(name)!)).length > 0, true);
    }
    assert.deepEqual((await lab.verify()).Problems, []);
  });
});
