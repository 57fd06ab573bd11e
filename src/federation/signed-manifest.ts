/**
 * Trusted remotes: a build signed with `scripts/sign-remote.mjs` carries
 * `microlib-manifest.json` (the sha256 of every file) and
 * `microlib-manifest.json.sig` (an ed25519 signature over the manifest's exact
 * bytes). A remote pinned to a public key loads only a snapshot whose every file
 * is listed with a matching hash, whose listed files are all present, and whose
 * manifest that key signed.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { insideDir } from './sources/snapshot-files.js';

/** The signed list of files, at the root of the build. */
export const SIGNED_MANIFEST_FILE = 'microlib-manifest.json';
/** Base64 ed25519 signature of {@link SIGNED_MANIFEST_FILE}'s bytes. */
export const SIGNATURE_FILE = `${SIGNED_MANIFEST_FILE}.sig`;

/** What a signed manifest holds once verified. */
export interface SignedManifest {
  version: 1;
  /** Relative posix path → `sha256-<base64>` of its bytes. */
  files: Record<string, string>;
}

/** A build refused by the signature check; `file` names the offending file, when one does. */
export class SignedManifestError extends Error {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'SignedManifestError';
  }
}

const DIGEST = /^sha256-[A-Za-z0-9+/]{43}=$/;
const ED25519_SIGNATURE_BYTES = 64;
// Bounds the walk of a snapshot: a build deeper than this is not a webpack output.
const MAX_DEPTH = 32;

/** `sha256-<base64>` of some bytes, the digest format of the manifest. */
export function fileDigest(bytes: Uint8Array): string {
  return `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
}

/** The KeyObject of an ed25519 SPKI public key PEM; throws when it is anything else. */
export function ed25519PublicKey(pem: string): KeyObject {
  const key = createPublicKey({ key: pem, format: 'pem', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an ed25519 public key, got ${key.asymmetricKeyType ?? 'an unknown key type'}`);
  return key;
}

/**
 * Checks the snapshot in `dir` against its signed manifest and `publicKey`;
 * resolves to the manifest, or rejects with a {@link SignedManifestError}
 * saying which check failed and for which file.
 */
export async function verifySignedBuild(dir: string, publicKey: KeyObject): Promise<SignedManifest> {
  const manifestBytes = await readOptional(path.join(dir, SIGNED_MANIFEST_FILE));
  if (!manifestBytes) throw new SignedManifestError(`no signed manifest (${SIGNED_MANIFEST_FILE}) in the build`, SIGNED_MANIFEST_FILE);
  const signatureText = await readOptional(path.join(dir, SIGNATURE_FILE));
  if (!signatureText) throw new SignedManifestError(`no signature (${SIGNATURE_FILE}) in the build`, SIGNATURE_FILE);

  // The signature is checked before the manifest is parsed, so unsigned input is never interpreted.
  const signature = Buffer.from(signatureText.toString('utf8').trim(), 'base64');
  if (signature.length !== ED25519_SIGNATURE_BYTES || !verify(null, manifestBytes, publicKey, signature)) {
    throw new SignedManifestError('the manifest is not signed by the configured key', SIGNED_MANIFEST_FILE);
  }

  const manifest = parseManifest(manifestBytes);
  const present = await listFiles(dir);
  for (const file of present) {
    if (file === SIGNED_MANIFEST_FILE || file === SIGNATURE_FILE) continue;
    const expected = manifest.files[file];
    if (expected === undefined) throw new SignedManifestError(`file ${file} is not listed in the signed manifest`, file);
    if (fileDigest(await readFile(path.join(dir, file))) !== expected) {
      throw new SignedManifestError(`file ${file} does not match the signed manifest`, file);
    }
  }
  const presentSet = new Set(present);
  for (const file of Object.keys(manifest.files).sort()) {
    if (!presentSet.has(file)) throw new SignedManifestError(`file ${file} is listed in the signed manifest but missing from the build`, file);
  }
  return manifest;
}

function parseManifest(bytes: Buffer): SignedManifest {
  const malformed = (why: string) => new SignedManifestError(`the signed manifest is malformed: ${why}`, SIGNED_MANIFEST_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw malformed('not JSON');
  }
  const raw = parsed as { version?: unknown; files?: unknown } | null;
  if (!raw || typeof raw !== 'object' || raw.version !== 1) throw malformed('"version" must be 1');
  if (!raw.files || typeof raw.files !== 'object' || Array.isArray(raw.files)) throw malformed('"files" must be an object');
  // A null prototype: a listed "__proto__" or "constructor" is just a name.
  const files: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [file, digest] of Object.entries(raw.files as Record<string, unknown>)) {
    if (typeof digest !== 'string' || !DIGEST.test(digest)) throw malformed(`the digest of ${file} is not sha256-<base64>`);
    if (file === SIGNED_MANIFEST_FILE || file === SIGNATURE_FILE) throw malformed(`it lists ${file}, which cannot sign itself`);
    try {
      // A signed "../x" must not make the check read outside the snapshot.
      insideDir('/snapshot', file);
    } catch {
      throw malformed(`"${file}" is not a plain relative path`);
    }
    files[file] = digest;
  }
  return { version: 1, files };
}

/** Every file under `dir`, as sorted relative posix paths; anything but files and folders is refused. */
async function listFiles(dir: string, relative = '', depth = 0): Promise<string[]> {
  if (depth > MAX_DEPTH) throw new SignedManifestError(`folder ${relative} is nested too deeply`, relative);
  const files: string[] = [];
  for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(dir, child, depth + 1)));
    else if (entry.isFile()) files.push(child);
    else throw new SignedManifestError(`file ${child} is not a regular file`, child);
  }
  return files.sort();
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
