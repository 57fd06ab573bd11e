#!/usr/bin/env node
/**
 * `npm run cert`: makes a self-signed certificate for https://localhost and
 * https://127.0.0.1 with the `openssl` CLI. For development only.
 *
 * Usage: node scripts/make-cert.mjs [--key <path>] [--cert <path>] [--force]
 * Paths default to SSL_KEY_PATH / SSL_CERT_PATH, else cert/key.pem and
 * cert/cert.pem in the repository; relative paths resolve against the working
 * directory, as the host resolves them.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// 825 days is the longest validity Apple platforms accept for a TLS server certificate.
const DAYS = 825;

// Only what a browser and Node need of a server certificate: no CA rights, server auth, both local names.
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
[dn]
CN = localhost
O = microlib development
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
`;

function usage(message) {
  if (message) console.error(`make-cert: ${message}`);
  console.error('usage: node scripts/make-cert.mjs [--key <path>] [--cert <path>] [--force]');
  process.exit(message ? 2 : 0);
}

function parseArgs(argv) {
  const options = { key: undefined, cert: undefined, force: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--force') options.force = true;
    else if (arg === '--help' || arg === '-h') usage();
    else if (arg === '--key' || arg === '--cert') {
      const value = argv[++i];
      if (!value) usage(`${arg} needs a path`);
      options[arg.slice(2)] = value;
    } else usage(`unknown argument "${arg}"`);
  }
  return options;
}

async function exists(file) {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (error.code === 'ENOENT') return false;
    throw error;
  }
}

/** Writes a file that must not exist yet ('wx'), with the given mode from the first byte. */
async function writeNew(file, data, mode) {
  const handle = await open(file, 'wx', mode);
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
  // The umask may have narrowed the mode further; set it exactly.
  await chmod(file, mode);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const keyPath = path.resolve(options.key ?? (process.env.SSL_KEY_PATH?.trim() || path.join(repoRoot, 'cert/key.pem')));
  const certPath = path.resolve(options.cert ?? (process.env.SSL_CERT_PATH?.trim() || path.join(repoRoot, 'cert/cert.pem')));
  if (keyPath === certPath) usage('the key and the certificate need different paths');

  const present = [];
  for (const file of [keyPath, certPath]) if (await exists(file)) present.push(file);
  if (present.length > 0 && !options.force) {
    console.error(`make-cert: ${present.join(' and ')} already exist${present.length === 1 ? 's' : ''}; pass --force to replace`);
    process.exit(1);
  }

  // openssl writes the key with the umask's mode; a private temporary folder keeps it unseen until copied.
  const work = await mkdtemp(path.join(os.tmpdir(), 'microlib-cert-'));
  try {
    const configFile = path.join(work, 'openssl.cnf');
    const tmpKey = path.join(work, 'key.pem');
    const tmpCert = path.join(work, 'cert.pem');
    await writeFile(configFile, OPENSSL_CONFIG);
    try {
      await run('openssl', [
        'req', '-x509', '-new', '-config', configFile,
        '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
        '-nodes', '-sha256', '-days', String(DAYS),
        '-keyout', tmpKey, '-out', tmpCert,
      ]);
    } catch (error) {
      if (error.code === 'ENOENT') throw new Error('the openssl command is not installed or not on PATH');
      throw new Error(`openssl failed: ${(error.stderr || error.message).trim()}`);
    }
    const key = await readFile(tmpKey);
    const cert = await readFile(tmpCert);

    await mkdir(path.dirname(keyPath), { recursive: true });
    await mkdir(path.dirname(certPath), { recursive: true });
    // --force replaces: remove first so the new key file is created with 0600 rather than inheriting a wider mode.
    if (options.force) for (const file of present) await unlink(file);
    await writeNew(keyPath, key, 0o600);
    await writeNew(certPath, cert, 0o644);

    const x509 = new X509Certificate(cert);
    console.log(`make-cert: wrote private key  ${keyPath} (mode 600)`);
    console.log(`make-cert: wrote certificate  ${certPath}`);
    console.log(`           subject ${x509.subject.replace(/\n/g, ', ')}; names ${x509.subjectAltName}`);
    console.log(`           EC P-256, valid until ${x509.validTo}`);
    console.log(`           SHA-256 fingerprint ${x509.fingerprint256}`);
    console.log('make-cert: self-signed, for development only. Never use it in production or commit the key.');
    console.log(`           Trust it per client, e.g. curl --cacert ${path.relative(process.cwd(), certPath) || certPath} https://localhost:8070/`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`make-cert: ${error.message}`);
  process.exit(1);
});
