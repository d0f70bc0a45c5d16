import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, StoreCli } from '../cli/helpers';

describe('loop: sync-vmfolder through the built CLI', function () {
  this.timeout(120_000);
  let base: string;
  let cli: StoreCli;
  let folder: string;

  before(() => buildCli());
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-cli-'));
    cli = new StoreCli(path.join(base, 'store'));
    folder = path.join(base, 'app');
    fs.mkdirSync(path.join(folder, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'a.txt'), 'A');
    fs.writeFileSync(path.join(folder, 'sub', 'b.txt'), 'B');
    fs.writeFileSync(path.join(folder, 'x.log'), 'log');
    cli.ok(['new-vm', '--name', 'web', '--disk-size', '1']);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const sync = (direction: string, ...extra: string[]) => ['sync-vmfolder', '--name', 'web', '--host-path', folder, '--guest-path', '/srv/app', '--direction', direction, '--exclude', '*.log', ...extra];

  it('in: copies the folder, then only what changed; out: brings guest changes back', () => {
    const first = cli.json<{ Copied: string[]; Unchanged: number }>(sync('in'));
    assert.deepEqual(first.Copied.sort(), ['a.txt', 'sub/b.txt']);
    assert.equal(cli.ok(['get-vmfile', '--name', 'web', '--path', '/srv/app/sub/b.txt']).out, 'B');
    assert.equal(cli.run(['get-vmfile', '--name', 'web', '--path', '/srv/app/x.log']).code, 1, 'excluded');
    fs.writeFileSync(path.join(folder, 'a.txt'), 'A2');
    const second = cli.json<{ Copied: string[]; Unchanged: number }>(sync('in'));
    assert.deepEqual(second.Copied, ['a.txt']);
    assert.equal(second.Unchanged, 1);
    assert.match(cli.ok(sync('in')).out, /0 copied, 0 removed, 0 folders created, 2 unchanged\./);

    cli.ok(['write-vmfile', '--name', 'web', '--path', '/srv/app/c.txt'], { input: 'C from the VM' });
    cli.ok(['remove-vmfile', '--name', 'web', '--path', '/srv/app/sub', '--recurse']);
    const out = cli.json<{ Copied: string[]; Removed: string[] }>(sync('out'));
    assert.deepEqual(out.Copied, ['c.txt']);
    assert.deepEqual(out.Removed.sort(), ['sub', 'sub/b.txt']);
    assert.equal(fs.readFileSync(path.join(folder, 'c.txt'), 'utf8'), 'C from the VM');
    assert.equal(fs.readFileSync(path.join(folder, 'x.log'), 'utf8'), 'log', 'excluded host file untouched');
    assert.equal(cli.json<{ Healthy: boolean }>(['test-vmstore']).Healthy, true);
  });

  it('bad input: exit 2 for usage, exit 1 with a clear message for a missing folder or a guest file; nothing changed', () => {
    const bad = cli.run(sync('sideways'));
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--direction must be in or out/);
    const missing = cli.run(['sync-vmfolder', '--name', 'web', '--host-path', path.join(base, 'gone'), '--guest-path', '/srv/app', '--direction', 'in']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /The linked folder '.*gone' does not exist\./);
    cli.ok(['write-vmfile', '--name', 'web', '--path', '/srv/app', '--create-full-path'], { input: 'a file' });
    const file = cli.run(sync('in'));
    assert.equal(file.code, 1);
    assert.match(file.err, /The guest path '\/srv\/app' in 'web' is a file, not a folder\./);
    assert.equal(cli.ok(['get-vmfile', '--name', 'web', '--path', '/srv/app']).out, 'a file');
    assert.equal(cli.run(['sync-vmfolder', '--name', 'web', '--host-path', folder, '--direction', 'in']).code, 2, 'missing --guest-path');
  });
});
