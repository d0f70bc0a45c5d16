import { strict as assert } from 'assert';
import { compareStates } from '../../../src/engine/guest/compare';
import { GuestFs } from '../../../src/engine/guest/guestFs';
import { mountedGuest, snapshotOf } from './helpers';

describe('compareStates (compare-vmsnapshot: Added / Removed / Modified by content or type)', function () {
  it('reports changes between a checkpoint and Now, sorted, without /run and lost+found', async () => {
    const { device, guest } = await mountedGuest(1);
    await guest.writeFile('/app/a.txt', 'same', { createParents: true });
    await guest.writeFile('/app/b.txt', 'old content');
    await guest.writeFile('/app/c.txt', '12345');
    await guest.writeFile('/app/gone/x.txt', 'x', { createParents: true });
    await guest.writeFile('/kind', 'file becomes folder');
    await guest.writeFile('/run/on-disk', 'disk files under /run are not compared', { createParents: true });
    await guest.sync();
    const checkpoint = await GuestFs.mount(snapshotOf(device), { label: "checkpoint 'c1'" });

    await guest.writeFile('/app/a.txt', 'same'); // rewritten, same bytes: not a change
    await guest.writeFile('/app/b.txt', 'new content'); // same size, other bytes
    await guest.writeFile('/app/c.txt', '123456'); // other size
    await guest.remove('/app/gone', { recursive: true });
    await guest.remove('/kind');
    await guest.writeFile('/kind/inner.txt', 'now a folder', { createParents: true });
    await guest.writeFile('/new/deep/file.bin', Buffer.alloc(3 * 1024 * 1024, 9), { createParents: true });
    await guest.writeFile('/lost+found/recovered', 'ignored');
    await guest.writeFile('/run/on-disk', 'changed');
    await guest.sync();

    const changes = await compareStates(checkpoint, guest);
    assert.deepEqual(changes, [
      { Path: '/app/b.txt', Change: 'Modified' },
      { Path: '/app/c.txt', Change: 'Modified' },
      { Path: '/app/gone', Change: 'Removed' },
      { Path: '/app/gone/x.txt', Change: 'Removed' },
      { Path: '/kind', Change: 'Modified' },
      { Path: '/kind/inner.txt', Change: 'Added' },
      { Path: '/new', Change: 'Added' },
      { Path: '/new/deep', Change: 'Added' },
      { Path: '/new/deep/file.bin', Change: 'Added' },
    ]);
    assert.deepEqual(await compareStates(guest, guest), []);
    const reverse = await compareStates(guest, checkpoint);
    assert.deepEqual(reverse.find((c) => c.Path === '/new')?.Change, 'Removed');
    await checkpoint.unmount();
    await guest.unmount();
  });

  it('detects a one-byte change deep inside a large file of equal size', async () => {
    const { device, guest } = await mountedGuest(1);
    const data = Buffer.alloc(5 * 1024 * 1024 + 17, 1);
    await guest.writeFile('/big', data);
    await guest.sync();
    const before = await GuestFs.mount(snapshotOf(device));
    data[data.length - 3] = 2;
    await guest.writeFile('/big', data);
    assert.deepEqual(await compareStates(before, guest), [{ Path: '/big', Change: 'Modified' }]);
    await before.unmount();
    await guest.unmount();
  });
});
