import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ABSENT, BlockMap, ZERO_BLOCK } from '../../../src/engine/disk/blockMap';

describe('BlockMap', () => {
  it('keeps size and dataCount (entries holding a pool slot) equal to a recount through set, delete and clone', () => {
    const step = fc.oneof(
      fc.tuple(fc.constant('set' as const), fc.integer({ min: 0, max: 5000 }), fc.oneof(fc.constant(ZERO_BLOCK), fc.integer({ min: 0, max: 1e6 }))),
      fc.tuple(fc.constant('delete' as const), fc.integer({ min: 0, max: 5000 }), fc.constant(0)),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        const map = new BlockMap();
        const reference = new Map<number, number>();
        for (const [kind, block, value] of steps) {
          if (kind === 'set') {
            map.set(block, value);
            reference.set(block, value);
          } else {
            assert.equal(map.delete(block), reference.has(block) ? reference.get(block) : ABSENT);
            reference.delete(block);
          }
        }
        const data = [...reference.values()].filter((value) => value >= 0).length;
        assert.equal(map.size, reference.size);
        assert.equal(map.dataCount, data);
        const copy = map.clone();
        assert.equal(copy.dataCount, data);
        let visited = 0;
        copy.forEach((block, value) => {
          visited++;
          assert.equal(value, reference.get(block));
        });
        assert.equal(visited, reference.size);
      }),
    );
  });
});
