/**
 * Builds the host's field cipher from ENCRYPTION_PWD and the files kept beside
 * the data: the scrypt salt, a generated key when no password is set, and a
 * verifier that refuses a changed password at startup, before any data would
 * become unreadable.
 *
 * @packageDocumentation
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { FieldCipher } from '../../domain/sensitive-fields.js';
import { createAesGcmFieldCipher, deriveFieldKeys } from './aes-gcm-field-cipher.js';

/** Shortest ENCRYPTION_PWD accepted. */
export const MIN_PASSWORD_LENGTH = 12;

const SALT_FILE = 'encryption.salt';
const KEY_FILE = 'encryption.key';
const CHECK_FILE = 'encryption.check';
const CHECK_TEXT = 'microlib encryption check v1';

/** Options of {@link loadFieldCipher}. */
export interface FieldCipherOptions {
  /** ENCRYPTION_PWD; undefined or empty uses a key generated in `dataDir`. */
  password: string | undefined;
  /** Where the salt, generated key and verifier are kept (created if missing). */
  dataDir: string;
  /** Receives the warning given when no password is set. */
  warn(message: string): void;
}

function hexOf(bytes: number): RegExp {
  return new RegExp(`^[0-9a-f]{${bytes * 2}}$`);
}

/** Errors of fs calls carry a code; anything else is rethrown as is. */
function hasCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}

async function readHex(file: string, bytes: number): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  // Never quote the content: it may be a key.
  if (!hexOf(bytes).test(text)) throw new Error(`${file} is damaged: it must hold ${bytes * 2} hexadecimal digits`);
  return text;
}

/**
 * Creates `file` holding `content`, unless it exists. The content is written to a
 * private temporary file first and published with link(), which fails if the name
 * is taken: a reader never sees a half-written file, and when two processes race
 * exactly one wins. Resolves with the content now in `file`.
 */
async function createOnce(file: string, content: string, bytes: number): Promise<string> {
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${content}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, file);
    await syncDirectory(path.dirname(file));
    return content;
  } catch (error) {
    if (!hasCode(error, 'EEXIST')) throw error;
    // Lost the race: the winner's file is complete, since link() published it whole.
    const existing = await readHex(file, bytes);
    if (existing === undefined) throw new Error(`${file} disappeared while it was being created`);
    return existing;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** Makes the new name durable; best effort, as some platforms cannot open a directory. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file's own content is already synced; losing the name on a crash only means it is created again.
  }
}

async function readOrCreate(file: string, bytes: number, create: () => string): Promise<string> {
  return (await readHex(file, bytes)) ?? createOnce(file, create(), bytes);
}

/**
 * Builds the field cipher for the data in `dataDir`. Throws when the password is
 * shorter than {@link MIN_PASSWORD_LENGTH}, when a key file is damaged, or when
 * the password differs from the one the data was first encrypted with. Without a
 * password, a generated key (kept in `dataDir/encryption.key`) is used and `warn`
 * is called.
 */
export async function loadFieldCipher(options: FieldCipherOptions): Promise<FieldCipher> {
  const { dataDir, warn } = options;
  const given = options.password !== undefined && options.password !== '';
  if (given && options.password!.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`ENCRYPTION_PWD must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  await mkdir(dataDir, { recursive: true });

  const salt = Buffer.from(await readOrCreate(path.join(dataDir, SALT_FILE), 16, () => randomBytes(16).toString('hex')), 'hex');

  let password: string;
  const keyFile = path.join(dataDir, KEY_FILE);
  if (given) {
    password = options.password!;
  } else {
    password = await readOrCreate(keyFile, 32, () => randomBytes(32).toString('hex'));
    warn(
      `ENCRYPTION_PWD is not set; sensitive fields use the generated key in ${keyFile}. ` +
        'Set ENCRYPTION_PWD in production and keep it: data encrypted with one key cannot be read with another',
    );
  }

  const keys = deriveFieldKeys(password, salt);
  const check = createHmac('sha256', keys.hashKey).update(CHECK_TEXT, 'utf8').digest('hex');
  const stored = await readOrCreate(path.join(dataDir, CHECK_FILE), 32, () => check);
  if (!timingSafeEqual(Buffer.from(stored, 'hex'), Buffer.from(check, 'hex'))) {
    throw new Error(
      given
        ? `ENCRYPTION_PWD does not match the key the data in ${dataDir} was encrypted with`
        : `ENCRYPTION_PWD is not set, and the generated key in ${keyFile} does not match the key the data in ${dataDir} was encrypted with; set ENCRYPTION_PWD to the password used before`,
    );
  }
  const cipher = createAesGcmFieldCipher(keys);
  // The cipher holds its own copies of the keys.
  keys.encryptionKey.fill(0);
  keys.hashKey.fill(0);
  return cipher;
}
