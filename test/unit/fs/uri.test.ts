import { strict as assert } from 'node:assert';
import {
  checkpointFolderName,
  checkpointPath,
  formatLabPath,
  LabUriError,
  MAX_GUEST_PATH,
  nowFolderName,
  nowPath,
  parseLabUri,
  sameTarget,
  vmSegment,
} from '../../../src/fs/uri';

const STORE = '7d3c1f2e-0000-4000-8000-000000000001';
const CP = 'a1b2c3d4-1111-4222-8333-444455556666';
const parse = (path: string, authority = STORE) => parseLabUri({ scheme: 'checkpoint-lab', authority, path });

function refused(path: string, reason: 'invalid' | 'notFound', pattern: RegExp): void {
  assert.throws(
    () => parse(path),
    (error: unknown) => error instanceof LabUriError && error.reason === reason && pattern.test(error.message),
    `${path.slice(0, 60)} is refused (${reason})`,
  );
}

describe('checkpoint-lab: URIs', () => {
  it('parses Now paths: store Id, VM name, normalised guest path', () => {
    assert.deepEqual(parse('/web-01/now/etc/app.conf'), {
      kind: 'guest',
      storeId: STORE,
      vm: 'web-01',
      target: { kind: 'now' },
      guestPath: '/etc/app.conf',
    });
    assert.equal((parse('/web-01/now') as { guestPath: string }).guestPath, '/');
    assert.equal((parse('/web-01/now/') as { guestPath: string }).guestPath, '/');
    assert.equal((parse('/web-01/now//etc/./app.conf/') as { guestPath: string }).guestPath, '/etc/app.conf');
  });

  it('parses checkpoint paths by Id, and the folders above the guest', () => {
    const location = parse(`/web 01/checkpoints/${CP}/var/log/x.log`);
    assert.deepEqual(location, { kind: 'guest', storeId: STORE, vm: 'web 01', target: { kind: 'checkpoint', checkpointId: CP }, guestPath: '/var/log/x.log' });
    assert.deepEqual(parse(`/web-01/checkpoints/${CP}`), { kind: 'guest', storeId: STORE, vm: 'web-01', target: { kind: 'checkpoint', checkpointId: CP }, guestPath: '/' });
    assert.deepEqual(parse('/web-01/checkpoints'), { kind: 'checkpoints', storeId: STORE, vm: 'web-01' });
    assert.deepEqual(parse('/web-01'), { kind: 'vm', storeId: STORE, vm: 'web-01' });
    assert.deepEqual(parse('/'), { kind: 'store', storeId: STORE });
    assert.deepEqual(parse(''), { kind: 'store', storeId: STORE });
  });

  it("refuses '..' anywhere, NUL, and paths over 4096 characters", () => {
    refused('/web-01/now/etc/../../secret', 'invalid', /'\.\.' components are not allowed/);
    refused('/../web-01/now/a', 'invalid', /'\.\.'/);
    refused(`/web-01/checkpoints/${CP}/..`, 'invalid', /'\.\.'/);
    refused('/web-01/now/a\0b', 'invalid', /NUL/);
    refused(`/web-01/now/${'a/'.repeat(2100)}`, 'invalid', /longer than 4096/);
    refused(`/web-01/now/${'x'.repeat(MAX_GUEST_PATH + 700)}`, 'invalid', /longer than 4096/);
    // names that merely contain dots are fine
    assert.equal((parse('/web-01/now/a..b/...') as { guestPath: string }).guestPath, '/a..b/...');
  });

  it('accepts a guest path of exactly 4096 characters and refuses 4097', () => {
    const exact = '/' + 'a'.repeat(200) + ('/' + 'b'.repeat(199)).repeat(19);
    const fill = '/' + 'c'.repeat(MAX_GUEST_PATH - exact.length - 1);
    assert.equal((exact + fill).length, MAX_GUEST_PATH);
    assert.equal((parse(`/vm/now${exact}${fill}`) as { guestPath: string }).guestPath.length, MAX_GUEST_PATH);
    refused(`/vm/now${exact}${fill}x`, 'invalid', /longer than 4096/);
  });

  it('refuses a missing store Id, another scheme, and unknown folders under a VM', () => {
    assert.throws(() => parse('/web-01/now', ''), /must name the lab store/);
    assert.throws(() => parseLabUri({ scheme: 'file', authority: STORE, path: '/x' }), /not a Checkpoint Lab URI/);
    refused('/web-01/snapshots/x', 'notFound', /holds only 'now' and 'checkpoints'/);
  });

  it('formats paths that parse back to the same place', () => {
    const vm = { Id: 'f00dfeed-0000-4000-8000-000000000002', Name: 'web-01' };
    assert.equal(nowPath(vm, '/etc/app.conf'), '/web-01/now/etc/app.conf');
    assert.equal(nowPath(vm), '/web-01/now');
    assert.equal(checkpointPath(vm, CP, '/'), `/web-01/checkpoints/${CP}`);
    for (const path of [nowPath(vm, '/a b/c#d?.txt'), checkpointPath(vm, CP, '/etc/x')]) {
      assert.equal(formatLabPath(parse(path)), path);
    }
  });

  it("writes a VM whose name is not one clean segment by its Id", () => {
    const id = 'f00dfeed-0000-4000-8000-000000000003';
    assert.equal(vmSegment({ Id: id, Name: 'team/web' }), id);
    assert.equal(vmSegment({ Id: id, Name: '..' }), id);
    assert.equal(vmSegment({ Id: id, Name: 'web 01 (test)' }), 'web 01 (test)');
    assert.equal(nowPath({ Id: id, Name: 'a/b' }, '/x'), `/${id}/now/x`);
  });

  it('tells targets apart (case-insensitive VM segment and checkpoint Id)', () => {
    const a = parse(`/Web-01/checkpoints/${CP}/x`);
    assert.ok(a.kind === 'guest');
    assert.ok(sameTarget(a, { storeId: STORE, vm: 'web-01', target: { kind: 'checkpoint', checkpointId: CP.toUpperCase() } }));
    assert.ok(!sameTarget(a, { storeId: STORE, vm: 'web-01', target: { kind: 'now' } }));
    assert.ok(!sameTarget(a, { storeId: 'other', vm: 'web-01', target: { kind: 'checkpoint', checkpointId: CP } }));
  });

  it('names workspace folders readably', () => {
    assert.equal(nowFolderName('web-01'), 'web-01 (Now)');
    assert.equal(checkpointFolderName('web-01', 'Before upgrade'), 'web-01 · Before upgrade (checkpoint, read-only)');
  });
});
