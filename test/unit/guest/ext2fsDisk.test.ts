import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { MemoryBlockDevice } from '../../../src/engine/disk/blockDevice';
import { BlockDeviceDisk, RUN_BYTES } from '../../../src/engine/guest/ext2fsDisk';
import { GuestFs } from '../../../src/engine/guest/guestFs';
import { formattedDevice } from './helpers';

const BLOCK = 4096;
const REGION = 3 * RUN_BYTES; // runs fill and spill over within the region

type Op =
  | { kind: 'write'; position: number; length: number; seed: number }
  | { kind: 'read'; position: number; length: number }
  | { kind: 'discard'; position: number; length: number }
  | { kind: 'deviceRead'; position: number; length: number }
  | { kind: 'stream'; firstBlock: number; blocks: number; seed: number }
  | { kind: 'settle' };

/** Mostly block-aligned ranges (what libext2fs sends), many in a few hot blocks so they collide, some not aligned. */
const blocks = (maxBlock: number) =>
  fc.tuple(fc.integer({ min: 0, max: maxBlock - 1 }), fc.integer({ min: 1, max: 4 })).map(([block, count]) => ({ position: block * BLOCK, length: Math.min(count, REGION / BLOCK - block) * BLOCK }));
const range = fc.oneof(
  blocks(12),
  blocks(REGION / BLOCK),
  fc.tuple(fc.integer({ min: 0, max: REGION - 1 }), fc.integer({ min: 1, max: 3 * BLOCK })).map(([position, length]) => ({ position, length: Math.min(length, REGION - position) })),
);

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(range, fc.integer()).map(([r, seed]) => ({ kind: 'write' as const, ...r, seed })) },
  { weight: 3, arbitrary: range.map((r) => ({ kind: 'read' as const, ...r })) },
  { weight: 1, arbitrary: range.map((r) => ({ kind: 'discard' as const, ...r })) },
  { weight: 1, arbitrary: range.map((r) => ({ kind: 'deviceRead' as const, ...r })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stream' as const), firstBlock: fc.integer({ min: 0, max: REGION / BLOCK - 1 }), blocks: fc.integer({ min: 1, max: 400 }), seed: fc.integer() }) },
);

function bytes(length: number, seed: number): Buffer {
  const data = Buffer.alloc(length);
  for (let i = 0; i < length; i++) data[i] = (seed + i * 31) & 0xff;
  return data;
}

/** A sequential stream of block writes, as libext2fs writes a file, with its metadata writes between. */
async function writeStream(disk: BlockDeviceDisk, firstBlock: number, blocks: number, model: Buffer): Promise<void> {
  for (let i = 0; i < blocks; i++) {
    const block = firstBlock + i;
    const zero = Buffer.alloc(BLOCK);
    await disk.write(zero, 0, BLOCK, block * BLOCK); // zeroed on allocation
    model.fill(0, block * BLOCK, (block + 1) * BLOCK);
    const meta = bytes(BLOCK, i);
    await disk.write(meta, 0, BLOCK, 2 * BLOCK); // the extent block, rewritten every time
    meta.copy(model, 2 * BLOCK);
    const data = bytes(BLOCK, 1000 + i);
    await disk.write(data, 0, BLOCK, block * BLOCK); // then the data
    data.copy(model, block * BLOCK);
  }
}

describe('guest: the ext2fs adapter stages writes (write combining)', () => {
  it('reads through the adapter, and reads of the device after settle(), always match a plain disk (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 120 }), async (ops) => {
        const device = new MemoryBlockDevice(REGION);
        const disk = new BlockDeviceDisk(device);
        const model = Buffer.alloc(REGION);
        for (const o of ops) {
          if (o.kind === 'stream') {
            // a file's worth of sequential blocks: fills runs, which then go out whole
            for (let i = 0; i < o.blocks; i++) {
              const data = bytes(BLOCK, o.seed + i);
              const position = Math.min(o.firstBlock + i, REGION / BLOCK - 1) * BLOCK;
              await disk.write(data, 0, BLOCK, position);
              data.copy(model, position);
            }
          } else if (o.kind === 'write') {
            const data = bytes(o.length, o.seed);
            await disk.write(data, 0, o.length, o.position);
            data.copy(model, o.position);
          } else if (o.kind === 'read') {
            const got = Buffer.alloc(o.length);
            await disk.read(got, 0, o.length, o.position);
            assert.ok(got.equals(model.subarray(o.position, o.position + o.length)), `read of ${o.length} at ${o.position}`);
          } else if (o.kind === 'discard') {
            await disk.discard(o.position, o.length);
            model.fill(0, o.position, o.position + o.length);
          } else if (o.kind === 'deviceRead') {
            const got = Buffer.alloc(o.length);
            disk.readNow(got, 0, o.length, o.position);
            assert.ok(got.equals(model.subarray(o.position, o.position + o.length)));
          } else disk.settle();
        }
        disk.settle();
        const all = Buffer.alloc(REGION);
        device.read(all, 0, REGION, 0);
        assert.ok(all.equals(model), 'after settle() the device holds every write');
      }),
      { numRuns: 150 },
    );
  });

  it('a file-like stream reaches the device in few large writes, and nothing before settle() or a full run', async () => {
    const device = new MemoryBlockDevice(REGION * 2);
    const writes: number[] = [];
    const write = device.write.bind(device);
    device.write = (buffer, offset, length, position) => {
      writes.push(length);
      write(buffer, offset, length, position);
    };
    const disk = new BlockDeviceDisk(device);
    const model = Buffer.alloc(REGION * 2);
    const blocks = (2 * RUN_BYTES) / BLOCK + 10;
    await writeStream(disk, 16, blocks, model);
    assert.ok(writes.length <= 2, `${writes.length} device writes before settle (${blocks * 3} writes came in)`);
    assert.ok(writes.every((length) => length === RUN_BYTES), 'only full runs went early');
    await disk.flush();
    assert.ok(writes.length <= 4, `${writes.length} device writes in all`);
    const all = Buffer.alloc(model.length);
    device.read(all, 0, all.length, 0);
    assert.ok(all.equals(model));
  });

  it('a read-only device refuses writes and discards before staging anything', async () => {
    const device = new MemoryBlockDevice(REGION);
    Object.defineProperty(device, 'readOnly', { value: true });
    const disk = new BlockDeviceDisk(device);
    await assert.rejects(disk.write(Buffer.alloc(BLOCK), 0, BLOCK, 0), /read-only/);
    await assert.rejects(disk.discard(0, BLOCK), /read-only/);
    assert.equal(disk.refusedWrite, true);
  });

  it('GuestFs settles after every operation: the device itself holds the data of a file just written', async () => {
    const device = formattedDevice(1);
    const guest = await GuestFs.mount(device);
    const data = bytes(3 * RUN_BYTES + 123, 7);
    await guest.writeFile('/srv/big.bin', data, { createParents: true });
    // the file's last block (123 bytes, then zeros) must be on the device, not only staged
    const tail = Buffer.alloc(BLOCK);
    data.copy(tail, 0, 3 * RUN_BYTES);
    const block = Buffer.alloc(BLOCK);
    let found = false;
    for (const r of device.allocatedRanges()) {
      for (let at = r.position; at < r.position + r.length && !found; at += BLOCK) {
        device.read(block, 0, BLOCK, at);
        found = block.equals(tail);
      }
    }
    assert.ok(found, "the file's last block reached the device when writeFile returned");
    await guest.unmount();
    const again = await GuestFs.mount(device);
    assert.ok((await again.readFile('/srv/big.bin')).equals(data));
    await again.unmount();
  });
});
