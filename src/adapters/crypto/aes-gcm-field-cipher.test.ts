import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decryptFields, encryptFields, sensitiveFieldsOf } from '../../domain/sensitive-fields.js';
import { MicrolibError } from '../../domain/errors.js';
import { createAesGcmFieldCipher, deriveFieldKeys } from './aes-gcm-field-cipher.js';

const newKeys = () => ({ encryptionKey: randomBytes(32), hashKey: randomBytes(32) });
const cipher = createAesGcmFieldCipher(newKeys());
const ENVELOPE = /^enc:v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]*:[A-Za-z0-9_-]{22}$/;

/** Replaces part `index` (0: iv, 1: ciphertext, 2: tag) of an envelope with a value differing in its first byte. */
function tamper(envelope: string, index: number): string {
  const parts = envelope.slice('enc:v1:'.length).split(':');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return `enc:v1:${parts.join(':')}`;
}

test('strings, numbers, booleans and objects round-trip through encryptFields and decryptFields', () => {
  const sensitive = sensitiveFieldsOf({
    email: { type: 'string', sensitive: true, lookup: true },
    balance: { type: 'number', sensitive: true },
    active: { type: 'boolean', sensitive: true },
    address: { type: 'object', sensitive: true },
    tags: { type: 'array', sensitive: true },
  });
  const original = {
    id: 'r1',
    email: 'ænn+tag@example.com',
    balance: -12.5,
    active: false,
    address: { street: 'Storgata 1', city: 'Oslo', zip: null },
    tags: ['a', 2, { b: true }],
  };
  const stored: Record<string, unknown> = structuredClone(original);
  encryptFields(stored, sensitive, cipher);
  for (const name of sensitive.names) {
    assert.match(stored[name] as string, ENVELOPE, name);
    assert.equal(cipher.isEnvelope(stored[name]), true);
  }
  assert.doesNotMatch(JSON.stringify(stored), /ænn|Storgata|Oslo/);
  assert.equal(stored.email__hash, cipher.lookupHash('email', JSON.stringify(original.email)));
  assert.deepEqual(decryptFields(stored, sensitive, cipher), original);
});

test('two encryptions of the same value differ and both decrypt', () => {
  const first = cipher.encrypt('"same"', 'email');
  const second = cipher.encrypt('"same"', 'email');
  assert.notEqual(first, second);
  // Distinct IVs, not just distinct encodings.
  assert.notEqual(first.split(':')[2], second.split(':')[2]);
  assert.equal(cipher.decrypt(first, 'email'), '"same"');
  assert.equal(cipher.decrypt(second, 'email'), '"same"');
});

test('the empty string round-trips', () => {
  const envelope = cipher.encrypt('', 'note');
  assert.equal(cipher.isEnvelope(envelope), true);
  assert.equal(cipher.decrypt(envelope, 'note'), '');
});

test('an altered iv, ciphertext or tag fails, naming the field and not the value', () => {
  const envelope = cipher.encrypt('"card 4111111111111111"', 'card');
  for (const index of [0, 1, 2]) {
    const altered = tamper(envelope, index);
    assert.notEqual(altered, envelope);
    assert.equal(cipher.isEnvelope(altered), true);
    assert.throws(() => cipher.decrypt(altered, 'card'), (error: Error) => {
      assert.match(error.message, /"card"/);
      assert.doesNotMatch(error.message, /4111/);
      return true;
    });
  }
});

test('a ciphertext moved to another field fails (the field is associated data)', () => {
  const envelope = cipher.encrypt('"secret"', 'email');
  assert.throws(() => cipher.decrypt(envelope, 'notes'), /"notes" could not be decrypted/);
  const sensitive = sensitiveFieldsOf({ email: { type: 'string', sensitive: true }, notes: { type: 'string', sensitive: true } });
  assert.throws(() => decryptFields({ notes: envelope }, sensitive, cipher), (error: unknown) => {
    assert.ok(error instanceof MicrolibError);
    assert.equal(error.code, 'MLB_ERR_INTERNAL');
    assert.equal(error.field, 'notes');
    return true;
  });
});

test('another encryption key fails', () => {
  const keys = newKeys();
  const other = createAesGcmFieldCipher({ encryptionKey: randomBytes(32), hashKey: keys.hashKey });
  const envelope = createAesGcmFieldCipher(keys).encrypt('"secret"', 'email');
  assert.throws(() => other.decrypt(envelope, 'email'), /"email" could not be decrypted/);
});

test('malformed envelopes are not envelopes and fail to decrypt, naming the field', () => {
  const valid = cipher.encrypt('"x"', 'f');
  const malformed = [
    'plain text',
    'enc:v1:',
    valid.replace('enc:v1:', 'enc:v2:'),
    `${valid}:extra`,
    valid.slice(0, -1),
    valid.replace(/:[^:]*$/, ':!!!!!!!!!!!!!!!!!!!!!!'),
  ];
  for (const value of malformed) {
    assert.equal(cipher.isEnvelope(value), false, value);
    assert.throws(() => cipher.decrypt(value, 'f'), /field "f"/);
  }
  for (const value of [undefined, null, 42, {}, ['enc:v1:']]) assert.equal(cipher.isEnvelope(value), false);
});

test('lookupHash is stable for one key and differs across keys, fields and values', () => {
  const keys = newKeys();
  const a = createAesGcmFieldCipher(keys);
  const sameKeys = createAesGcmFieldCipher({ encryptionKey: randomBytes(32), hashKey: Buffer.from(keys.hashKey) });
  const otherKeys = createAesGcmFieldCipher(newKeys());
  const hash = a.lookupHash('email', '"ann@example.com"');
  assert.match(hash, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(a.lookupHash('email', '"ann@example.com"'), hash);
  assert.equal(sameKeys.lookupHash('email', '"ann@example.com"'), hash);
  assert.notEqual(otherKeys.lookupHash('email', '"ann@example.com"'), hash);
  assert.notEqual(a.lookupHash('login', '"ann@example.com"'), hash);
  assert.notEqual(a.lookupHash('email', '"bob@example.com"'), hash);
});

test('the cipher keeps its own copy of the keys', () => {
  const keys = newKeys();
  const c = createAesGcmFieldCipher(keys);
  const envelope = c.encrypt('"x"', 'f');
  const hash = c.lookupHash('f', 'x');
  keys.encryptionKey.fill(0);
  keys.hashKey.fill(0);
  assert.equal(c.decrypt(envelope, 'f'), '"x"');
  assert.equal(c.lookupHash('f', 'x'), hash);
});

test('keys of the wrong length are refused', () => {
  assert.throws(() => createAesGcmFieldCipher({ encryptionKey: randomBytes(16), hashKey: randomBytes(32) }), /encryptionKey must be 32 bytes/);
  assert.throws(() => createAesGcmFieldCipher({ encryptionKey: randomBytes(32), hashKey: randomBytes(31) }), /hashKey must be 32 bytes/);
});

test('deriveFieldKeys is deterministic per password and salt, with two distinct keys', () => {
  const salt = randomBytes(16);
  const keys = deriveFieldKeys('correct horse battery', salt);
  assert.equal(keys.encryptionKey.length, 32);
  assert.equal(keys.hashKey.length, 32);
  assert.notDeepEqual(keys.encryptionKey, keys.hashKey);
  assert.deepEqual(deriveFieldKeys('correct horse battery', Buffer.from(salt)), keys);
  assert.notDeepEqual(deriveFieldKeys('correct horse batterz', salt).encryptionKey, keys.encryptionKey);
  assert.notDeepEqual(deriveFieldKeys('correct horse battery', randomBytes(16)).encryptionKey, keys.encryptionKey);
  // A cipher from the same derivation reads what the first one wrote.
  const envelope = createAesGcmFieldCipher(keys).encrypt('"x"', 'f');
  assert.equal(createAesGcmFieldCipher(deriveFieldKeys('correct horse battery', salt)).decrypt(envelope, 'f'), '"x"');
});

test('deriveFieldKeys refuses a short salt', () => {
  assert.throws(() => deriveFieldKeys('correct horse battery', randomBytes(8)), /salt must be at least 16 bytes/);
});
