/**
 * Long-running hosts (the VS Code extension host) must not accumulate resources: disk
 * devices, mounted guest file systems (each holds part of the fixed 16 MiB WebAssembly heap).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Lab } from '../../../src/engine';
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
});
