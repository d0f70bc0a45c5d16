import { strict as assert } from 'assert';
import { GuestAccess, VmState } from '../../../src/engine/guest/access';
import { GuestError } from '../../../src/engine/guest/errors';
import { GuestFs } from '../../../src/engine/guest/guestFs';
import { GuestView } from '../../../src/engine/guest/guestView';
import { RunFs } from '../../../src/engine/guest/runFs';
import { formattedDevice, readOnlyView } from './helpers';

async function rejectsWith(promise: Promise<unknown>, code: string, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GuestError, String(error));
    assert.equal(error.code, code);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('guest write permissions per state (SPEC "The guest")', function () {
  const device = formattedDevice(1);
  let disk: GuestFs;
  before(async () => {
    disk = await GuestFs.mount(device, { label: "'web-01'" });
    await disk.writeFile('/etc/app.conf', 'v1', { createParents: true });
  });
  after(() => disk.unmount());

  const view = (state: VmState, options: { guestServices?: boolean; run?: RunFs } = {}) =>
    new GuestView(GuestAccess.vm('web-01', state, options.guestServices ?? true), disk, state === 'Off' ? undefined : (options.run ?? RunFs.boot()));

  it('Running: the disk and /run are writable', async () => {
    const v = view('Running');
    await v.writeFile('/etc/app.conf', 'v2');
    await v.writeFile('/run/app.pid', '42');
    assert.equal((await v.readFile('/run/app.pid')).toString(), '42');
    assert.ok((await v.list('/')).some((e) => e.name === 'run' && e.type === 'Directory'));
    assert.ok((await v.list('/')).some((e) => e.name === 'lost+found'), 'lost+found stays visible');
    await v.mkdir('/run/a/b', { parents: true });
    await v.remove('/run/a', { recursive: true });
    assert.deepEqual((await v.listing('/run')).map((r) => r.Path), ['/run/app.pid']);
  });

  it('Off: the disk is writable (offline edit) but /run does not exist', async () => {
    const v = view('Off');
    await v.writeFile('/etc/app.conf', 'offline');
    assert.equal((await disk.readFile('/etc/app.conf')).toString(), 'offline');
    await rejectsWith(v.writeFile('/run/x', '1'), 'GuestRunMissing', /'\/run\/x' does not exist: 'web-01' is Off/);
    await rejectsWith(v.readFile('/run/x'), 'GuestRunMissing', /does not exist/);
    assert.ok(!(await v.list('/')).some((e) => e.name === 'run'));
  });

  for (const state of ['Paused', 'Saved'] as const) {
    it(`${state}: nothing may be written, everything may be read`, async () => {
      const run = RunFs.boot();
      run.writeFile('/kept', 'mem');
      const v = view(state, { run });
      const message = `The virtual machine 'web-01' is ${state}; its disks cannot be changed in that state.`;
      await rejectsWith(v.writeFile('/etc/app.conf', 'x'), 'GuestStateForbidsWrite', message);
      await rejectsWith(v.writeFile('/run/x', 'x'), 'GuestStateForbidsWrite', message);
      await rejectsWith(v.remove('/etc/app.conf'), 'GuestStateForbidsWrite', message);
      await rejectsWith(v.mkdir('/new'), 'GuestStateForbidsWrite', message);
      await rejectsWith(v.rename('/etc', '/etc2'), 'GuestStateForbidsWrite', message);
      await rejectsWith(v.copyIn('/etc/x', Buffer.from('x')), 'GuestStateForbidsWrite', message);
      assert.ok((await v.readFile('/etc/app.conf')).length > 0);
      assert.equal((await v.readFile('/run/kept')).toString(), 'mem');
    });
  }

  it("a checkpoint's files are read-only; its /run exists only when it holds memory", async () => {
    await disk.sync();
    const frozen = await GuestFs.mount(readOnlyView(device), { label: "checkpoint 'c1' of 'web-01'" });
    try {
      const run = RunFs.boot();
      run.writeFile('/state', 's');
      const withMemory = new GuestView(GuestAccess.checkpoint('web-01', 'c1', true), frozen, run);
      await rejectsWith(withMemory.writeFile('/etc/app.conf', 'x'), 'GuestReadOnly', /checkpoint 'c1' of 'web-01' are read-only/);
      await rejectsWith(withMemory.remove('/run/state'), 'GuestReadOnly', /read-only/);
      assert.equal((await withMemory.readFile('/run/state')).toString(), 's');
      const production = new GuestView(GuestAccess.checkpoint('web-01', 'c2', false), frozen);
      await rejectsWith(production.readFile('/run/state'), 'GuestRunMissing', /holds no memory/);
      assert.ok((await production.readFile('/etc/app.conf')).length > 0);
    } finally {
      await frozen.unmount();
    }
  });

  it('copy-vmfile into a Running VM needs GuestServices; into an Off VM it is always allowed', async () => {
    await rejectsWith(
      view('Running', { guestServices: false }).copyIn('/copied.txt', Buffer.from('c')),
      'GuestServicesDisabled',
      "The Guest Service Interface integration service is not enabled for 'web-01'.",
    );
    const off = new GuestView(GuestAccess.vm('web-01', 'Off', false), disk);
    await off.copyIn('/copied.txt', Buffer.from('c'));
    await view('Running').copyIn('/copied2.txt', Buffer.from('c'));
    assert.equal((await disk.readFile('/copied.txt')).toString(), 'c');
  });

  it('moving between the disk and /run is refused with a reason', async () => {
    await rejectsWith(view('Running').rename('/etc/app.conf', '/run/app.conf'), 'GuestPathInvalid', /\/run is memory, not disk/);
  });
});
