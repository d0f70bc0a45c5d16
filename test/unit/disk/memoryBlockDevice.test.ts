import { strict as assert } from 'node:assert';
import { MemoryBlockDevice } from '../../../src/engine/disk/blockDevice';

describe('MemoryBlockDevice', () => {
  it('reads zeros where nothing was written and the bytes where something was', () => {
    const device = new MemoryBlockDevice(1024 * 1024);
    const data = Buffer.from('hello across a chunk boundary');
    device.write(data, 0, data.length, 64 * 1024 - 5);
    const out = Buffer.alloc(data.length + 10, 0xff);
    device.read(out, 0, out.length, 64 * 1024 - 10);
    assert.deepEqual(out.subarray(0, 5), Buffer.alloc(5));
    assert.deepEqual(out.subarray(5, 5 + data.length), data);
  });

  it('refuses I/O outside the disk', () => {
    const device = new MemoryBlockDevice(4096);
    assert.throws(() => device.read(Buffer.alloc(10), 0, 10, 4090), /outside the 4096-byte disk/);
  });
});
