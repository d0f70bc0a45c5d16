import { strict as assert } from 'node:assert';
import { ListingCache } from '../../../src/fs/listingCache';

describe('listing cache of the checkpoint-lab provider', () => {
  const entries = [{ name: 'a', directory: false }];

  it("drops Now's listings on a Now change and keeps checkpoints'", () => {
    const cache = new ListingCache();
    const now = ListingCache.key('s1', 'Web', 'now', '/etc');
    const cp = ListingCache.key('s1', 'web', 'cp-1', '/etc');
    const other = ListingCache.key('s2', 'web', 'now', '/etc');
    cache.set(now, entries);
    cache.set(cp, entries);
    cache.set(other, entries);
    assert.equal(cache.get(ListingCache.key('s1', 'WEB', 'now', '/etc')), entries, 'VM segment is case-insensitive');
    cache.invalidate('s1', 'now');
    assert.equal(cache.get(now), undefined);
    assert.equal(cache.get(cp), entries);
    assert.equal(cache.get(other), entries, 'another store keeps its listings');
    cache.invalidate('s1', 'all');
    assert.equal(cache.get(cp), undefined);
  });

  it('keeps at most `limit` listings, least recently used out first', () => {
    const cache = new ListingCache(2);
    cache.set('a', entries);
    cache.set('b', entries);
    cache.get('a');
    cache.set('c', entries);
    assert.equal(cache.get('b'), undefined);
    assert.ok(cache.get('a') && cache.get('c'));
  });
});
