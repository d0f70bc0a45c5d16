/**
 * Guest files through the built CLI: write-vmfile takes stdin's bytes unchanged, get-vmfile
 * gives them back on stdout unchanged (all 256 byte values), list-vmfiles rows, copy-vmfile,
 * remove-vmfile, reading a checkpoint's files; refusals exit 1 and change nothing.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, StoreCli, assertKeys, buildCli, removeDir, tempDir } from './helpers';
import type { CheckpointJson } from './helpers';

interface FileRow {
  Path: string;
  Type: 'File' | 'Directory';
  Size: number;
  LastWriteTime: string;
}

/** Every byte value, several times over and in a shuffled order too (line endings, NUL, 0xFF). */
function allBytes(): Buffer {
  const ascending = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const descending = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
  const mixed = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 167 + 13) % 256));
  return Buffer.concat([ascending, descending, mixed, Buffer.from('\r\n\n\r\0\x1a')]);
}

describe('CLI: guest files', function () {
  this.timeout(60_000);
  let dir: string;
  let cli: StoreCli;

  before(function () {
    buildCli();
    dir = tempDir('files');
    cli = new StoreCli(path.join(dir, 'store'));
    cli.newVm('web-01');
  });

  after(() => removeDir(dir));

  it('write-vmfile then get-vmfile round-trips every byte value unchanged', () => {
    const data = allBytes();
    const write = cli.ok(['write-vmfile', '--name', 'web-01', '--path', '/bin-data/all.bin', '--create-full-path'], { input: data });
    assert.equal(write.out, '', 'write-vmfile prints nothing');
    const read = cli.ok(['get-vmfile', '--name', 'web-01', '--path', '/bin-data/all.bin']);
    assert.ok(read.stdout.equals(data), 'stdout carries exactly the bytes written');
  });

  it('write-vmfile overwrites, and an empty stdin makes an empty file', () => {
    cli.writeFile('web-01', '/bin-data/all.bin', 'short');
    assert.equal(cli.readFile('web-01', '/bin-data/all.bin').toString(), 'short');
    cli.writeFile('web-01', '/bin-data/empty', Buffer.alloc(0));
    assert.equal(cli.readFile('web-01', '/bin-data/empty').length, 0);
  });

  it('list-vmfiles prints rows with Path, Type, Size and LastWriteTime; an empty folder is []', () => {
    cli.writeFile('web-01', '/etc/app.conf', 'x'.repeat(120));
    const rows = cli.json<FileRow[]>(['list-vmfiles', '--name', 'web-01', '--path', '/etc']);
    const conf = rows.find((r) => r.Path === '/etc/app.conf');
    assert.ok(conf, JSON.stringify(rows));
    assertKeys(conf, ['Path', 'Type', 'Size', 'LastWriteTime']);
    assert.equal(conf.Type, 'File');
    assert.equal(conf.Size, 120);
    assert.ok(!Number.isNaN(Date.parse(conf.LastWriteTime)), 'LastWriteTime is a date');
    const root = cli.json<FileRow[]>(['list-vmfiles', '--name', 'web-01']);
    assert.equal(root.find((r) => r.Path === '/etc')?.Type, 'Directory', 'the default folder is /');
    cli.writeFile('web-01', '/empty-dir/x', 'x');
    cli.ok(['remove-vmfile', '--name', 'web-01', '--path', '/empty-dir/x']);
    assert.deepEqual(cli.json(['list-vmfiles', '--name', 'web-01', '--path', '/empty-dir']), []);
    assert.match(cli.ok(['list-vmfiles', '--name', 'web-01', '--path', '/etc']).out, /^File\s+120\s+\S.*\/etc\/app\.conf$/m);
  });

  it('copy-vmfile copies a host file in (Off: offline copy); a missing host file fails', () => {
    const host = path.join(dir, 'host.bin');
    fs.writeFileSync(host, allBytes());
    cli.ok(['copy-vmfile', '--name', 'web-01', '--source-path', host, '--destination-path', '/srv/deep/host.bin', '--create-full-path']);
    assert.ok(cli.readFile('web-01', '/srv/deep/host.bin').equals(allBytes()));
    cli.unchanged(() => cli.fails(['copy-vmfile', '--name', 'web-01', '--source-path', path.join(dir, 'absent'), '--destination-path', '/srv/x'], 1, 'was not found'));
  });

  it('copy-vmfile into a Running VM needs Guest Services', () => {
    const host = path.join(dir, 'small.txt');
    fs.writeFileSync(host, 'small');
    cli.ok(['set-vm', '--name', 'web-01', '--guest-services-integration', 'false']);
    cli.ok(['start-vm', '--name', 'web-01']);
    cli.unchanged(() =>
      cli.fails(['copy-vmfile', '--name', 'web-01', '--source-path', host, '--destination-path', '/srv/small.txt'], 1, "The Guest Service Interface integration service is not enabled for 'web-01'."),
    );
    cli.ok(['set-vm', '--name', 'web-01', '--guest-services-integration', 'true']);
    cli.ok(['copy-vmfile', '--name', 'web-01', '--source-path', host, '--destination-path', '/srv/small.txt']);
    assert.equal(cli.readFile('web-01', '/srv/small.txt').toString(), 'small');
  });

  it('a Paused VM refuses writes; reads still work', () => {
    cli.ok(['suspend-vm', '--name', 'web-01']);
    cli.unchanged(() => {
      cli.fails(['write-vmfile', '--name', 'web-01', '--path', '/etc/app.conf'], 1, "The virtual machine 'web-01' is Paused; its disks cannot be changed in that state.", { input: 'x' });
      cli.fails(['remove-vmfile', '--name', 'web-01', '--path', '/etc/app.conf'], 1, 'its disks cannot be changed in that state.');
    });
    assert.equal(cli.readFile('web-01', '/etc/app.conf').length, 120);
    cli.ok(['stop-vm', '--name', 'web-01', '--turn-off']);
  });

  it('get-vmfile and list-vmfiles read a checkpoint by name or Id', () => {
    cli.writeFile('web-01', '/app/state.txt', 'in checkpoint');
    const checkpoint = cli.checkpoint('web-01', 'files-cp') as CheckpointJson;
    cli.writeFile('web-01', '/app/state.txt', 'in Now');
    assert.equal(cli.readFile('web-01', '/app/state.txt').toString(), 'in Now');
    assert.equal(cli.readFile('web-01', '/app/state.txt', '--snapshot', 'files-cp').toString(), 'in checkpoint');
    assert.equal(cli.readFile('web-01', '/app/state.txt', '--snapshot-id', checkpoint.Id).toString(), 'in checkpoint');
    const rows = cli.json<FileRow[]>(['list-vmfiles', '--name', 'web-01', '--path', '/app', '--snapshot', 'files-cp']);
    assert.deepEqual(rows.map((r) => r.Path), ['/app/state.txt']);
  });

  it('remove-vmfile removes files, and folders only with --recurse', () => {
    cli.writeFile('web-01', '/tree/a/b.txt', 'b');
    cli.unchanged(() => cli.fails(['remove-vmfile', '--name', 'web-01', '--path', '/tree'], 1, /not empty/));
    cli.ok(['remove-vmfile', '--name', 'web-01', '--path', '/tree', '--recurse']);
    cli.fails(['get-vmfile', '--name', 'web-01', '--path', '/tree/a/b.txt'], 1, /does not exist/);
  });

  it('write-vmfile never waits for typing: a terminal on stdin is bad usage (exit 2)', function () {
    // util-linux `script` gives the CLI a pseudo-terminal as stdin.
    if (spawnSync('script', ['--version']).status !== 0) this.skip();
    const command = [process.execPath, CLI, '--store', cli.store, 'write-vmfile', '--name', 'web-01', '--path', '/tty.txt'].map((a) => `'${a}'`).join(' ');
    const before = cli.snapshot();
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(result.status, 2, result.stdout);
    assert.match(result.stdout, /reads the content from standard input/);
    assert.deepEqual(cli.snapshot(), before);
  });

  describe('bad paths and targets: exit 1, nothing on stdout, nothing changed', () => {
    const cases: Array<[string, string[], string | RegExp]> = [
      ['a missing file', ['get-vmfile', '--name', 'web-01', '--path', '/no/such/file'], /The path '\/no[^']*' does not exist in 'web-01'/],
      ['a relative path', ['get-vmfile', '--name', 'web-01', '--path', 'etc/app.conf'], /absolute|path/i],
      ['a .. component', ['write-vmfile', '--name', 'web-01', '--path', '/etc/../x'], /\.\./],
      ['a folder read as a file', ['get-vmfile', '--name', 'web-01', '--path', '/etc'], /is a directory/],
      ['an unknown checkpoint', ['get-vmfile', '--name', 'web-01', '--path', '/etc/app.conf', '--snapshot', 'ghost'], "'web-01' has no checkpoint named 'ghost'."],
      ['an unknown VM', ['list-vmfiles', '--name', 'ghost'], "No virtual machine named 'ghost' was found."],
      ['a missing parent folder without --create-full-path', ['write-vmfile', '--name', 'web-01', '--path', '/nowhere/x'], /does not exist/],
    ];
    for (const [label, args, message] of cases) {
      it(label, () => {
        cli.unchanged(() => cli.fails(args, 1, message, { input: 'payload' }));
      });
    }
  });
});
