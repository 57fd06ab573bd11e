import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkCanaryPatch, checkCanaryStart } from './canary-body.js';

const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('canary bodies', () => {
  it('reads a start, lower-casing a sticky header name', () => {
    assert.deepEqual(checkCanaryStart(body({ ref: 'main', weight: 5, sticky: { header: 'X-User' }, mode: 'ab', allowRemove: true })), {
      ok: true,
      value: { ref: 'main', weight: 5, auto: false, sticky: { header: 'x-user' }, mode: 'ab', allowRemove: true },
    });
    assert.deepEqual(checkCanaryStart(body({ weight: 0 })), { ok: true, value: { weight: 0, auto: false, sticky: undefined, mode: undefined, allowRemove: false } });
    assert.deepEqual(checkCanaryStart(body({ version: 'abc', weight: 100, sticky: { subject: true } })).ok, true);
  });

  it('refuses a bad start naming the field', () => {
    const field = (value: unknown) => {
      const checked = checkCanaryStart(body(value));
      return checked.ok ? 'accepted' : checked.field;
    };
    assert.equal(field('not json'), 'body');
    assert.equal(field([1]), 'body');
    assert.equal(field({}), 'weight');
    assert.equal(field({ weight: 100.5 }), 'weight');
    assert.equal(field({ weight: 5, ref: '' }), 'ref');
    assert.equal(field({ weight: 5, version: '../x' }), 'version');
    assert.equal(field({ weight: 5, sticky: 'x-user' }), 'sticky');
    assert.equal(field({ weight: 5, sticky: { subject: 'yes' } }), 'sticky.subject');
    assert.equal(field({ weight: 5, sticky: { cookie: 'a;b' } }), 'sticky.cookie');
    assert.equal(field({ weight: 5, allowRemove: 'yes' }), 'allowRemove');
    assert.equal(field({ weight: 5, steps: [5, 50] }), 'steps');
  });

  it('reads "auto": true (the remote\'s rollout steps the canary) without a weight, and refuses one with a weight or mode ab', () => {
    assert.deepEqual(checkCanaryStart(body({ auto: true, version: 'abc' })), { ok: true, value: { version: 'abc', weight: 0, auto: true, sticky: undefined, mode: undefined, allowRemove: false } });
    const field = (value: unknown, patch = false) => {
      const checked = patch ? checkCanaryPatch(body(value)) : checkCanaryStart(body(value));
      return checked.ok ? 'accepted' : checked.field;
    };
    assert.equal(field({ auto: true, weight: 5 }), 'weight');
    assert.equal(field({ auto: true, mode: 'ab' }), 'mode');
    assert.equal(field({ auto: 'yes', weight: 5 }), 'auto');
    assert.equal(field({ auto: true }, true), 'accepted');
    assert.equal(field({ auto: false, weight: 20 }, true), 'accepted');
    assert.equal(field({ auto: true, weight: 20 }, true), 'weight');
    assert.equal(field({ auto: 1 }, true), 'auto');
  });

  it('reads a split change; null removes stickiness; an empty change is refused', () => {
    assert.deepEqual(checkCanaryPatch(body({ weight: 40, sticky: null })), { ok: true, value: { weight: 40, sticky: null } });
    assert.deepEqual(checkCanaryPatch(body({ mode: 'canary' })), { ok: true, value: { mode: 'canary' } });
    const empty = checkCanaryPatch(body({}));
    assert.equal(empty.ok, false);
    const version = checkCanaryPatch(body({ version: 'abc' }));
    assert.equal(!version.ok && version.field, 'version');
  });
});
