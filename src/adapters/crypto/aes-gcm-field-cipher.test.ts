import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { decryptFields, encryptFields, sensitiveFieldsOf } from '../../domain/sensitive-fields.js';
import { MicrolibError } from '../../domain/errors.js';
import { createAesGcmFieldCipher, deriveFieldKeys, fieldKeyId } from './aes-gcm-field-cipher.js';

const newKeys = () => ({ encryptionKey: randomBytes(32), hashKey: randomBytes(32) });
const cipher = createAesGcmFieldCipher(newKeys());
const ENVELOPE = /^enc:v2:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]*:[A-Za-z0-9_-]{22}$/;

/** Replaces part `index` (0: iv, 1: ciphertext, 2: tag) of an envelope with a value differing in its first byte. */
function tamper(envelope: string, index: number): string {
  const [keyId, ...parts] = envelope.slice('enc:v2:'.length).split(':');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return `enc:v2:${keyId!}:${parts.join(':')}`;
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
  assert.notEqual(first.split(':')[3], second.split(':')[3]);
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
  assert.throws(() => other.decrypt(envelope, 'email'), /"email" was encrypted with key [A-Za-z0-9_-]{8}, which this host does not hold/);
  // An envelope naming the other cipher's key id still fails: the id only picks the key, the tag decides.
  const relabelled = envelope.replace(/^enc:v2:[^:]*:/, `enc:v2:${other.keyId}:`);
  assert.throws(() => other.decrypt(relabelled, 'email'), /"email" could not be decrypted/);
});

/** An envelope in the format written before key ids (`enc:v1:<iv>:<ciphertext>:<tag>`). */
function v1Envelope(keys: { encryptionKey: Buffer }, plaintext: string, field: string): string {
  const iv = randomBytes(12);
  const gcm = createCipheriv('aes-256-gcm', keys.encryptionKey, iv, { authTagLength: 16 });
  gcm.setAAD(Buffer.from(field, 'utf8'));
  const ciphertext = Buffer.concat([gcm.update(plaintext, 'utf8'), gcm.final()]);
  return `enc:v1:${iv.toString('base64url')}:${ciphertext.toString('base64url')}:${gcm.getAuthTag().toString('base64url')}`;
}

test('envelopes name their key: the id is stable per key and differs across keys', () => {
  const keys = newKeys();
  const c = createAesGcmFieldCipher(keys);
  assert.match(c.keyId, /^[A-Za-z0-9_-]{8}$/);
  assert.equal(c.keyId, fieldKeyId(keys));
  assert.equal(createAesGcmFieldCipher({ encryptionKey: Buffer.from(keys.encryptionKey), hashKey: randomBytes(32) }).keyId, c.keyId);
  assert.notEqual(createAesGcmFieldCipher(newKeys()).keyId, c.keyId);
  assert.equal(c.encrypt('"x"', 'f').split(':')[2], c.keyId);
  assert.equal(c.previousKeyId, undefined);
});

test('values written before key ids (enc:v1) are still read, and count as current while no key rotates', () => {
  const keys = newKeys();
  const c = createAesGcmFieldCipher(keys);
  const old = v1Envelope(keys, '"kept"', 'note');
  assert.equal(c.isEnvelope(old), true);
  assert.equal(c.decrypt(old, 'note'), '"kept"');
  assert.equal(c.isCurrent!(old), true);
  assert.throws(() => c.decrypt(old, 'other'), /"other" could not be decrypted/);
  assert.throws(() => createAesGcmFieldCipher(newKeys()).decrypt(old, 'note'), /"note" could not be decrypted/);
});

test('while keys rotate, values of both keys are read, new values use the new key, and previous-key values are not current', () => {
  const oldKeys = newKeys();
  const newKeysOfRotation = newKeys();
  const before = createAesGcmFieldCipher(oldKeys);
  const rotating = createAesGcmFieldCipher(newKeysOfRotation, oldKeys);
  assert.equal(rotating.keyId, fieldKeyId(newKeysOfRotation));
  assert.equal(rotating.previousKeyId, before.keyId);

  const written = rotating.encrypt('"new"', 'email');
  assert.equal(written.split(':')[2], rotating.keyId);
  assert.equal(rotating.isCurrent!(written), true);
  assert.equal(rotating.decrypt(written, 'email'), '"new"');

  const previous = before.encrypt('"old"', 'email');
  assert.equal(rotating.isCurrent!(previous), false);
  assert.equal(rotating.decrypt(previous, 'email'), '"old"');

  // v1 values: either key opens them; they are written again to be sure.
  for (const keys of [oldKeys, newKeysOfRotation]) {
    const old = v1Envelope(keys, '"v1"', 'email');
    assert.equal(rotating.decrypt(old, 'email'), '"v1"');
    assert.equal(rotating.isCurrent!(old), false);
  }
  // After the rotation, the new key alone reads what was written under it, not the previous key's values.
  const after = createAesGcmFieldCipher(newKeysOfRotation);
  assert.equal(after.decrypt(written, 'email'), '"new"');
  assert.throws(() => after.decrypt(previous, 'email'), /which this host does not hold/);
});

test("lookup hashes use the new key; the previous key's hash is there while keys rotate", () => {
  const oldKeys = newKeys();
  const rotating = createAesGcmFieldCipher(newKeys(), oldKeys);
  const before = createAesGcmFieldCipher(oldKeys);
  assert.equal(rotating.previousLookupHash!('email', '"a@b.c"'), before.lookupHash('email', '"a@b.c"'));
  assert.notEqual(rotating.lookupHash('email', '"a@b.c"'), before.lookupHash('email', '"a@b.c"'));
  assert.equal(before.previousLookupHash!('email', '"a@b.c"'), undefined);
});

test('a previous key equal to the current one is refused', () => {
  const keys = newKeys();
  assert.throws(() => createAesGcmFieldCipher(keys, { encryptionKey: Buffer.from(keys.encryptionKey), hashKey: Buffer.from(keys.hashKey) }), /the previous key is the current key/);
});

test('malformed envelopes are not envelopes and fail to decrypt, naming the field', () => {
  const valid = cipher.encrypt('"x"', 'f');
  const malformed = [
    'plain text',
    'enc:v2:',
    'enc:v1:',
    valid.replace('enc:v2:', 'enc:v3:'),
    valid.replace('enc:v2:', 'enc:v1:'),
    valid.replace(/^enc:v2:[^:]*:/, 'enc:v2:short:'),
    `${valid}:extra`,
    valid.slice(0, -1),
    valid.replace(/:[^:]*$/, ':!!!!!!!!!!!!!!!!!!!!!!'),
  ];
  for (const value of malformed) {
    assert.equal(cipher.isEnvelope(value), false, value);
    assert.throws(() => cipher.decrypt(value, 'f'), /field "f"/);
  }
  for (const value of [undefined, null, 42, {}, ['enc:v2:']]) assert.equal(cipher.isEnvelope(value), false);
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
