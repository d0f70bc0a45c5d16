import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Lab } from '../../../src/engine';
import { applyAndRollOut, HASH_LIMIT, isRacy, type LinkSpec, ManifestStore, rollIn, rollInAndCheckpoint, rollOut } from '../../../src/loop/core';
import { type LoopFixture, loopFixture } from './helpers';

const sorted = (list: string[]) => [...list].sort();

describe('loop: Roll In / Roll Out against a real lab', function () {
  this.timeout(120_000);
  let f: LoopFixture;
  let link: LinkSpec;

  beforeEach(async () => {
    f = await loopFixture({ 'index.js': 'v1', 'lib/util.js': 'util v1', 'lib/deep/a.txt': 'a', 'debug.log': 'noise', 'node_modules/pkg/x.js': 'dep' });
    link = { vm: 'web', hostPath: f.folder, guestPath: '/srv/app', excludes: ['node_modules', '*.log'] };
  });
  afterEach(async () => {
    await f.close();
  });

  it('rolls in added files, then only what changed; removals propagate; excluded paths stay out', async () => {
    const first = await rollIn(f.lab, link);
    assert.deepEqual(sorted(first.written), ['index.js', 'lib/deep/a.txt', 'lib/util.js']);
    assert.deepEqual(await f.guestFiles(), { 'index.js': 'v1', 'lib/deep/a.txt': 'a', 'lib/util.js': 'util v1' });

    const again = await rollIn(f.lab, link);
    assert.deepEqual(again.written, [], 'nothing changed, nothing copied');
    assert.equal(again.unchanged, 3);

    f.write('index.js', 'v2');
    f.write('lib/new.js', 'new');
    f.remove('lib/deep');
    const third = await rollIn(f.lab, link);
    assert.deepEqual(sorted(third.written), ['index.js', 'lib/new.js']);
    assert.deepEqual(sorted(third.removed), ['lib/deep', 'lib/deep/a.txt']);
    assert.equal(third.guestRead, false, 'the manifest vouched for the guest');
    assert.deepEqual(await f.guestFiles(), { 'index.js': 'v2', 'lib/new.js': 'new', 'lib/util.js': 'util v1' });
  });

  it('a file touched but unchanged is not copied again', async () => {
    await rollIn(f.lab, link);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(f.folder, 'index.js'), later, later);
    const result = await rollIn(f.lab, link);
    assert.deepEqual(result.written, []);
  });

  describe('racy files: a change that leaves size, mtime and inode equal (coarse file system clocks)', () => {
    // A file system with whole-second (or 2 s, FAT) times gives two writes within one tick
    // the same mtime; pinning the mtime with utimes makes that happen on any machine.
    const pin = (rel: string, whenMs: number) => fs.utimesSync(path.join(f.folder, rel), whenMs / 1000, whenMs / 1000);
    const wholeSecond = () => Math.floor(Date.now() / 1000) * 1000;

    it('a small file rewritten within the tick of the last Roll In is copied again', async () => {
      const tick = wholeSecond();
      pin('index.js', tick);
      await rollIn(f.lab, link);
      const ino = fs.statSync(path.join(f.folder, 'index.js')).ino;
      f.write('index.js', 'v9'); // same size as 'v1'
      pin('index.js', tick);
      assert.equal(fs.statSync(path.join(f.folder, 'index.js')).ino, ino, 'same inode: the stat is identical');
      const result = await rollIn(f.lab, link);
      assert.deepEqual(result.written, ['index.js']);
      assert.equal((await f.guestFiles())['index.js'], 'v9');
    });

    it('a racy file that did not change is read again but not copied', async () => {
      pin('index.js', wholeSecond());
      await rollIn(f.lab, link);
      const result = await rollIn(f.lab, link);
      assert.deepEqual(result.written, []);
      assert.equal(result.unchanged, 3);
    });

    it('a big file (not hashed) rewritten within the tick is copied again', async () => {
      const big = Buffer.alloc(HASH_LIMIT + 4096, 1);
      f.write('big.bin', big);
      const tick = wholeSecond();
      pin('big.bin', tick);
      await rollIn(f.lab, link);
      big.fill(2, 0, 4096);
      f.write('big.bin', big);
      pin('big.bin', tick);
      const result = await rollIn(f.lab, link);
      assert.ok(result.written.includes('big.bin'));
      assert.ok((await f.lab.readFile('web', '/srv/app/big.bin')).equals(big));
    });

    it('files Roll Out just wrote are saved smudged, so a change within their tick is seen', async () => {
      // (utimes cannot give a file back the nanosecond mtime Roll Out's write got, so this
      // checks the saved manifest: the entry must not vouch for the file by its stat)
      await rollIn(f.lab, link);
      await f.lab.writeFile('web', '/srv/app/index.js', 'vm');
      await rollOut(f.lab, link);
      await ManifestStore.flush();
      const vm = await f.lab.getVm('web');
      const entry = ManifestStore.forStore(f.lab.root).load(vm.Id, '/srv/app', f.folder).host['index.js'];
      const stat = fs.statSync(path.join(f.folder, 'index.js'));
      assert.equal(entry.size, stat.size);
      assert.notEqual(entry.mtimeMs, stat.mtimeMs, 'no stat-only trust for a file written in this tick');
      f.write('index.js', 'me');
      assert.deepEqual((await rollIn(f.lab, link)).written, ['index.js']);
    });

    it('files last changed well before the scan are trusted by their stat (isRacy)', () => {
      const now = 1_700_000_000_500;
      assert.equal(isRacy(now - 5_000.25, now), false);
      assert.equal(isRacy(now - 50.25, now), true, 'within a coarse kernel clock tick');
      assert.equal(isRacy(now - 1_500, now), true, 'whole-second times: within their granularity');
      assert.equal(isRacy(now + 3_000, now), true, 'from the future (clock skew)');
    });
  });

  it('never removes excluded guest files, and honours .gitignore when asked', async () => {
    await f.lab.writeFile('web', '/srv/app/node_modules/built.js', 'built in the VM', { createParents: true });
    f.write('.gitignore', 'secret.txt\n');
    f.write('secret.txt', 'do not copy');
    await rollIn(f.lab, { ...link, useGitignore: true });
    const guest = await f.guestFiles();
    assert.equal(guest['node_modules/built.js'], 'built in the VM');
    assert.equal(guest['secret.txt'], undefined);
    assert.equal(guest['.gitignore'], 'secret.txt\n');
    await rollIn(f.lab, link); // without .gitignore: now it goes in
    assert.equal((await f.guestFiles())['secret.txt'], 'do not copy');
  });

  it('finds guest changes made by someone else (this process or another) and rolls in over them', async () => {
    await rollIn(f.lab, link);
    await f.lab.writeFile('web', '/srv/app/index.js', 'edited in the VM');
    const here = await rollIn(f.lab, link);
    assert.equal(here.guestRead, true);
    assert.deepEqual(here.written, ['index.js']);
    assert.equal((await f.guestFiles())['index.js'], 'v1');

    const other = await Lab.open(f.store);
    try {
      await other.writeFile('web', '/srv/app/lib/util.js', 'edited by another process');
      await other.removeFile('web', '/srv/app/index.js');
    } finally {
      await other.close();
    }
    await f.lab.refresh();
    const there = await rollIn(f.lab, link);
    assert.equal(there.guestRead, true);
    assert.deepEqual(sorted(there.written), ['index.js', 'lib/util.js']);
    assert.deepEqual(await f.guestFiles(), { 'index.js': 'v1', 'lib/deep/a.txt': 'a', 'lib/util.js': 'util v1' });
  });

  it('a new process trusts the manifest while the store is unchanged', async () => {
    await rollIn(f.lab, link);
    await ManifestStore.flush();
    await f.lab.close();
    f.lab = await Lab.open(f.store);
    f.write('index.js', 'v3');
    const result = await rollIn(f.lab, link);
    assert.equal(result.guestRead, false);
    assert.deepEqual(result.written, ['index.js']);
  });

  it('commits to another VM (another process) do not make the loop re-read this VM; a write into it does', async () => {
    await rollIn(f.lab, link);
    await ManifestStore.flush();
    const other = await Lab.open(f.store);
    try {
      await other.createVm({ name: 'elsewhere', diskSizeGiB: 1 });
      await other.writeFile('elsewhere', '/x.txt', 'not the linked VM');
      await f.lab.refresh(); // sees the other process's commits (storeChanged)
      f.write('index.js', 'v4');
      let result = await rollIn(f.lab, link);
      assert.equal(result.guestRead, false, 'the VM was not written by anyone else');
      assert.deepEqual(result.written, ['index.js']);
      await ManifestStore.flush();
      await other.writeFile('web', '/srv/app/index.js', 'written by the other process');
      await f.lab.refresh();
      result = await rollIn(f.lab, link);
      assert.equal(result.guestRead, true, 'another process wrote into the VM: read it');
      assert.deepEqual(result.written, ['index.js']);
      assert.equal((await f.lab.readFile('web', '/srv/app/index.js')).toString(), 'v4');
    } finally {
      await other.close();
    }
  });

  it('rolls out guest changes; excluded and skipped host files are left alone', async () => {
    await rollIn(f.lab, link);
    await f.lab.writeFile('web', '/srv/app/index.js', 'from the VM');
    await f.lab.writeFile('web', '/srv/app/lib/made.js', 'made in the VM');
    await f.lab.removeFile('web', '/srv/app/lib/deep', { recursive: true });
    await f.lab.writeFile('web', '/srv/app/app.log', 'guest log'); // excluded: never copied out
    f.write('extra.txt', 'only on the host');
    let asked: { overwrite: string[]; remove: string[] } | undefined;
    const result = await rollOut(f.lab, link, {
      beforeHostChanges: async (changes) => {
        asked = changes;
        return new Set(['extra.txt']);
      },
    });
    assert.deepEqual(asked, { overwrite: ['index.js'], remove: ['extra.txt', 'lib/deep/a.txt'] });
    assert.ok(result.removed.includes('lib/deep'), 'the emptied folder goes too');
    assert.deepEqual(result.skipped, ['extra.txt']);
    assert.deepEqual(f.hostFiles(), {
      'debug.log': 'noise',
      'extra.txt': 'only on the host',
      'index.js': 'from the VM',
      'lib/made.js': 'made in the VM',
      'lib/util.js': 'util v1',
      'node_modules/pkg/x.js': 'dep',
    });
    const again = await rollOut(f.lab, link, { beforeHostChanges: async () => new Set(['extra.txt']) });
    assert.deepEqual(again.written, []);
  });

  it('Roll In and Checkpoint, then Apply and Roll Out restores the folder without reading the guest', async () => {
    const first = await rollInAndCheckpoint(f.lab, link, { checkpointName: 'good' });
    assert.equal(first.checkpoint.Name, 'good');
    f.write('index.js', 'broken');
    f.write('lib/oops.js', 'oops');
    await rollInAndCheckpoint(f.lab, link, { checkpointName: 'broken' });
    const restored = await applyAndRollOut(f.lab, link, 'good');
    assert.equal(restored.sync.guestRead, false);
    assert.deepEqual(sorted(restored.sync.written), ['index.js']);
    assert.deepEqual(restored.sync.removed, ['lib/oops.js']);
    assert.equal(f.read('index.js'), 'v1');
    assert.ok(!f.exists('lib/oops.js'));
    assert.equal(f.read('debug.log'), 'noise', 'excluded host files untouched');
    // and forward again, with a checkpoint of Now first
    const forward = await applyAndRollOut(f.lab, link, 'broken', { checkpointFirst: true });
    assert.ok(forward.apply.checkpointTaken);
    assert.equal(f.read('index.js'), 'broken');
    assert.equal((await f.lab.verify()).Healthy, true);
  });

  it("the loop's files of deleted checkpoints and VMs leave the store with the next sync", async () => {
    const loopDir = path.join(f.store, 'Loop');
    const files = (): string[] => {
      const out: string[] = [];
      const visit = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          if (entry.isDirectory()) visit(path.join(dir, entry.name));
          else out.push(path.relative(loopDir, path.join(dir, entry.name)).split(path.sep).join('/'));
        }
      };
      if (fs.existsSync(loopDir)) visit(loopDir);
      return out.sort();
    };
    const web = await f.lab.getVm('web');
    await f.lab.createVm({ name: 'api', diskSizeGiB: 1 });
    const api = await f.lab.getVm('api');
    const kept = await rollInAndCheckpoint(f.lab, link, { checkpointName: 'kept' });
    const dropped = await rollInAndCheckpoint(f.lab, link, { checkpointName: 'dropped' });
    await rollIn(f.lab, { ...link, vm: 'api' });
    fs.writeFileSync(path.join(loopDir, 'first-layout.manifest'), '{}'); // the layout before per-VM folders
    await ManifestStore.flush();
    const snapshot = (id: string) => new RegExp(`^${web.Id.toLowerCase()}/[0-9a-f]+/${id.toLowerCase()}\\.snapshot$`);
    assert.ok(files().some((rel) => snapshot(dropped.checkpoint.Id).test(rel)));
    assert.ok(files().some((rel) => rel.startsWith(`${api.Id.toLowerCase()}/`)));

    await f.lab.removeCheckpoint('web', 'dropped');
    await f.lab.removeVm('api');
    await rollIn(f.lab, link);
    await ManifestStore.flush();
    const left = files();
    assert.ok(left.some((rel) => snapshot(kept.checkpoint.Id).test(rel)), 'the snapshot of a live checkpoint stays');
    assert.ok(!left.some((rel) => snapshot(dropped.checkpoint.Id).test(rel)), "the deleted checkpoint's snapshot went");
    assert.ok(!left.some((rel) => rel.startsWith(`${api.Id.toLowerCase()}/`)), "the deleted VM's manifest went");
    assert.ok(!left.includes('first-layout.manifest'));
    assert.ok(left.some((rel) => rel.startsWith(`${web.Id.toLowerCase()}/`) && rel.endsWith('.manifest')), "the live link's manifest stays");
    // and Apply and Roll Out still knows the kept checkpoint without reading the guest
    assert.equal((await applyAndRollOut(f.lab, link, 'kept')).sync.guestRead, false);
  });

  it('rolls a 20 MiB file in 1 MiB pieces through the guest and back', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    f.write('big.bin', big);
    await rollIn(f.lab, link);
    assert.ok((await f.lab.readFile('web', '/srv/app/big.bin')).equals(big));
    f.remove('big.bin');
    await rollOut(f.lab, link);
    assert.ok(fs.readFileSync(path.join(f.folder, 'big.bin')).equals(big));
  });

  describe('bad input: a clear error, nothing changed', () => {
    it('a linked folder that no longer exists', async () => {
      await rollIn(f.lab, link);
      const before = await f.guestFiles();
      await assert.rejects(rollIn(f.lab, { ...link, hostPath: path.join(f.base, 'gone') }), /The linked folder '.*gone' does not exist\./);
      await assert.rejects(rollOut(f.lab, { ...link, hostPath: path.join(f.base, 'gone') }), /does not exist/);
      assert.deepEqual(await f.guestFiles(), before);
    });

    it('a guest path that is a file', async () => {
      await f.lab.writeFile('web', '/srv/file', 'a file', { createParents: true });
      await assert.rejects(rollIn(f.lab, { ...link, guestPath: '/srv/file' }), /The guest path '\/srv\/file' in 'web' is a file, not a folder\./);
      assert.equal((await f.lab.readFile('web', '/srv/file')).toString(), 'a file');
      const host = f.hostFiles();
      await assert.rejects(rollOut(f.lab, { ...link, guestPath: '/srv/file' }), /is a file, not a folder/);
      assert.deepEqual(f.hostFiles(), host);
    });

    it('a VM that is Saved or Paused cannot be rolled into', async () => {
      await f.lab.start('web');
      await f.lab.save('web');
      await assert.rejects(rollIn(f.lab, link), /The virtual machine 'web' is Saved; its disks cannot be changed in that state\./);
      await f.lab.start('web');
      await f.lab.pause('web');
      await assert.rejects(rollIn(f.lab, link), /is Paused; its disks cannot be changed/);
      assert.equal(await f.lab.fileExists('web', '/srv/app'), false);
    });

    it('guest paths that are not a folder on the disk, and an unknown VM', async () => {
      await assert.rejects(rollIn(f.lab, { ...link, guestPath: '/' }), /below '\/'/);
      await assert.rejects(rollIn(f.lab, { ...link, guestPath: '/run/app' }), /in \/run, which is memory/);
      await assert.rejects(rollIn(f.lab, { ...link, guestPath: 'relative' }), /must be absolute/);
      await assert.rejects(rollIn(f.lab, { ...link, vm: 'nope' }), /No virtual machine named 'nope' was found\./);
    });

    it('a cancelled Roll In leaves the VM as it was', async () => {
      await rollIn(f.lab, link);
      f.write('index.js', 'v2');
      const abort = new AbortController();
      abort.abort();
      await assert.rejects(rollIn(f.lab, link, { signal: abort.signal }), /cancelled/);
      assert.equal((await f.guestFiles())['index.js'], 'v1');
      const next = await rollIn(f.lab, link);
      assert.deepEqual(next.written, ['index.js']);
    });
  });
});
