#!/usr/bin/env node
// Signs a remote's build for hosts that pin it to a public key (`publicKey` in remoteEntries.js).
//
//   node scripts/sign-remote.mjs <buildDir> --key <private-key.pem>
//       writes <buildDir>/microlib-manifest.json (sha256 of every file) and
//       <buildDir>/microlib-manifest.json.sig (base64 ed25519 signature of the manifest's bytes)
//   node scripts/sign-remote.mjs --generate-key <dir>
//       writes <dir>/microlib-signing-key.pem (private, mode 0600) and <dir>/microlib-signing-key.pub.pem
//
// Sign after the build is final: changing any file afterwards makes hosts refuse the build.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const MANIFEST = 'microlib-manifest.json';
const SIGNATURE = `${MANIFEST}.sig`;
const PRIVATE_KEY_FILE = 'microlib-signing-key.pem';
const PUBLIC_KEY_FILE = 'microlib-signing-key.pub.pem';
// A webpack output is never this deep; the bound keeps a symlink-free but odd tree from running away.
const MAX_DEPTH = 32;

const USAGE = `usage: node scripts/sign-remote.mjs <buildDir> --key <ed25519 private key PEM>
       node scripts/sign-remote.mjs --generate-key <dir>`;

class UsageError extends Error {}

/** Every file under `root` as sorted relative posix paths, without the manifest and signature. */
async function listFiles(root, relative = '', depth = 0) {
  if (depth > MAX_DEPTH) throw new Error(`${relative} is nested more than ${MAX_DEPTH} folders deep`);
  const files = [];
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(root, child, depth + 1)));
    else if (entry.isFile()) files.push(child);
    // The host loads regular files only, so a link would be signed but never served as signed.
    else throw new Error(`${child} is not a regular file (symbolic link?); copy the file into the build instead`);
  }
  return relative ? files : files.filter((f) => f !== MANIFEST && f !== SIGNATURE).sort();
}

async function signBuild(buildDir, keyFile) {
  let privateKey;
  try {
    privateKey = createPrivateKey(await readFile(keyFile));
  } catch (error) {
    throw new Error(`cannot read the private key ${keyFile}: ${error.message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${keyFile} is a ${privateKey.asymmetricKeyType} key; an ed25519 key is needed (--generate-key makes one)`);
  const names = await listFiles(buildDir);
  if (!names.includes('remoteEntry.js')) throw new Error(`no remoteEntry.js in ${buildDir}: is it the build output folder?`);
  const files = {};
  for (const name of names) files[name] = `sha256-${createHash('sha256').update(await readFile(path.join(buildDir, name))).digest('base64')}`;
  const manifest = Buffer.from(`${JSON.stringify({ version: 1, files }, null, 2)}\n`);
  const signature = sign(null, manifest, privateKey);
  // Checked before writing: a signature the key's own public half rejects must never ship.
  if (!verify(null, manifest, createPublicKey(privateKey), signature)) throw new Error('the signature does not verify with the key (crypto failure)');
  await writeFile(path.join(buildDir, MANIFEST), manifest);
  await writeFile(path.join(buildDir, SIGNATURE), `${signature.toString('base64')}\n`);
  return names.length;
}

async function generateKey(dir) {
  await mkdir(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateFile = path.join(dir, PRIVATE_KEY_FILE);
  const publicFile = path.join(dir, PUBLIC_KEY_FILE);
  // `wx`: never overwrite a key that may already sign deployed builds.
  await writeFile(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  await writeFile(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  return { privateFile, publicFile };
}

function parseArgs(argv) {
  const options = { buildDir: undefined, key: undefined, generateKey: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--key' || arg === '--generate-key') {
      const value = argv[++i];
      if (!value) throw new UsageError(`${arg} needs a value`);
      if (arg === '--key') options.key = value;
      else options.generateKey = value;
    } else if (arg === '--help' || arg === '-h') {
      options.help = true;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (options.buildDir === undefined) {
      options.buildDir = arg;
    } else {
      throw new UsageError(`unexpected argument ${arg}`);
    }
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) return void console.log(USAGE);
  if (options.generateKey !== undefined) {
    if (options.buildDir !== undefined || options.key !== undefined) throw new UsageError('--generate-key takes only a folder');
    const { privateFile, publicFile } = await generateKey(options.generateKey);
    console.log(`private key: ${privateFile} (keep it secret, mode 0600)\npublic key:  ${publicFile} (set it as "publicKey" of the remote in remoteEntries.js)`);
    return;
  }
  if (options.buildDir === undefined || options.key === undefined) throw new UsageError('give a build folder and --key');
  const count = await signBuild(options.buildDir, options.key);
  console.log(`signed ${count} files: ${path.join(options.buildDir, MANIFEST)} + .sig`);
}

main().catch((error) => {
  if (error instanceof UsageError) {
    console.error(`sign-remote: ${error.message}`);
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  console.error(`sign-remote: ${error.message}`);
  process.exitCode = 1;
});
