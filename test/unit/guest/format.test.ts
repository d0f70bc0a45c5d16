import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { MemoryBlockDevice } from '../../../src/engine/disk/blockDevice';
import { formatDisk, GIB, loadTemplate } from '../../../src/engine/guest/format';
import { GuestFs } from '../../../src/engine/guest/guestFs';
import { exportDisk } from '../../../src/engine/guest/image';
import { LabError } from '../../../src/engine/errors';
import { e2fsckClean, hasTool, tmpDir } from './helpers';

describe('formatDisk: ext4 on every new VM disk (SPEC "The guest", disk sizes 1..64 GiB)', function () {
  for (const sizeGiB of [1, 4, 64]) {
    it(`a ${sizeGiB} GiB disk gets an ext4 that mounts, fills the disk, and passes e2fsck -fn`, async function () {
      const device = new MemoryBlockDevice(sizeGiB * GIB);
      formatDisk(device, sizeGiB);
      // Only the template's non-zero blocks were written: the disk stays sparse.
      assert.ok(device.allocatedBytes < 4 * 1024 * 1024, `${device.allocatedBytes} bytes allocated`);
      const sb = Buffer.alloc(1024);
      device.read(sb, 0, 1024, 1024);
      assert.equal(sb.readUInt16LE(56), 0xef53);
      const blocks = sb.readUInt32LE(4) + sb.readUInt32LE(0x150) * 2 ** 32;
      const blockSize = 1024 << sb.readUInt32LE(24);
      assert.equal(blocks * blockSize, sizeGiB * GIB, 'the file system occupies the whole disk');
      assert.equal(sb.readUInt32LE(0x5c) & 0x4, 0, 'no journal');
      const guest = await GuestFs.mount(device, { label: "'vm'" });
      await guest.writeFile('/hello.txt', 'hi');
      await guest.unmount();
      if (!hasTool('e2fsck')) {
        console.log("      SKIPPED the e2fsck part: 'e2fsck' is not installed (e2fsprogs)");
        return;
      }
      const dir = tmpDir();
      try {
        const image = path.join(dir, 'disk.raw');
        await exportDisk(device, image, 'raw');
        const { ok, output } = e2fsckClean(image);
        assert.ok(ok, output);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('templates exist for every size from 1 to 64 GiB and are small', () => {
    let total = 0;
    for (let size = 1; size <= 64; size++) {
      const template = loadTemplate(size);
      assert.equal(template.capacity, size * GIB);
      total += template.runs.reduce((n, r) => n + r.data.length, 0);
    }
    assert.ok(total < 64 * 1024 * 1024);
  });

  it('refuses sizes outside 1..64 GiB and a device of another size', () => {
    assert.throws(() => formatDisk(new MemoryBlockDevice(GIB), 0), (e: unknown) => e instanceof LabError && /1 to 64/.test(e.message));
    assert.throws(() => formatDisk(new MemoryBlockDevice(GIB), 65), LabError);
    assert.throws(() => formatDisk(new MemoryBlockDevice(GIB), 2), /not 2 GiB/);
  });
});
