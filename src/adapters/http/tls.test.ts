import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TlsConfigError, createRedirectServer, loadTlsOptions } from './tls.js';

const run = promisify(execFile);

/** The repository root: the nearest folder up from this file holding scripts/make-cert.mjs (works from src/ and dist/src/). */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'scripts/make-cert.mjs'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('scripts/make-cert.mjs not found above the test file');
    dir = parent;
  }
  return dir;
}

const makeCert = path.join(findRepoRoot(), 'scripts/make-cert.mjs');
let dir: string;
let keyPath: string;
let certPath: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-tls-'));
  keyPath = path.join(dir, 'nested/key.pem');
  certPath = path.join(dir, 'cert.pem');
  await run(process.execPath, [makeCert, '--key', keyPath, '--cert', certPath], { cwd: dir });
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

test('make-cert writes a private key (0600) and refuses to overwrite without --force', async () => {
  if (process.platform !== 'win32') assert.equal((await stat(keyPath)).mode & 0o777, 0o600);
  await assert.rejects(run(process.execPath, [makeCert, '--key', keyPath, '--cert', certPath]), (error: { code?: number; stderr?: string }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr ?? '', /already exist.*--force/);
    return true;
  });
});

test('an HTTPS server with the loaded options is trusted for 127.0.0.1 by a client given the certificate as CA', async () => {
  const options = await loadTlsOptions({ keyPath, certPath });
  assert.deepEqual(options.warnings, []);
  const server = https.createServer(options, (_req, res) => res.end('secure'));
  const port = await listen(server);
  try {
    const body = await new Promise<{ status: number | undefined; text: string }>((resolve, reject) => {
      // No servername: the client checks the certificate against the IP SAN 127.0.0.1.
      https
        .get({ host: '127.0.0.1', port, path: '/', ca: options.cert, agent: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode, text }));
        })
        .on('error', reject);
    });
    assert.deepEqual(body, { status: 200, text: 'secure' });

    // Without the certificate as CA the same request fails: the first check really verified the chain.
    await assert.rejects(
      new Promise((resolve, reject) => https.get({ host: '127.0.0.1', port, path: '/', agent: false }, resolve).on('error', reject)),
      (error: NodeJS.ErrnoException) => error.code === 'DEPTH_ZERO_SELF_SIGNED_CERT',
    );
  } finally {
    await close(server);
  }
});

test('a missing or wrong file gives an error naming the path, never the key', async () => {
  const missing = path.join(dir, 'absent.pem');
  await assert.rejects(loadTlsOptions({ keyPath: missing, certPath }), (error: Error) => {
    assert.ok(error instanceof TlsConfigError);
    assert.equal(error.message, `TLS key file ${missing} cannot be read: no such file`);
    return true;
  });
  await assert.rejects(loadTlsOptions({ keyPath, certPath, caPath: missing }), new RegExp(`TLS CA file ${escape(missing)} cannot be read`));
  // The certificate in the key's place: refused without quoting it.
  await assert.rejects(loadTlsOptions({ keyPath: certPath, certPath }), (error: Error) => {
    assert.match(error.message, new RegExp(`^TLS key file ${escape(certPath)} is not`));
    assert.doesNotMatch(error.message, /BEGIN/);
    return true;
  });
});

test('a key file other users can read loads with a warning', { skip: process.platform === 'win32' }, async () => {
  await chmod(keyPath, 0o644);
  try {
    const options = await loadTlsOptions({ keyPath, certPath, caPath: certPath });
    assert.ok(options.ca);
    assert.deepEqual(options.warnings, [`${keyPath} is readable by other users (mode 644); chmod 600 it`]);
  } finally {
    await chmod(keyPath, 0o600);
  }
});

test('the redirect server answers 308 to the HTTPS port keeping path and query, and 400 to a bad Host', async () => {
  const server = createRedirectServer(() => 8443);
  const port = await listen(server);
  const send = (headers: Record<string, string>, requestPath = '/a/b?x=1&y=%20', setHost = true) =>
    new Promise<{ status: number | undefined; location: string | undefined }>((resolve, reject) => {
      http
        .request({ host: '127.0.0.1', port, path: requestPath, method: 'POST', headers, setHost, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location }));
        })
        .on('error', reject)
        .end();
    });
  try {
    assert.deepEqual(await send({ host: 'example.test:8080' }), { status: 308, location: 'https://example.test:8443/a/b?x=1&y=%20' });
    assert.deepEqual(await send({ host: 'localhost' }, '/'), { status: 308, location: 'https://localhost:8443/' });
    assert.deepEqual(await send({ host: '[::1]:80' }, '/v'), { status: 308, location: 'https://[::1]:8443/v' });
    for (const host of ['evil.test/x', 'a@b', 'bad_host', 'a b', 'x:port']) {
      assert.equal((await send({ host })).status, 400, `Host "${host}"`);
    }
    assert.equal((await send({}, '/', false)).status, 400, 'no Host header');
  } finally {
    await close(server);
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
