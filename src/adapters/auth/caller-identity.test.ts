import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_OWNER_CLAIMS, identityOf } from './caller-identity.js';

test('the identity is sub, else a fallback claim under its own name', () => {
  assert.equal(identityOf({ sub: 'alice', client_id: 'svc' }, DEFAULT_OWNER_CLAIMS), 'alice');
  assert.equal(identityOf({ client_id: 'svc', azp: 'web' }, DEFAULT_OWNER_CLAIMS), 'client_id:svc');
  assert.equal(identityOf({ azp: 'web' }, DEFAULT_OWNER_CLAIMS), 'azp:web');
  assert.equal(identityOf({ scope: 'x' }, DEFAULT_OWNER_CLAIMS), undefined);
  assert.equal(identityOf({ oid: 'o1', sub: 's1' }, ['oid', 'sub']), 'o1', 'the first listed claim as it is');
  assert.equal(identityOf({ sub: 's1' }, ['oid', 'sub']), 'sub:s1');
});

test('present identity claims must be printable, non-empty strings', () => {
  for (const [claims, reason] of [
    [{ sub: '\u0000' }, /claim "sub" rejected: it holds control characters/],
    [{ sub: 'a\u001b[31m' }, /control characters/],
    [{ sub: '\u2029' }, /control characters/],
    [{ sub: '' }, /claim "sub" rejected: empty/],
    [{ sub: ['a'] }, /not a string/],
    [{ sub: 'x'.repeat(1025) }, /longer than 1024/],
    [{ client_id: 'ok', azp: '\u0007' }, /claim "azp" rejected/],
    // sub is checked even when not listed.
    [{ sub: 'a\nb', oid: 'o' }, /claim "sub" rejected/],
  ] as const) {
    assert.throws(() => identityOf(claims, 'oid' in claims ? ['oid'] : DEFAULT_OWNER_CLAIMS), reason);
  }
  assert.equal(identityOf({ sub: 'ünïcødé 用户 🙂' }, DEFAULT_OWNER_CLAIMS), 'ünïcødé 用户 🙂');
});
