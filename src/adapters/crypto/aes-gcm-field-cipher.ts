/**
 * The field cipher of the host: AES-256-GCM with a random IV per value and the
 * field name as associated data, plus HMAC-SHA256 lookup hashes under a
 * separate key. Keys come from a password through scrypt and HKDF.
 *
 * Envelope: `enc:v1:<iv>:<ciphertext>:<tag>`, each part base64url.
 *
 * @packageDocumentation
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, scryptSync, type KeyObject } from 'node:crypto';
import type { FieldCipher } from '../../domain/sensitive-fields.js';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'enc:v1:';
// 12 bytes are 16 base64url characters and 16 bytes are 22, without padding.
const ENVELOPE = /^enc:v1:([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]*):([A-Za-z0-9_-]{22})$/;

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

function secretKey(key: Buffer, name: string): KeyObject {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) throw new Error(`${name} must be ${KEY_BYTES} bytes`);
  // A KeyObject holds its own copy, so the caller may wipe or reuse the buffer.
  return createSecretKey(key);
}

/**
 * Creates the AES-256-GCM field cipher. Decryption fails with an Error naming the
 * field (never the value) on a malformed envelope, a wrong key, a wrong field or
 * an altered value.
 */
export function createAesGcmFieldCipher(keys: FieldKeys): FieldCipher {
  const encryptionKey = secretKey(keys.encryptionKey, 'encryptionKey');
  const hashKey = secretKey(keys.hashKey, 'hashKey');

  return {
    encrypt(plaintext, field) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, encryptionKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(field, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return `${PREFIX}${iv.toString('base64url')}:${ciphertext.toString('base64url')}:${tag.toString('base64url')}`;
    },

    decrypt(envelope, field) {
      const parts = typeof envelope === 'string' ? ENVELOPE.exec(envelope) : null;
      if (!parts) throw new Error(`field "${field}" does not hold an encrypted value`);
      try {
        const decipher = createDecipheriv(ALGORITHM, encryptionKey, Buffer.from(parts[1]!, 'base64url'), { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(field, 'utf8'));
        decipher.setAuthTag(Buffer.from(parts[3]!, 'base64url'));
        const plaintext = Buffer.concat([decipher.update(Buffer.from(parts[2]!, 'base64url')), decipher.final()]);
        return plaintext.toString('utf8');
      } catch {
        // GCM cannot tell these apart; the original error carries nothing more useful.
        throw new Error(`field "${field}" could not be decrypted: wrong key, value of another field, or altered value`);
      }
    },

    isEnvelope(value) {
      return typeof value === 'string' && ENVELOPE.test(value);
    },

    lookupHash(field, value) {
      // Field names are plain identifiers, so the NUL separator keeps (field, value) pairs distinct.
      return createHmac('sha256', hashKey).update(`${field}\0${value}`, 'utf8').digest('base64url');
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
  const master = scryptSync(password.normalize('NFC'), salt, KEY_BYTES, SCRYPT);
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, KEY_BYTES));
  const keys = { encryptionKey: derive(ENCRYPTION_INFO), hashKey: derive(LOOKUP_INFO) };
  master.fill(0);
  return keys;
}
