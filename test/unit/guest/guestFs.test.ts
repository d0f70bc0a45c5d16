import { strict as assert } from 'assert';
import * as path from 'path';
import * as fs from 'fs';
import { MemoryBlockDevice } from '../../../src/engine/disk/blockDevice';
import { GuestFs } from '../../../src/engine/guest/guestFs';
import { GuestError } from '../../../src/engine/guest/errors';
import { mountedGuest, readOnlyView, requireTool, run, tmpDir } from './helpers';

async function rejectsWith(promise: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GuestError, `expected a GuestError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, text);
    return true;
  });
}

describe('guest file system (SPEC "The guest", section 6 file commands)', function () {
  let guest: GuestFs;
  let device: MemoryBlockDevice;
  beforeEach(async () => {
    ({ guest, device } = await mountedGuest(1));
  });
  afterEach(async () => {
    if (guest.mounted) await guest.unmount();
  });

  it('writes, reads, stats and lists files; a new disk shows lost+found', async () => {
    assert.deepEqual((await guest.list('/')).map((e) => e.name), ['lost+found']);
    await guest.writeFile('/etc/app.conf', 'port=80\n', { createParents: true });
    assert.equal((await guest.readFile('/etc/app.conf')).toString(), 'port=80\n');
    const stat = await guest.stat('/etc/app.conf');
    assert.equal(stat.type, 'File');
    assert.equal(stat.size, 8);
    assert.ok(Math.abs(stat.mtime.getTime() - Date.now()) < 5000);
    const entries = await guest.list('/etc');
    assert.deepEqual(entries.map((e) => [e.name, e.type, e.size]), [['app.conf', 'File', 8]]);
    await guest.writeFile('/etc/app.conf', 'x');
    assert.equal((await guest.readFile('/etc/app.conf')).toString(), 'x');
    const binary = Buffer.from([0, 255, 10, 13, 0]);
    await guest.writeFile('/bin.dat', binary);
    assert.deepEqual(await guest.readFile('/bin.dat'), binary);
    await guest.writeFile('/empty', Buffer.alloc(0));
    assert.equal((await guest.readFile('/empty')).length, 0);
  });

  it('lists a 1,000-entry folder in one pass: names, types, sizes and mtimes equal to stat(), before and after sync, on a 64 GiB disk too', async function () {
    this.timeout(60_000);
    const check = async (fsx: GuestFs, dir: string): Promise<void> => {
      const entries = await fsx.list(dir);
      for (const entry of entries) {
        const stat = await fsx.stat(path.posix.join(dir, entry.name));
        assert.deepEqual([entry.name, entry.type, entry.size, entry.mtime.getTime()], [stat.name, stat.type, stat.size, stat.mtime.getTime()], entry.name);
      }
      const walked = await fsx.walk(dir);
      assert.deepEqual(walked.map((s) => s.path), [...walked.map((s) => s.path)].sort());
      for (const stat of walked.slice(0, 50)) assert.deepEqual(stat, await fsx.stat(stat.path));
    };
    await guest.mkdir('/many/sub/deeper', { parents: true });
    for (let i = 0; i < 1000; i++) await guest.writeFile(`/many/f-${String(i).padStart(4, '0')}`, Buffer.alloc(i * 37, i % 251));
    await guest.writeFile('/many/big.bin', Buffer.alloc(3 * 1024 * 1024 + 5, 1));
    await guest.writeFile('/many/sub/deeper/x', 'x');
    await guest.remove('/many/f-0500');
    await guest.rename('/many/f-0501', '/many/renamed');
    // not synced: what libext2fs wrote is on the device already
    await check(guest, '/many');
    const t = process.hrtime.bigint();
    const listed = await guest.list('/many');
    const listMs = Number(process.hrtime.bigint() - t) / 1e6;
    assert.equal(listed.length, 1001);
    assert.ok(listMs < 100, `listing 1,000 entries took ${listMs.toFixed(1)} ms (an open + fstat per entry took ~300 ms)`);
    await guest.sync();
    await check(guest, '/many');
    // a read-only view (a checkpoint) and a large disk (64-bit group descriptors, many groups)
    const big = await mountedGuest(64);
    try {
      for (let i = 0; i < 50; i++) await big.guest.writeFile(`/d${i % 5}/f${i}`, Buffer.alloc(i * 1000), { createParents: true });
      await big.guest.sync();
      const ro = await GuestFs.mount(readOnlyView(big.device));
      try {
        for (let d = 0; d < 5; d++) await check(ro, `/d${d}`);
        assert.equal((await ro.walk('/')).length, 5 + 50 + 1);
      } finally {
        await ro.unmount();
      }
    } finally {
      await big.guest.unmount();
    }
  });

  it('mkdir -p, rename and recursive remove', async () => {
    await guest.mkdir('/a/b/c', { parents: true });
    await guest.mkdir('/a/b/c', { parents: true }); // existing is fine with -p
    await rejectsWith(guest.mkdir('/a/b/c'), 'GuestPathExists', /already exists in 'web-01'/);
    await rejectsWith(guest.mkdir('/x/y'), 'GuestPathNotFound', /'\/x' does not exist/);
    await guest.writeFile('/a/b/c/f.txt', 'f');
    await guest.rename('/a/b', '/a/moved');
    assert.equal((await guest.readFile('/a/moved/c/f.txt')).toString(), 'f');
    assert.equal(await guest.exists('/a/b'), false);
    await rejectsWith(guest.rename('/a', '/a/moved/inside'), 'GuestPathInvalid', /cannot be moved into itself/);
    await guest.writeFile('/t1', '1');
    await guest.writeFile('/t2', '2');
    await rejectsWith(guest.rename('/t1', '/t2'), 'GuestPathExists', /already exists/);
    await guest.rename('/t1', '/t2', { overwrite: true });
    assert.equal((await guest.readFile('/t2')).toString(), '1');
    await rejectsWith(guest.remove('/a'), 'GuestDirectoryNotEmpty', /is not empty/);
    await guest.remove('/a', { recursive: true });
    assert.equal(await guest.exists('/a'), false);
    await rejectsWith(guest.remove('/a'), 'GuestPathNotFound', /does not exist/);
  });

  it('refuses relative paths, .. components, NUL and paths over 4096 characters', async () => {
    await rejectsWith(guest.readFile('etc/x'), 'GuestPathInvalid', /must be absolute/);
    await rejectsWith(guest.readFile('/etc/../x'), 'GuestPathInvalid', /'\.\.' components are not allowed/);
    await rejectsWith(guest.writeFile('/a\0b', 'x'), 'GuestPathInvalid', /NUL/);
    await rejectsWith(guest.stat('/' + 'a/'.repeat(2100)), 'GuestPathInvalid', /longer than 4096/);
    assert.equal((await guest.stat('/./lost+found//')).type, 'Directory');
  });

  it('names missing paths, files used as folders, and folders used as files', async () => {
    await rejectsWith(guest.readFile('/nope.txt'), 'GuestPathNotFound', /^The path '\/nope.txt' does not exist in 'web-01'\.$/);
    await guest.writeFile('/file', 'x');
    await rejectsWith(guest.readFile('/file/inner'), 'GuestNotADirectory', /'\/file' in 'web-01' is not a directory/);
    await rejectsWith(guest.writeFile('/file/inner', 'x', { createParents: true }), 'GuestNotADirectory', /'\/file'/);
    await rejectsWith(guest.writeFile('/missing/dir/f', 'x'), 'GuestPathNotFound', /'\/missing' does not exist/);
    await rejectsWith(guest.readFile('/lost+found'), 'GuestIsADirectory', /is a directory/);
    await rejectsWith(guest.writeFile('/lost+found', 'x'), 'GuestIsADirectory', /is a directory/);
    await rejectsWith(guest.list('/file'), 'GuestNotADirectory', /not a directory/);
  });

  it('writes 100 MiB in one writeFile call (chunked under the WASM heap limit)', async () => {
    const big = Buffer.alloc(100 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    await guest.writeFile('/big.bin', big);
    await guest.sync();
    assert.equal((await guest.stat('/big.bin')).size, big.length);
    assert.ok((await guest.readFile('/big.bin')).equals(big));
  });

  it('sync() makes everything visible to a fresh mount of the same device (R8 quiesce)', async () => {
    await guest.writeFile('/d/one.txt', 'one', { createParents: true });
    assert.equal(guest.hasUnsyncedChanges, true);
    await guest.sync();
    assert.equal(guest.hasUnsyncedChanges, false);
    const other = await GuestFs.mount(readOnlyView(device), { label: "'web-01'" });
    assert.equal((await other.readFile('/d/one.txt')).toString(), 'one');
    await other.unmount();
    // The first mount stays usable after sync.
    await guest.writeFile('/d/two.txt', 'two');
    assert.equal((await guest.readFile('/d/two.txt')).toString(), 'two');
  });

  it('a read-only device (a checkpoint) reads but never writes, and reading does not change it', async () => {
    await guest.writeFile('/keep.txt', 'k');
    await guest.sync();
    const frozen = readOnlyView(device);
    const before = device.allocatedBytes;
    const ro = await GuestFs.mount(frozen, { label: "checkpoint 'c1' of 'web-01'" });
    assert.equal(ro.readOnly, true);
    assert.equal((await ro.readFile('/keep.txt')).toString(), 'k');
    await rejectsWith(ro.writeFile('/x', 'x'), 'GuestReadOnly', /checkpoint 'c1' of 'web-01' are read-only/);
    await rejectsWith(ro.remove('/keep.txt'), 'GuestReadOnly', /read-only/);
    await ro.unmount();
    assert.equal(device.allocatedBytes, before);
  });

  it('refuses a device without ext4', async () => {
    await rejectsWith(GuestFs.mount(new MemoryBlockDevice(1024 * 1024 * 1024), { label: "'blank'" }), 'GuestFsDamaged', /does not hold a readable ext4/);
  });

  it('a write that does not fit fails with a clear message and leaves no partial file', async function () {
    requireTool(this, 'mke2fs');
    const dir = tmpDir();
    const image = path.join(dir, 'small.img');
    fs.writeFileSync(image, Buffer.alloc(0));
    fs.truncateSync(image, 8 * 1024 * 1024);
    const made = run('mke2fs', ['-q', '-F', '-t', 'ext4', '-O', '^has_journal', '-m', '0', image]);
    assert.equal(made.status, 0, made.output);
    const bytes = fs.readFileSync(image);
    fs.rmSync(dir, { recursive: true });
    const small = new MemoryBlockDevice(bytes.length);
    small.write(bytes, 0, bytes.length, 0);
    const g = await GuestFs.mount(small, { label: "'tiny'" });
    try {
      await rejectsWith(g.writeFile('/huge.bin', Buffer.alloc(16 * 1024 * 1024, 1)), 'GuestNoSpace', /^There is not enough space on the disk of 'tiny' to write '\/huge.bin'\.$/);
      assert.equal(await g.exists('/huge.bin'), false);
      await g.writeFile('/small.txt', 'still works');
      assert.equal((await g.readFile('/small.txt')).toString(), 'still works');
    } finally {
      await g.unmount();
    }
  });
});
