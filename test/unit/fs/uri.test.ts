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
  labelSegment,
  sameTarget,
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
  const VM = 'f00dfeed-0000-4000-8000-000000000002';
  const vm = { Id: VM, Name: 'web-01' };
  const checkpoint = { Id: CP, Name: 'Before upgrade' };

  it('parses Now paths: store Id, VM Id, readable label, normalised guest path', () => {
    assert.deepEqual(parse(`/now/${VM}/web-01/etc/app.conf`), {
      kind: 'guest',
      storeId: STORE,
      vm: VM,
      target: { kind: 'now' },
      guestPath: '/etc/app.conf',
      label: 'web-01',
    });
    assert.equal((parse(`/now/${VM}/web-01`) as { guestPath: string }).guestPath, '/');
    assert.equal((parse(`/now/${VM}/web-01/`) as { guestPath: string }).guestPath, '/');
    assert.equal((parse(`/now/${VM}/web-01//etc/./app.conf/`) as { guestPath: string }).guestPath, '/etc/app.conf');
    // the label is only a label: a renamed VM's old URIs still name it by Id
    assert.deepEqual(parse(`/now/${VM}/old name/x`), { kind: 'guest', storeId: STORE, vm: VM, target: { kind: 'now' }, guestPath: '/x', label: 'old name' });
  });

  it('parses checkpoint paths by Id with a readable label, and the folders above the guest', () => {
    assert.deepEqual(parse(`/checkpoints/${VM}/${CP}/web-01 · Before upgrade/var/log/x.log`), {
      kind: 'guest',
      storeId: STORE,
      vm: VM,
      target: { kind: 'checkpoint', checkpointId: CP },
      guestPath: '/var/log/x.log',
      label: 'web-01 · Before upgrade',
    });
    assert.deepEqual(parse(`/checkpoints/${VM}/${CP}/web-01 · Before upgrade`), {
      kind: 'guest',
      storeId: STORE,
      vm: VM,
      target: { kind: 'checkpoint', checkpointId: CP },
      guestPath: '/',
      label: 'web-01 · Before upgrade',
    });
    assert.deepEqual(parse(`/checkpoints/${VM}/${CP}`), { kind: 'checkpoint', storeId: STORE, vm: VM, checkpointId: CP });
    assert.deepEqual(parse(`/checkpoints/${VM}`), { kind: 'checkpoints', storeId: STORE, vm: VM });
    assert.deepEqual(parse(`/now/${VM}`), { kind: 'vmNow', storeId: STORE, vm: VM });
    assert.deepEqual(parse('/now'), { kind: 'area', storeId: STORE, area: 'now' });
    assert.deepEqual(parse('/checkpoints/'), { kind: 'area', storeId: STORE, area: 'checkpoints' });
    assert.deepEqual(parse('/'), { kind: 'store', storeId: STORE });
    assert.deepEqual(parse(''), { kind: 'store', storeId: STORE });
  });

  it('still parses the earlier layout (/<VM>/now/..., /<VM>/checkpoints/<Id>/...), without a label', () => {
    assert.deepEqual(parse('/web-01/now/etc/app.conf'), { kind: 'guest', storeId: STORE, vm: 'web-01', target: { kind: 'now' }, guestPath: '/etc/app.conf' });
    assert.deepEqual(parse(`/web 01/checkpoints/${CP}/var/log/x.log`), {
      kind: 'guest',
      storeId: STORE,
      vm: 'web 01',
      target: { kind: 'checkpoint', checkpointId: CP },
      guestPath: '/var/log/x.log',
    });
    assert.deepEqual(parse('/web-01/checkpoints'), { kind: 'checkpoints', storeId: STORE, vm: 'web-01' });
    assert.deepEqual(parse('/web-01'), { kind: 'vm', storeId: STORE, vm: 'web-01' });
    // a VM once named 'now' or 'checkpoints': the second segment decides
    assert.deepEqual(parse('/now/now/etc'), { kind: 'guest', storeId: STORE, vm: 'now', target: { kind: 'now' }, guestPath: '/etc' });
  });

  it("refuses '..' anywhere, NUL, and paths over 4096 characters", () => {
    refused(`/now/${VM}/web-01/etc/../../secret`, 'invalid', /'\.\.' components are not allowed/);
    refused(`/../now/${VM}/web-01/a`, 'invalid', /'\.\.'/);
    refused(`/checkpoints/${VM}/${CP}/..`, 'invalid', /'\.\.'/);
    refused(`/checkpoints/${VM}/${CP}/label/..`, 'invalid', /'\.\.'/);
    refused('/web-01/now/etc/../../secret', 'invalid', /'\.\.'/);
    refused(`/now/${VM}/web-01/a\0b`, 'invalid', /NUL/);
    refused(`/now/${VM}/web-01\0/a`, 'invalid', /NUL/);
    refused(`/now/${VM}/web-01/${'a/'.repeat(2100)}`, 'invalid', /longer than 4096/);
    refused(`/now/${VM}/web-01/${'x'.repeat(MAX_GUEST_PATH + 1200)}`, 'invalid', /longer than 4096/);
    refused(`/web-01/now/${'a/'.repeat(2100)}`, 'invalid', /longer than 4096/);
    // names that merely contain dots are fine
    assert.equal((parse(`/now/${VM}/web-01/a..b/...`) as { guestPath: string }).guestPath, '/a..b/...');
  });

  it('accepts a guest path of exactly 4096 characters and refuses 4097', () => {
    const exact = '/' + 'a'.repeat(200) + ('/' + 'b'.repeat(199)).repeat(19);
    const fill = '/' + 'c'.repeat(MAX_GUEST_PATH - exact.length - 1);
    assert.equal((exact + fill).length, MAX_GUEST_PATH);
    const label = checkpointPath({ Id: VM, Name: 'v'.repeat(100) }, { Id: CP, Name: 'c'.repeat(100) });
    for (const prefix of [`/now/${VM}/web-01`, label, '/vm/now']) {
      assert.equal((parse(`${prefix}${exact}${fill}`) as { guestPath: string }).guestPath.length, MAX_GUEST_PATH, prefix.slice(0, 40));
      refused(`${prefix}${exact}${fill}x`, 'invalid', /longer than 4096/);
    }
  });

  it('refuses a missing store Id, another scheme, and unknown folders', () => {
    assert.throws(() => parse(`/now/${VM}/web-01`, ''), /must name the lab store/);
    assert.throws(() => parseLabUri({ scheme: 'file', authority: STORE, path: '/x' }), /not a Checkpoint Lab URI/);
    refused('/web-01/snapshots/x', 'notFound', /holds only 'now' and 'checkpoints'/);
  });

  it('formats paths whose last segment reads well, and that parse back to the same place', () => {
    assert.equal(nowPath(vm, '/etc/app.conf'), `/now/${VM}/web-01/etc/app.conf`);
    assert.equal(nowPath(vm), `/now/${VM}/web-01`);
    assert.equal(checkpointPath(vm, checkpoint, '/'), `/checkpoints/${VM}/${CP}/web-01 · Before upgrade`);
    assert.equal(checkpointPath(vm, CP), `/checkpoints/${VM}/${CP}/web-01 · checkpoint a1b2c3d4`);
    for (const path of [
      nowPath(vm, '/a b/c#d?.txt'),
      checkpointPath(vm, checkpoint, '/etc/x'),
      '/web-01/now/etc/x',
      `/web-01/checkpoints/${CP}/etc/x`,
      `/checkpoints/${VM}/${CP}`,
      `/now/${VM}`,
      '/now',
      '/',
    ]) {
      assert.equal(formatLabPath(parse(path)), path);
    }
  });

  it('writes a name that is not one clean segment readably, or the Id when nothing is left', () => {
    assert.equal(nowPath({ Id: VM, Name: 'team/web' }, '/x'), `/now/${VM}/team∕web/x`);
    assert.equal(checkpointPath(vm, { Id: CP, Name: 'a\\b/c' }), `/checkpoints/${VM}/${CP}/web-01 · a∕b∕c`);
    assert.equal(nowPath({ Id: VM, Name: '..' }), `/now/${VM}/${VM}`);
    assert.equal(nowPath({ Id: VM, Name: '.' }), `/now/${VM}/${VM}`);
    assert.equal(labelSegment('web 01 (test)', 'x'), 'web 01 (test)');
    assert.equal(labelSegment('  padded  ', 'x'), 'padded');
    assert.equal(labelSegment('', 'fallback'), 'fallback');
    // every formatted root parses back to its VM and target
    const location = parse(nowPath({ Id: VM, Name: 'a/b' }, '/x'));
    assert.ok(location.kind === 'guest' && location.vm === VM && location.guestPath === '/x');
  });

  it('tells targets apart (case-insensitive VM segment and checkpoint Id)', () => {
    const a = parse(`/checkpoints/${VM.toUpperCase()}/${CP}/label/x`);
    assert.ok(a.kind === 'guest');
    assert.ok(sameTarget(a, { storeId: STORE, vm: VM, target: { kind: 'checkpoint', checkpointId: CP.toUpperCase() } }));
    assert.ok(!sameTarget(a, { storeId: STORE, vm: VM, target: { kind: 'now' } }));
    assert.ok(!sameTarget(a, { storeId: 'other', vm: VM, target: { kind: 'checkpoint', checkpointId: CP } }));
  });

  it('names workspace folders readably: the VM, or the VM and the checkpoint', () => {
    assert.equal(nowFolderName('web-01'), 'web-01');
    assert.equal(checkpointFolderName('web-01', 'Before upgrade'), 'web-01 · Before upgrade');
    // Hyper-V's default names start with the VM's: not repeated (a longer word is another name)
    assert.equal(checkpointFolderName('web', 'webserver upgrade'), 'web · webserver upgrade');
    assert.equal(checkpointFolderName('web-01', 'web-01 - (11/22/2026 - 9:30:00 AM)'), 'web-01 - (11/22/2026 - 9:30:00 AM)');
    assert.equal(checkpointPath(vm, { Id: CP, Name: 'web-01 - (11/22/2026 - 9:30:00 AM)' }), `/checkpoints/${VM}/${CP}/web-01 - (11∕22∕2026 - 9:30:00 AM)`);
  });
});
