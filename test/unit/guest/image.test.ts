import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { MemoryBlockDevice } from '../../../src/engine/disk/blockDevice';
import { GuestError } from '../../../src/engine/guest/errors';
import { GIB } from '../../../src/engine/guest/format';
import { GuestFs } from '../../../src/engine/guest/guestFs';
import { exportDisk, openImportImage } from '../../../src/engine/guest/image';
import { crc32c } from '../../../src/engine/guest/vhdx';
import { e2fsckClean, hasTool, mountedGuest, requireTool, run, tmpDir } from './helpers';

function sameBytes(a: MemoryBlockDevice, b: MemoryBlockDevice): boolean {
  const x = Buffer.alloc(64 * 1024);
  const y = Buffer.alloc(64 * 1024);
  const positions = new Set([...a.allocatedRanges(), ...b.allocatedRanges()].map((r) => r.position));
  for (const position of positions) {
    const length = Math.min(x.length, a.capacity - position);
    a.read(x, 0, length, position);
    b.read(y, 0, length, position);
    if (!x.subarray(0, length).equals(y.subarray(0, length))) return false;
  }
  return true;
}

async function refused(file: string, text: RegExp): Promise<void> {
  await assert.rejects(openImportImage(file), (error: unknown) => {
    assert.ok(error instanceof GuestError, String(error));
    assert.equal(error.code, 'ImageRefused');
    assert.match(error.message, text);
    assert.ok(error.message.includes(file), 'the message names the file');
    return true;
  });
}

describe('export and import of disks (R23, R33)', function () {
  let dir: string;
  let device: MemoryBlockDevice;
  let raw: string;
  let vhdx: string;
  before(async () => {
    dir = tmpDir();
    const mounted = await mountedGuest(2);
    device = mounted.device;
    const payload = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE((i * 2654435761) >>> 0, i);
    await mounted.guest.writeFile('/app/data.bin', payload, { createParents: true });
    await mounted.guest.writeFile('/etc/app.conf', 'port=80\n', { createParents: true });
    await mounted.guest.unmount();
    raw = path.join(dir, 'disk0.raw');
    vhdx = path.join(dir, 'disk0.vhdx');
    await exportDisk(device, raw, 'raw');
    await exportDisk(device, vhdx, 'vhdx');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('CRC-32C matches the standard check value', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  it('the raw export is the ext4 image itself, sparse, and passes e2fsck -fn', function () {
    assert.equal(fs.statSync(raw).size, 2 * GIB);
    assert.ok(fs.statSync(raw).blocks * 512 < 64 * 1024 * 1024, 'zero blocks are holes');
    requireTool(this, 'e2fsck');
    const { ok, output } = e2fsckClean(raw);
    assert.ok(ok, output);
  });

  it('the VHDX export passes qemu-img check -f vhdx, is a dynamic VHDX, and qemu-img compare finds it equal to the raw one', function () {
    assert.equal(fs.readFileSync(vhdx).toString('latin1', 0, 8), 'vhdxfile');
    assert.ok(fs.statSync(vhdx).size < 32 * 1024 * 1024, 'only non-zero blocks are stored');
    requireTool(this, 'qemu-img');
    const check = run('qemu-img', ['check', '-f', 'vhdx', vhdx]);
    assert.equal(check.status, 0, check.output);
    const info = run('qemu-img', ['info', '--output=json', '-f', 'vhdx', vhdx]);
    assert.equal(info.status, 0, info.output);
    assert.equal(JSON.parse(info.output)['virtual-size'], 2 * GIB);
    const compared = run('qemu-img', ['compare', '-f', 'raw', '-F', 'vhdx', raw, vhdx]);
    assert.equal(compared.status, 0, compared.output);
  });

  for (const format of ['vhdx', 'raw'] as const) {
    it(`importing our own ${format} export round-trips every byte into a new disk`, async () => {
      const image = await openImportImage(format === 'raw' ? raw : vhdx);
      try {
        assert.equal(image.format, format);
        assert.equal(image.sizeGiB, 2);
        const copy = new MemoryBlockDevice(image.virtualSize);
        await image.copyTo(copy);
        assert.ok(sameBytes(device, copy));
        const guest = await GuestFs.mount(copy);
        assert.equal((await guest.readFile('/etc/app.conf')).toString(), 'port=80\n');
        await guest.unmount();
      } finally {
        await image.close();
      }
    });
  }

  it('imports a VHDX made by qemu-img (32 MiB blocks, its own layout)', async function () {
    requireTool(this, 'qemu-img');
    const theirs = path.join(dir, 'qemu.vhdx');
    const made = run('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic', raw, theirs]);
    assert.equal(made.status, 0, made.output);
    const image = await openImportImage(theirs);
    try {
      const copy = new MemoryBlockDevice(image.virtualSize);
      await image.copyTo(copy);
      assert.ok(sameBytes(device, copy));
    } finally {
      await image.close();
    }
  });

  it('refuses a differencing VHDX', async () => {
    const bytes = fs.readFileSync(vhdx);
    // Metadata region at 2 MiB; the file parameters item is the first at 64 KiB into it: set HasParent.
    const flagsAt = 2 * 1024 * 1024 + 64 * 1024 + 4;
    bytes.writeUInt32LE(bytes.readUInt32LE(flagsAt) | 2, flagsAt);
    const diff = path.join(dir, 'child.avhdx');
    fs.writeFileSync(diff, bytes);
    await refused(diff, /is a differencing VHDX/);
  });

  it('refuses random bytes, other formats, and images without ext4', async () => {
    const random = path.join(dir, 'random.bin');
    fs.writeFileSync(random, Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => (i * 7919 + 13) & 0xff)));
    await refused(random, /neither a VHDX file nor a raw image holding an ext4 file system/);
    const qcow = path.join(dir, 'disk.qcow2');
    fs.writeFileSync(qcow, Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb]), Buffer.alloc(4096)]));
    await refused(qcow, /is a QCOW2 image; only raw images and dynamic VHDX files are supported/);
    const blankRaw = path.join(dir, 'blank.raw');
    fs.writeFileSync(blankRaw, Buffer.alloc(0));
    fs.truncateSync(blankRaw, GIB);
    await refused(blankRaw, /no ext4 superblock at byte 1080/);
    const blank = new MemoryBlockDevice(GIB);
    blank.write(Buffer.from('not a file system'), 0, 17, 0);
    const blankVhdx = path.join(dir, 'blank.vhdx');
    await exportDisk(blank, blankVhdx, 'vhdx');
    await refused(blankVhdx, /VHDX does not hold an ext4 file system/);
    const damaged = Buffer.from(fs.readFileSync(vhdx));
    damaged[64 * 1024 + 100] ^= 1;
    damaged[128 * 1024 + 100] ^= 1;
    const damagedFile = path.join(dir, 'damaged.vhdx');
    fs.writeFileSync(damagedFile, damaged);
    await refused(damagedFile, /damaged VHDX file \(no header with a valid checksum\)/);
    await refused(path.join(dir, 'missing.vhdx'), /cannot be opened \(ENOENT\)/);
  });

  it('reports when e2fsck or qemu-img are missing (the checks above are skipped visibly)', function () {
    if (!hasTool('e2fsck') || !hasTool('qemu-img')) console.log('      NOTE: some export checks were skipped: install e2fsprogs and qemu-utils');
  });
});
