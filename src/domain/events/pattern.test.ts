import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern } from './pattern.js';

const matches = (pattern: string | RegExp, name: string) => compilePattern(pattern).matches(name);

describe('compilePattern', () => {
  it('matches an exact name only, case-sensitively', () => {
    assert.ok(matches('orderCreated', 'orderCreated'));
    assert.ok(!matches('orderCreated', 'orderCreatedLater'));
    assert.ok(!matches('orderCreated', 'xorderCreated'));
    assert.ok(!matches('orderCreated', 'OrderCreated'));
  });

  it('treats * as any run of characters, including none', () => {
    assert.ok(matches('order*', 'orderCreated'));
    assert.ok(matches('order*', 'order'));
    assert.ok(!matches('order*', 'customerCreated'));
    assert.ok(matches('*Created', 'orderCreated'));
    assert.ok(!matches('*Created', 'orderCreatedTwice'));
    assert.ok(matches('o*r*d', 'orderUpdated'));
    assert.ok(!matches('o*r*d', 'orderUpdates'));
    assert.ok(matches('*', 'anything.at:all'));
    assert.ok(matches('*', ''));
  });

  it('treats every other character literally', () => {
    assert.ok(matches('order.*', 'order.created'));
    assert.ok(!matches('order.*', 'orderXcreated'));
    assert.ok(matches('a+b(c)?*', 'a+b(c)?d'));
    assert.ok(!matches('a+b', 'aab'));
  });

  it('tests a RegExp against the name, ignoring g and y flags', () => {
    assert.ok(matches(/^order(Created|Deleted)$/, 'orderDeleted'));
    assert.ok(!matches(/^order(Created|Deleted)$/, 'orderUpdated'));
    assert.ok(matches(/created$/i, 'orderCreated'));
    const global = compilePattern(/Created/g);
    assert.ok(global.matches('orderCreated'));
    assert.ok(global.matches('orderCreated'), 'lastIndex must not carry over');
  });

  it('reports the pattern as a string', () => {
    assert.equal(compilePattern('order*').source, 'order*');
    assert.equal(compilePattern(/^a/i).source, '/^a/i');
  });

  it('rejects empty and invalid patterns', () => {
    assert.throws(() => compilePattern(''), TypeError);
    assert.throws(() => compilePattern(42 as unknown as string), TypeError);
  });
});
