import { strict as assert } from 'node:assert';
import { ContentVersions, reportedMtime } from '../../../src/fs/versions';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('content versions behind the reported mtime', () => {
  it('moves the version only when the content is new', () => {
    const versions = new ContentVersions();
    versions.record('a', bytes('one'));
    assert.equal(versions.offsetMs('a'), 0);
    versions.record('a', bytes('one'));
    assert.equal(versions.offsetMs('a'), 0);
    versions.record('a', bytes('two'));
    assert.equal(versions.offsetMs('a'), 1);
    versions.record('a', bytes('one'));
    assert.equal(versions.offsetMs('a'), 2, 'back to the old text (Apply) is a change too');
  });

  it('marks only matching files suspect, and recording clears it', () => {
    const versions = new ContentVersions();
    versions.record('vm/a', bytes('x'));
    versions.record('vm/b', bytes('y'));
    assert.deepEqual(versions.markSuspect((key) => key.endsWith('/a')), ['vm/a']);
    assert.ok(versions.isSuspect('vm/a'));
    assert.ok(!versions.isSuspect('vm/b'));
    versions.record('vm/a', bytes('x'));
    assert.ok(!versions.isSuspect('vm/a'));
  });

  it('keeps at most `limit` files, dropping the least recently recorded', () => {
    const versions = new ContentVersions(2);
    versions.record('a', bytes('1'));
    versions.record('b', bytes('1'));
    versions.record('a', bytes('2'));
    versions.record('c', bytes('1'));
    assert.deepEqual(versions.keys().sort(), ['a', 'c']);
  });

  it('folds the version into whole-second guest times only', () => {
    assert.equal(reportedMtime(1_700_000_000_000, 3), 1_700_000_000_003);
    assert.equal(reportedMtime(1_700_000_000_123, 3), 1_700_000_000_123);
    assert.equal(reportedMtime(Number.NaN, 3), 3);
  });
});
