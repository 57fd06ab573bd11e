/**
 * The field cipher of the host: AES-256-GCM with a random IV per value and the
 * field name as associated data, plus HMAC-SHA256 lookup hashes under a
 * separate key. Keys come from a password through scrypt and HKDF.
 *
 * Envelope: `enc:v2:<key id>:<iv>:<ciphertext>:<tag>`, each part base64url. The
 * key id names the key a value was written with, so while keys rotate a value
 * is read with the key it names. Envelopes written before key ids existed,
 * `enc:v1:<iv>:<ciphertext>:<tag>`, are still read (with whichever key opens them).
 *
 * @packageDocumentation
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, scrypt, scryptSync, type KeyObject } from 'node:crypto';
import type { FieldCipher } from '../../domain/sensitive-fields.js';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'enc:v2:';
// 12 bytes are 16 base64url characters, 16 bytes are 22 and 6 bytes (the key id) are 8, without padding.
const ENVELOPE_V2 = /^enc:v2:([A-Za-z0-9_-]{8}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]*):([A-Za-z0-9_-]{22})$/;
const ENVELOPE_V1 = /^enc:v1:([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]*):([A-Za-z0-9_-]{22})$/;
const KEY_ID_BYTES = 6;
const KEY_ID_INFO = 'microlib field key id v1';

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const MIN_SALT_BYTES = 16;
const ENCRYPTION_INFO = 'microlib field encryption v1';
const LOOKUP_INFO = 'microlib field lookup v1';

/** The two keys of a field cipher, 32 bytes each. */
export interface FieldKeys {
  /** AES-256-GCM key of the values. */
  encryptionKey: Buffer;
  /** HMAC-SHA256 key of the lookup hashes. */
  hashKey: Buffer;
}

/** The AES-GCM field cipher, with the id of the key it writes with. */
export interface AesGcmFieldCipher extends FieldCipher {
  /** Id of the key new values are written with (8 base64url characters). */
  readonly keyId: string;
  /** Id of the previous key it still reads, while keys rotate. */
  readonly previousKeyId: string | undefined;
}

interface KeySlot {
  id: string;
  encryptionKey: KeyObject;
  hashKey: KeyObject;
}

function secretKey(key: Buffer, name: string): KeyObject {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) throw new Error(`${name} must be ${KEY_BYTES} bytes`);
  // A KeyObject holds its own copy, so the caller may wipe or reuse the buffer.
  return createSecretKey(key);
}

/**
 * The id of a key, written into each envelope: derived from the key through
 * HKDF, so it names the key without revealing anything of it.
 */
export function fieldKeyId(keys: FieldKeys): string {
  secretKey(keys.encryptionKey, 'encryptionKey');
  return Buffer.from(hkdfSync('sha256', keys.encryptionKey, Buffer.alloc(0), KEY_ID_INFO, KEY_ID_BYTES)).toString('base64url');
}

function slotOf(keys: FieldKeys): KeySlot {
  return { id: fieldKeyId(keys), encryptionKey: secretKey(keys.encryptionKey, 'encryptionKey'), hashKey: secretKey(keys.hashKey, 'hashKey') };
}

function open(slot: KeySlot, iv: string, ciphertext: string, tag: string, field: string): string {
  const decipher = createDecipheriv(ALGORITHM, slot.encryptionKey, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(field, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}

function hmac(key: KeyObject, field: string, value: string): string {
  // Field names are plain identifiers, so the NUL separator keeps (field, value) pairs distinct.
  return createHmac('sha256', key).update(`${field}\0${value}`, 'utf8').digest('base64url');
}

/**
 * Creates the AES-256-GCM field cipher. It writes with `keys`, and reads values
 * written with `keys` or, while keys rotate, with `previous`. Decryption fails
 * with an Error naming the field (never the value) on a malformed envelope, a
 * key it does not hold, a wrong field or an altered value.
 */
export function createAesGcmFieldCipher(keys: FieldKeys, previous?: FieldKeys): AesGcmFieldCipher {
  const current = slotOf(keys);
  const old = previous === undefined ? undefined : slotOf(previous);
  if (old?.id === current.id) throw new Error('the previous key is the current key');
  const failed = (field: string) => new Error(`field "${field}" could not be decrypted: wrong key, value of another field, or altered value`);

  return {
    keyId: current.id,
    previousKeyId: old?.id,

    encrypt(plaintext, field) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, current.encryptionKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(field, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return `${PREFIX}${current.id}:${iv.toString('base64url')}:${ciphertext.toString('base64url')}:${tag.toString('base64url')}`;
    },

    decrypt(envelope, field) {
      const v2 = typeof envelope === 'string' ? ENVELOPE_V2.exec(envelope) : null;
      if (v2) {
        const slot = v2[1] === current.id ? current : v2[1] === old?.id ? old : undefined;
        if (!slot) throw new Error(`field "${field}" was encrypted with key ${v2[1]!}, which this host does not hold (its key is ${current.id})`);
        try {
          return open(slot, v2[2]!, v2[3]!, v2[4]!, field);
        } catch {
          // GCM cannot tell these apart; the original error carries nothing more useful.
          throw failed(field);
        }
      }
      const v1 = typeof envelope === 'string' ? ENVELOPE_V1.exec(envelope) : null;
      if (!v1) throw new Error(`field "${field}" does not hold an encrypted value`);
      // No key id: the tag tells which key wrote it.
      for (const slot of old ? [current, old] : [current]) {
        try {
          return open(slot, v1[1]!, v1[2]!, v1[3]!, field);
        } catch {
          // next key
        }
      }
      throw failed(field);
    },

    isEnvelope(value) {
      return typeof value === 'string' && (ENVELOPE_V2.test(value) || ENVELOPE_V1.test(value));
    },

    isCurrent(envelope) {
      const v2 = ENVELOPE_V2.exec(envelope);
      // A v1 value is the current key's unless keys rotate; then it is written again (as v2) to be sure.
      return v2 ? v2[1] === current.id : old === undefined && ENVELOPE_V1.test(envelope);
    },

    lookupHash(field, value) {
      return hmac(current.hashKey, field, value);
    },

    previousLookupHash(field, value) {
      return old === undefined ? undefined : hmac(old.hashKey, field, value);
    },
  };
}

/**
 * Derives the two field keys from a password: scrypt (N=2^15, r=8, p=1) to a
 * 32-byte master key, then HKDF-SHA256 with a distinct info string per key.
 * Takes about 100 ms and 32 MiB, on purpose; call it once at startup.
 */
export function deriveFieldKeys(password: string, salt: Buffer): FieldKeys {
  if (salt.length < MIN_SALT_BYTES) throw new Error(`the encryption salt must be at least ${MIN_SALT_BYTES} bytes`);
  // NFC, so the same password typed on different systems gives the same key.
  return keysFrom(scryptSync(password.normalize('NFC'), salt, KEY_BYTES, SCRYPT));
}

/** {@link deriveFieldKeys} on libuv's thread pool: the ~100 ms of scrypt leave the event loop free (a function's start loads its remotes meanwhile). */
export async function deriveFieldKeysAsync(password: string, salt: Buffer): Promise<FieldKeys> {
  if (salt.length < MIN_SALT_BYTES) throw new Error(`the encryption salt must be at least ${MIN_SALT_BYTES} bytes`);
  const master = await new Promise<Buffer>((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, SCRYPT, (error, key) => (error ? reject(error) : resolve(key))));
  return keysFrom(master);
}

function keysFrom(master: Buffer): FieldKeys {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, KEY_BYTES));
  const keys = { encryptionKey: derive(ENCRYPTION_INFO), hashKey: derive(LOOKUP_INFO) };
  master.fill(0);
  return keys;
}
