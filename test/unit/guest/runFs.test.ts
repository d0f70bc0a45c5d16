import { strict as assert } from 'assert';
import { RunFs } from '../../../src/engine/guest/runFs';
import { GuestError } from '../../../src/engine/guest/errors';

describe('/run: memory-only file system, boot id and uptime (SPEC "The guest", R10, R12)', function () {
  it('Start gives a new boot id and an empty /run; uptime runs only while running', () => {
    const a = RunFs.boot({ now: 1000 });
    const b = RunFs.boot({ now: 1000 });
    assert.notEqual(a.bootId, b.bootId);
    assert.deepEqual(a.list('/'), []);
    assert.equal(a.uptimeMs(6000), 5000);
    a.stopClock(6000); // Pause / Save
    assert.equal(a.uptimeMs(60000), 5000);
    a.startClock(70000); // Resume
    assert.equal(a.uptimeMs(71000), 6000);
  });

  it('Save then Start keeps the same boot id, files and uptime (serialization round trip)', () => {
    const run = RunFs.boot({ now: 0 });
    run.writeFile('/app.pid', '4242', {}, 10);
    run.writeFile('/deep/dir/bin', Buffer.from([0, 1, 2, 255]), { createParents: true }, 20);
    run.mkdir('/empty', {}, 30);
    run.stopClock(9000);
    const bytes = run.serialize(9000);
    const back = RunFs.deserialize(bytes, { source: 'web-01.vmrs' });
    assert.equal(back.bootId, run.bootId);
    assert.equal(back.uptimeMs(99999), 9000);
    assert.equal(back.running, false);
    assert.equal(back.readFile('/app.pid').toString(), '4242');
    assert.deepEqual([...back.readFile('/deep/dir/bin')], [0, 1, 2, 255]);
    assert.deepEqual(back.list('/').map((e) => [e.name, e.type]), [['app.pid', 'File'], ['deep', 'Directory'], ['empty', 'Directory']]);
    assert.equal(back.stat('/empty')!.mtime.getTime(), 30);
    assert.ok(back.serialize(9000).equals(bytes), 'serializing again gives the same bytes');
  });

  it('a Standard checkpoint keeps a copy: later changes to the running VM do not reach it', () => {
    const run = RunFs.boot();
    run.writeFile('/a', '1');
    const kept = run.clone();
    run.writeFile('/a', '2');
    assert.equal(kept.readFile('/a').toString(), '1');
    assert.equal(kept.bootId, run.bootId);
  });

  it('a damaged, truncated or foreign .vmrs is refused with the file named', () => {
    const bytes = RunFs.boot().serialize();
    const flipped = Buffer.from(bytes);
    flipped[30] ^= 0xff;
    const cases: Array<[Buffer, RegExp]> = [
      [flipped, /checksum does not match/],
      [bytes.subarray(0, bytes.length - 5), /truncated/],
      [Buffer.from('hello world, this is not a memory file at all, really not'), /not a Checkpoint Lab memory file/],
      [Buffer.alloc(3), /only 3 bytes/],
    ];
    const future = Buffer.from(bytes);
    future.writeUInt32LE(99, 8);
    cases.push([future, /format version 99/]);
    for (const [input, text] of cases) {
      assert.throws(
        () => RunFs.deserialize(input, { source: "'Virtual Machines/1234.vmrs'" }),
        (error: unknown) => error instanceof GuestError && error.code === 'RunStateDamaged' && /'Virtual Machines\/1234.vmrs' is damaged/.test(error.message) && text.test(error.message),
      );
    }
  });

  it('file operations report errors like the disk does', () => {
    const run = RunFs.boot({ label: "'web-01'" });
    assert.throws(() => run.readFile('/missing'), /The path '\/run\/missing' does not exist in 'web-01'/);
    run.writeFile('/f', 'x');
    assert.throws(() => run.writeFile('/f/g', 'x'), /'\/run\/f' in 'web-01' is not a directory/);
    assert.throws(() => run.mkdir('/f'), /already exists/);
    run.mkdir('/d/e', { parents: true });
    run.writeFile('/d/e/x', '1');
    assert.throws(() => run.remove('/d'), /not empty/);
    run.rename('/d', '/d2');
    assert.equal(run.readFile('/d2/e/x').toString(), '1');
    run.remove('/d2', { recursive: true });
    assert.throws(() => run.readFile('/../etc'), /'\.\.' components are not allowed/);
  });
});
