import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('guest: loading libext2fs', () => {
  it('leaves no process-wide crash handlers behind (they would take down the VS Code extension host)', () => {
    // A fresh process: in this one the module may already be loaded.
    const guestFs = join(__dirname, '..', '..', '..', 'src', 'engine', 'guest', 'guestFs.ts');
    const script = `
      const count = () => process.listeners('unhandledRejection').length + process.listeners('uncaughtException').length;
      const before = count();
      const { loadExt2fs } = require(${JSON.stringify(guestFs)});
      const module = loadExt2fs();
      console.log(JSON.stringify({ before, after: count(), mounts: typeof module.mount }));`;
    const child = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const { before, after, mounts } = JSON.parse(child.stdout.trim().split('\n').pop()!);
    assert.equal(mounts, 'function', 'the module loaded');
    assert.equal(after, before);
  });
});
