/**
 * Builds the host's field cipher from ENCRYPTION_PWD and the files kept beside
 * the data: the scrypt salt, a generated key when no password is set, and a
 * verifier that refuses a changed password at startup, before any data would
 * become unreadable.
 *
 * A key rotates when ENCRYPTION_PWD is the new password and
 * ENCRYPTION_PWD_PREVIOUS the one the data was encrypted with: the cipher then
 * reads both keys and writes the new one, and the verifier names the old key
 * until the host has re-encrypted every record (`finish` of the rotation).
 *
 * @packageDocumentation
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { createAesGcmFieldCipher, deriveFieldKeysAsync, fieldKeyId, type AesGcmFieldCipher, type FieldKeys } from './aes-gcm-field-cipher.js';
import { readRotationState, replaceFile, syncDirectory, writeRotationState, type RotationState } from './rotation-state.js';

/** Shortest ENCRYPTION_PWD accepted. */
export const MIN_PASSWORD_LENGTH = 12;

const SALT_FILE = 'encryption.salt';
const KEY_FILE = 'encryption.key';
const CHECK_FILE = 'encryption.check';
const CHECK_TEXT = 'microlib encryption check v1';

/** A key that does not open the data, or a rotation that cannot go on: the host refuses to start, with this message. */
export class FieldKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldKeyError';
  }
}

/** Options of {@link loadFieldCipher}. */
export interface FieldCipherOptions {
  /** ENCRYPTION_PWD; undefined or empty uses a key generated in `dataDir`. */
  password: string | undefined;
  /** ENCRYPTION_PWD_PREVIOUS: the password the data was encrypted with, while it is re-encrypted under `password`. */
  previousPassword?: string | undefined;
  /** Where the salt, generated key and verifier are kept (created if missing). */
  dataDir: string;
  /**
   * ENCRYPTION_SALT (32 hex digits): the salt to derive keys with, instead of the one kept in
   * `dataDir`. Processes that share data but not a data folder (function instances) need the
   * same salt to derive the same key.
   */
  salt?: string | undefined;
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

async function readOrCreate(file: string, bytes: number, create: () => string): Promise<string> {
  return (await readHex(file, bytes)) ?? createOnce(file, create(), bytes);
}

/** A re-encryption under a new key, under way (or finished, while ENCRYPTION_PWD_PREVIOUS is still set). */
export interface KeyRotation {
  /** Id of the previous key, and of the new one. */
  readonly from: string;
  readonly to: string;
  /** The progress recorded in the data folder; {@link KeyRotation.save} writes it back. */
  readonly state: RotationState;
  save(): Promise<void>;
  /** Records the rotation as finished and switches the verifier to the new key: a start with ENCRYPTION_PWD alone works from then on. */
  finish(): Promise<void>;
}

/** What {@link loadFieldKeys} gives: the cipher, and the rotation when one is under way. */
export interface LoadedFieldKeys {
  cipher: AesGcmFieldCipher;
  rotation: KeyRotation | undefined;
}

/** The given salt (kept in `dataDir` too, and refused when that holds another), or the one `dataDir` keeps. */
async function saltOf(dataDir: string, given: string | undefined): Promise<string> {
  const file = path.join(dataDir, SALT_FILE);
  if (!isSet(given)) return readOrCreate(file, 16, () => randomBytes(16).toString('hex'));
  const kept = await readOrCreate(file, 16, () => given.toLowerCase());
  if (kept !== given.toLowerCase()) {
    throw new FieldKeyError(`ENCRYPTION_SALT differs from the salt this data folder's records were encrypted with (${file}): set ENCRYPTION_SALT to that file's content`);
  }
  return kept;
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function checkOf(keys: FieldKeys): string {
  return createHmac('sha256', keys.hashKey).update(CHECK_TEXT, 'utf8').digest('hex');
}

function sameCheck(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

function wipe(keys: FieldKeys | undefined): void {
  keys?.encryptionKey.fill(0);
  keys?.hashKey.fill(0);
}

/**
 * Builds the field cipher for the data in `dataDir`. Throws when the password is
 * shorter than {@link MIN_PASSWORD_LENGTH}, when a key file is damaged, or when
 * the password differs from the one the data was first encrypted with. Without a
 * password, a generated key (kept in `dataDir/encryption.key`) is used and `warn`
 * is called.
 */
export async function loadFieldCipher(options: FieldCipherOptions): Promise<AesGcmFieldCipher> {
  return (await loadFieldKeys(options)).cipher;
}

/**
 * As {@link loadFieldCipher}, with key rotation: with `previousPassword`, the
 * data must be under that password's key (a rotation starts or resumes) or, once
 * a rotation from it finished, under `password`'s. Throws a {@link FieldKeyError}
 * naming the variable to fix otherwise.
 */
export async function loadFieldKeys(options: FieldCipherOptions): Promise<LoadedFieldKeys> {
  const { dataDir, warn } = options;
  const given = isSet(options.password);
  const previousGiven = isSet(options.previousPassword);
  if (given && options.password!.length < MIN_PASSWORD_LENGTH) {
    throw new FieldKeyError(`ENCRYPTION_PWD must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (previousGiven && !given) {
    throw new FieldKeyError('ENCRYPTION_PWD_PREVIOUS is set without ENCRYPTION_PWD: a key rotates to a password; set ENCRYPTION_PWD to the new one');
  }
  if (previousGiven && options.previousPassword === options.password) {
    throw new FieldKeyError('ENCRYPTION_PWD_PREVIOUS is the same as ENCRYPTION_PWD: set ENCRYPTION_PWD to the new password, or remove ENCRYPTION_PWD_PREVIOUS');
  }
  // With both given, scrypt (~100 ms on the thread pool) runs beside the data folder's checks instead of after them: a function's cold start waits for it.
  const early = given && isSet(options.salt) && hexOf(16).test(options.salt.toLowerCase()) ? deriveFieldKeysAsync(options.password!, Buffer.from(options.salt, 'hex')) : undefined;
  // Handled here too: it may fail before it is awaited below.
  early?.catch(() => undefined);
  let salt: Buffer;
  try {
    await mkdir(dataDir, { recursive: true });
    salt = Buffer.from(await saltOf(dataDir, options.salt), 'hex');
  } catch (error) {
    void early?.then(wipe, () => undefined);
    throw error;
  }

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

  // `early` used the salt saltOf has just confirmed.
  const [keys, previousKeys] = await Promise.all([early ?? deriveFieldKeysAsync(password, salt), previousGiven ? deriveFieldKeysAsync(options.previousPassword!, salt) : undefined]);
  let previous = previousKeys;
  try {
    const check = checkOf(keys);
    const checkFile = path.join(dataDir, CHECK_FILE);
    let created = false;
    const stored = await readOrCreate(checkFile, 32, () => {
      created = true;
      return check;
    });
    const id = fieldKeyId(keys);
    const state = previous ? await readRotationState(dataDir).catch((error: unknown) => Promise.reject(new FieldKeyError((error as Error).message))) : undefined;
    let rotation: KeyRotation | undefined;
    if (sameCheck(stored, check)) {
      const previousId = previous ? fieldKeyId(previous) : undefined;
      if (previous && state !== undefined && state.from === previousId && state.to === id) {
        // Re-encrypted already (or its finish was cut short): the previous key is read until the rotation says it is done.
        rotation = rotationOf(dataDir, checkFile, check, state);
      } else if (previous && created) {
        warn(`ENCRYPTION_PWD_PREVIOUS is set, but no data in ${dataDir} was encrypted before; it is not used`);
      } else if (previous) {
        throw new FieldKeyError(
          `ENCRYPTION_PWD_PREVIOUS does not match the key the data in ${dataDir} was encrypted with before: that data is under ENCRYPTION_PWD already; remove ENCRYPTION_PWD_PREVIOUS`,
        );
      }
    } else if (previous && sameCheck(stored, checkOf(previous))) {
      rotation = await startOrResume(dataDir, checkFile, check, fieldKeyId(previous), id, state);
    } else {
      throw new FieldKeyError(await mismatch(dataDir, id, given, previousGiven, keyFile));
    }
    if (!rotation) {
      wipe(previous);
      previous = undefined;
    }
    return { cipher: createAesGcmFieldCipher(keys, previous), rotation };
  } finally {
    // The cipher holds its own copies of the keys.
    wipe(keys);
    wipe(previous);
  }
}

/** The rotation from `from` to `to`: resumed when the data folder records it, else started now (replacing a finished one). */
async function startOrResume(dataDir: string, checkFile: string, check: string, from: string, to: string, state: RotationState | undefined): Promise<KeyRotation> {
  if (state && state.from === from && state.to !== to && state.finishedAt === undefined) {
    // Some records may be under that other key already, which this host could not read.
    throw new FieldKeyError(
      `a re-encryption from ENCRYPTION_PWD_PREVIOUS to another password (key ${state.to}) has not finished in ${dataDir}: ` +
        'start with that password as ENCRYPTION_PWD until the host logs that re-encryption is done, then rotate again',
    );
  }
  if (state?.from === from && state.to === to) return rotationOf(dataDir, checkFile, check, state);
  const fresh: RotationState = { from, to, startedAt: new Date().toISOString(), models: new Map() };
  await writeRotationState(dataDir, fresh);
  return rotationOf(dataDir, checkFile, check, fresh);
}

function rotationOf(dataDir: string, checkFile: string, check: string, state: RotationState): KeyRotation {
  return {
    from: state.from,
    to: state.to,
    state,
    save: () => writeRotationState(dataDir, state),
    async finish() {
      // Recorded first: a crash before the verifier switch leaves a finished rotation whose finish runs again.
      state.finishedAt ??= new Date().toISOString();
      await writeRotationState(dataDir, state);
      await replaceFile(checkFile, `${check}\n`);
    },
  };
}

/** Why the keys given do not open the data: which variable to fix. */
async function mismatch(dataDir: string, id: string, given: boolean, previousGiven: boolean, keyFile: string): Promise<string> {
  if (previousGiven) {
    return `ENCRYPTION_PWD_PREVIOUS does not match the key the data in ${dataDir} was encrypted with (nor does ENCRYPTION_PWD): set ENCRYPTION_PWD_PREVIOUS to the password the data was encrypted with`;
  }
  const state = await readRotationState(dataDir).catch(() => undefined);
  if (state && state.to === id && state.finishedAt === undefined) {
    return `re-encryption of the data in ${dataDir} under ENCRYPTION_PWD has not finished: set ENCRYPTION_PWD_PREVIOUS to the password used before until the host logs that re-encryption is done`;
  }
  return given
    ? `ENCRYPTION_PWD does not match the key the data in ${dataDir} was encrypted with`
    : `ENCRYPTION_PWD is not set, and the generated key in ${keyFile} does not match the key the data in ${dataDir} was encrypted with; set ENCRYPTION_PWD to the password used before`;
}
