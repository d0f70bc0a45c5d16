import * as assert from 'node:assert/strict';
import { ExcludeRules } from '../../../src/loop/core';

describe('loop: exclude rules (.gitignore semantics)', () => {
  const rules = (...lines: string[]) => new ExcludeRules().add(lines);

  it('a name without a slash matches at any depth; a trailing slash matches folders only', () => {
    const r = rules('node_modules', '*.log', 'build/');
    assert.ok(r.excludes('node_modules', true));
    assert.ok(r.excludes('pkg/node_modules', true));
    assert.ok(r.excludes('a/b/debug.log', false));
    assert.ok(r.excludes('build', true));
    assert.ok(!r.excludes('build', false), 'build/ does not match a file named build');
    assert.ok(!r.excludes('src/main.ts', false));
  });

  it('a slash anchors to the rules folder; ** crosses folders; * and ? do not', () => {
    const r = rules('/dist', 'docs/*.md', 'a/**/z', 'f?o');
    assert.ok(r.excludes('dist', true));
    assert.ok(!r.excludes('src/dist', true));
    assert.ok(r.excludes('docs/x.md', false));
    assert.ok(!r.excludes('docs/sub/x.md', false));
    assert.ok(r.excludes('a/z', false) && r.excludes('a/b/c/z', false));
    assert.ok(r.excludes('foo', false) && !r.excludes('fooo', false));
  });

  it('negation re-includes; the last match wins; comments and blanks are skipped', () => {
    const r = rules('# comment', '', '*.env', '!keep.env');
    assert.ok(r.excludes('x.env', false));
    assert.ok(!r.excludes('keep.env', false));
    assert.equal(r.size, 2);
  });

  it('rules of a nested .gitignore apply below its folder only; excludesPath checks parents', () => {
    const r = new ExcludeRules().add(['*.tmp'], 'sub');
    assert.ok(r.excludes('sub/a.tmp', false));
    assert.ok(!r.excludes('a.tmp', false));
    const p = rules('cache/');
    assert.ok(p.excludesPath('cache/deep/file.txt', false));
    assert.ok(!p.excludes('cache/deep/file.txt', false));
  });
});
