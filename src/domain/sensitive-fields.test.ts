import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldSpec } from './model-spec.js';
import type { ListQuery } from './datasource.js';
import { MicrolibError } from './errors.js';
import {
  decryptFields,
  encryptFields,
  hashFieldName,
  lookupConditions,
  lookupFilter,
  reencryptFields,
  sensitiveFieldsOf,
  type FieldCipher,
  type SensitiveFields,
} from './sensitive-fields.js';

/** Reversible stand-in: readable in assertions, and it records which field each value was bound to. */
const fakeCipher: FieldCipher = {
  encrypt: (plaintext, field) => `fake:${field}:${Buffer.from(plaintext, 'utf8').toString('base64')}`,
  decrypt(envelope, field) {
    const prefix = `fake:${field}:`;
    if (!envelope.startsWith(prefix)) throw new Error(`field "${field}" could not be decrypted`);
    return Buffer.from(envelope.slice(prefix.length), 'base64').toString('utf8');
  },
  isEnvelope: (value) => typeof value === 'string' && value.startsWith('fake:'),
  lookupHash: (field, value) => `hash(${field},${value})`,
};

const fields: Record<string, FieldSpec> = {
  name: { type: 'string' },
  email: { type: 'string', sensitive: true, lookup: true },
  age: { type: 'integer', sensitive: true, lookup: true },
  address: { type: 'object', sensitive: true, properties: { city: { type: 'string' } } },
  notes: { type: 'string', sensitive: true },
};
const sensitive: SensitiveFields = sensitiveFieldsOf(fields);

test('sensitiveFieldsOf lists sensitive and lookup fields in declaration order', () => {
  assert.deepEqual(sensitive, { names: ['email', 'age', 'address', 'notes'], lookups: ['email', 'age'] });
  assert.deepEqual(sensitiveFieldsOf(undefined), { names: [], lookups: [] });
  assert.deepEqual(sensitiveFieldsOf({ a: { type: 'string' } }), { names: [], lookups: [] });
});

test('sensitiveFieldsOf rejects lookup without sensitive, naming the field', () => {
  assert.throws(() => sensitiveFieldsOf({ email: { type: 'string', lookup: true } }), (error: Error) => {
    assert.ok(!(error instanceof MicrolibError));
    assert.match(error.message, /"email"/);
    assert.match(error.message, /sensitive/);
    return true;
  });
});

test('sensitiveFieldsOf rejects lookup on object and array fields', () => {
  for (const type of ['object', 'array'] as const) {
    assert.throws(() => sensitiveFieldsOf({ data: { type, sensitive: true, lookup: true } }), /"data" of type (object|array) cannot declare lookup/);
  }
  for (const type of ['string', 'number', 'integer', 'boolean', 'date'] as const) {
    assert.deepEqual(sensitiveFieldsOf({ data: { type, sensitive: true, lookup: true } }).lookups, ['data']);
  }
});

test('sensitiveFieldsOf rejects sensitive nested fields, which would be stored in clear', () => {
  assert.throws(
    () => sensitiveFieldsOf({ address: { type: 'object', properties: { street: { type: 'string', sensitive: true } } } }),
    /only top-level fields can be sensitive/,
  );
  assert.throws(
    () => sensitiveFieldsOf({ cards: { type: 'array', items: { type: 'object', properties: { pan: { type: 'string', sensitive: true } } } } }),
    /only top-level fields can be sensitive/,
  );
});

test('sensitiveFieldsOf rejects a declared field named like a hash field', () => {
  assert.throws(
    () => sensitiveFieldsOf({ email: { type: 'string', sensitive: true, lookup: true }, email__hash: { type: 'string' } }),
    /"email__hash" cannot be declared/,
  );
});

test('hashFieldName appends __hash', () => {
  assert.equal(hashFieldName('email'), 'email__hash');
});

test('encryptFields encrypts sensitive values as JSON bound to their field and hashes lookups', () => {
  const record: Record<string, unknown> = { id: 'r1', name: 'Ann', email: 'ann@example.com', age: 42, address: { city: 'Oslo' } };
  encryptFields(record, sensitive, fakeCipher);
  assert.equal(record.name, 'Ann');
  assert.equal(record.id, 'r1');
  assert.equal(record.email, fakeCipher.encrypt('"ann@example.com"', 'email'));
  assert.equal(record.age, fakeCipher.encrypt('42', 'age'));
  assert.equal(record.address, fakeCipher.encrypt('{"city":"Oslo"}', 'address'));
  assert.equal(record.email__hash, 'hash(email,"ann@example.com")');
  assert.equal(record.age__hash, 'hash(age,42)');
  // Absent fields stay absent, and non-lookup fields get no hash.
  assert.equal(Object.hasOwn(record, 'notes'), false);
  assert.equal(Object.hasOwn(record, 'address__hash'), false);
});

test('encryptFields leaves undefined values and existing envelopes alone', () => {
  const envelope = fakeCipher.encrypt('"kept"', 'email');
  const record: Record<string, unknown> = { email: envelope, email__hash: 'old', notes: undefined };
  encryptFields(record, sensitive, fakeCipher);
  assert.equal(record.email, envelope);
  assert.equal(record.email__hash, 'old');
  assert.equal(record.notes, undefined);
});

test('encryptFields removes the hash of a field set to null and keeps the null', () => {
  const record: Record<string, unknown> = { email: null, email__hash: 'hash(email,"old")' };
  encryptFields(record, sensitive, fakeCipher);
  assert.equal(record.email, null);
  assert.equal(Object.hasOwn(record, 'email__hash'), false);
});

test('encryptFields with `only` touches only the named fields', () => {
  const record: Record<string, unknown> = { email: 'a@example.com', notes: 'secret', age: null, age__hash: 'h' };
  encryptFields(record, sensitive, fakeCipher, new Set(['notes']));
  assert.equal(record.email, 'a@example.com');
  assert.equal(Object.hasOwn(record, 'email__hash'), false);
  assert.equal(record.notes, fakeCipher.encrypt('"secret"', 'notes'));
  assert.equal(record.age__hash, 'h');
});

test('decryptFields returns a decrypted copy without hash fields', () => {
  const original = { id: 'r1', name: 'Ann', email: 'ann@example.com', age: 0, address: { city: 'Oslo' }, notes: null };
  const stored: Record<string, unknown> = { ...original };
  encryptFields(stored, sensitive, fakeCipher);
  const snapshot = { ...stored };
  const clear = decryptFields(stored, sensitive, fakeCipher);
  assert.deepEqual(clear, original);
  // The stored record is not changed.
  assert.deepEqual(stored, snapshot);
  assert.notEqual(clear, stored);
});

test('decryptFields keeps values that are not envelopes', () => {
  const clear = decryptFields({ email: 'plain@example.com', age: 7 }, sensitive, fakeCipher);
  assert.deepEqual(clear, { email: 'plain@example.com', age: 7 });
});

test('decryptFields reports a value that fails to decrypt as MLB_ERR_INTERNAL naming the field, not the value', () => {
  // An envelope of another field: the fake cipher refuses it, as AAD would.
  const moved = { notes: fakeCipher.encrypt('"top secret"', 'email') };
  assert.throws(() => decryptFields(moved, sensitive, fakeCipher), (error: unknown) => {
    assert.ok(error instanceof MicrolibError);
    assert.equal(error.code, 'MLB_ERR_INTERNAL');
    assert.equal(error.field, 'notes');
    assert.match(error.message, /"notes"/);
    assert.doesNotMatch(error.message, /top secret/);
    return true;
  });
});

test('decryptFields reports plaintext that is not JSON without quoting it', () => {
  const broken = { notes: fakeCipher.encrypt('top secret', 'notes') };
  assert.throws(() => decryptFields(broken, sensitive, fakeCipher), (error: unknown) => {
    assert.ok(error instanceof MicrolibError);
    assert.equal(error.code, 'MLB_ERR_INTERNAL');
    assert.match(error.message, /"notes"/);
    assert.doesNotMatch(error.message, /top secret/);
    assert.equal(error.cause, undefined);
    return true;
  });
});

test('lookupFilter rewrites lookup equalities to their hash field with the same canonical form', () => {
  const stored: Record<string, unknown> = { email: 'ann@example.com', age: 42 };
  encryptFields(stored, sensitive, fakeCipher);
  const filter = lookupFilter({ name: 'Ann', email: 'ann@example.com', age: 42 }, sensitive, fakeCipher);
  assert.deepEqual(filter, { name: 'Ann', email__hash: stored.email__hash, age__hash: stored.age__hash });
});

test('lookupFilter keeps null equalities, since null is stored in clear', () => {
  assert.deepEqual(lookupFilter({ email: null, notes: null }, sensitive, fakeCipher), { email: null, notes: null });
});

test('lookupFilter refuses equality on a sensitive field without lookup', () => {
  assert.throws(() => lookupFilter({ notes: 'x' }, sensitive, fakeCipher), (error: unknown) => {
    assert.ok(error instanceof MicrolibError);
    assert.equal(error.code, 'MLB_ERR_BAD_QUERY');
    assert.equal(error.field, 'notes');
    assert.match(error.message, /encrypted/);
    assert.match(error.message, /lookup: true/);
    return true;
  });
});

test('lookupFilter returns the filter unchanged when nothing is sensitive', () => {
  const filter = { name: 'Ann', n: 3 };
  assert.deepEqual(lookupFilter(filter, sensitiveFieldsOf(undefined), fakeCipher), filter);
});

/** A rotating stand-in: writes `new:` values, reads `old:` ones too, and hashes under either key. */
const rotatingCipher: FieldCipher = {
  encrypt: (plaintext, field) => `new:${field}:${plaintext}`,
  decrypt(envelope, field) {
    const match = /^(old|new):([^:]+):(.*)$/.exec(envelope);
    if (!match || match[2] !== field) throw new Error(`field "${field}" could not be decrypted`);
    return match[3]!;
  },
  isEnvelope: (value) => typeof value === 'string' && /^(old|new|lost):/.test(value),
  isCurrent: (envelope) => envelope.startsWith('new:'),
  lookupHash: (field, value) => `new-hash(${field},${value})`,
  previousLookupHash: (field, value) => `old-hash(${field},${value})`,
};

test('encryptFields writes a previous key\'s value again under the current key, with its hash, and keeps one no key opens', () => {
  const record: Record<string, unknown> = { email: 'old:email:"a@b.c"', email__hash: 'old-hash(email,"a@b.c")', notes: 'new:notes:"kept"', age: 'lost:age:1' };
  encryptFields(record, sensitive, rotatingCipher);
  assert.deepEqual(record, { email: 'new:email:"a@b.c"', email__hash: 'new-hash(email,"a@b.c")', notes: 'new:notes:"kept"', age: 'lost:age:1' });
});

test('reencryptFields rewrites only previous-key values, names them, and refuses one no key opens, naming the field', () => {
  const record: Record<string, unknown> = { name: 'n', email: 'old:email:"a@b.c"', notes: 'new:notes:"x"', age: null };
  assert.deepEqual(reencryptFields(record, sensitive, rotatingCipher), ['email']);
  assert.equal(record.email, 'new:email:"a@b.c"');
  assert.equal(record.email__hash, 'new-hash(email,"a@b.c")');
  assert.deepEqual(reencryptFields(record, sensitive, rotatingCipher), []);
  // A cipher that does not rotate keys has nothing to rewrite.
  assert.deepEqual(reencryptFields({ email: 'fake:email:x' }, sensitive, fakeCipher), []);
  assert.throws(() => reencryptFields({ notes: 'old:email:"moved"' }, sensitive, rotatingCipher), (error: unknown) => {
    assert.ok(error instanceof MicrolibError);
    assert.equal(error.code, 'MLB_ERR_INTERNAL');
    assert.equal(error.field, 'notes');
    return true;
  });
});

test('lookupFilter hashes with the function it is given (the previous key, while keys rotate)', () => {
  const previous = (field: string, value: string) => rotatingCipher.previousLookupHash!(field, value)!;
  assert.deepEqual(lookupFilter({ email: 'a@b.c', name: 'n' }, sensitive, rotatingCipher, previous), { email__hash: 'old-hash(email,"a@b.c")', name: 'n' });
});

test('lookupConditions turns = and $in on a lookup field into hash lookups and keeps other fields', () => {
  assert.deepEqual(
    lookupConditions(
      [
        { field: 'email', op: 'eq', value: 'ann@example.com' },
        { field: 'age', op: 'in', value: [41, 42] },
        { field: 'name', op: 'prefix', value: 'An' },
        { field: 'email', op: 'eq', value: null },
      ],
      sensitive,
      fakeCipher,
    ),
    [
      { field: 'email__hash', op: 'eq', value: 'hash(email,"ann@example.com")' },
      { field: 'age__hash', op: 'in', value: ['hash(age,41)', 'hash(age,42)'] },
      { field: 'name', op: 'prefix', value: 'An' },
      { field: 'email', op: 'eq', value: null },
    ],
  );
});

test('lookupConditions refuses every other operator on a sensitive field, naming field and operator', () => {
  const refused = (condition: Parameters<typeof lookupConditions>[0][number], message: RegExp) =>
    assert.throws(() => lookupConditions([condition], sensitive, fakeCipher), (error: unknown) => {
      assert.ok(error instanceof MicrolibError);
      assert.equal(error.code, 'MLB_ERR_BAD_QUERY');
      assert.equal(error.field, condition.field);
      assert.match(error.message, message);
      return true;
    });
  refused({ field: 'email', op: 'prefix', value: 'ann' }, /\$prefix on "email"/);
  refused({ field: 'age', op: 'gt', value: 40 }, /\$gt on "age"/);
  refused({ field: 'email', op: 'ne', value: 'x' }, /\$ne on "email"/);
  refused({ field: 'email', op: 'exists', value: true }, /\$exists on "email"/);
  refused({ field: 'email', op: 'in', value: ['x', null] }, /\$in with null/);
  refused({ field: 'notes', op: 'eq', value: 'x' }, /not declared with `lookup: true`/);
  refused({ field: 'notes', op: 'in', value: ['x'] }, /not declared with `lookup: true`/);
});

test('while keys rotate, = and $in on a lookup field (also inside $or) find records still hashed under the previous key', async () => {
  const { FieldProtection } = await import('./field-protection.js');
  const protection = FieldProtection.of('person', fields, rotatingCipher)!;
  const query: ListQuery = {
    filter: {},
    where: [{ field: 'email', op: 'in', value: ['a@b.c'] }],
    anyOf: [[{ field: 'email', op: 'eq', value: 'x@y.z' }], [{ field: 'name', op: 'eq', value: 'n' }]],
    sort: [],
    limit: 10,
    offset: 0,
    count: false,
  };
  const previous = protection.previousKeyQuery(query)!;
  assert.ok(previous, 'a query on a lookup field has a previous-key form');
  assert.deepEqual(previous.where, [{ field: 'email__hash', op: 'in', value: ['old-hash(email,"a@b.c")'] }]);
  assert.deepEqual(previous.anyOf, [[{ field: 'email__hash', op: 'eq', value: 'old-hash(email,"x@y.z")' }], [{ field: 'name', op: 'eq', value: 'n' }]]);
  assert.equal(protection.previousKeyQuery({ ...query, where: [], anyOf: [[{ field: 'name', op: 'eq', value: 'n' }]] }), undefined);
});
