// HTTPS end to end: a certificate made by `npm run cert` (scripts/make-cert.mjs), the host on
// SSL_ENABLED, a client that trusts only that certificate, and the HTTP port redirecting to HTTPS.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { localModelsRemote } from './support/fixture-remotes.js';
import { freePort } from './support/free-port.js';
import { repoRoot } from './support/host-process.js';
import { withHost } from './support/with-host.js';

const run = promisify(execFile);
const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;

function get(url: string, ca?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const req = client.get(url, { ...(ca ? { ca } : {}), timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

describe('HTTPS', () => {
  let ca: Buffer;
  let redirectPort: number;
  const host = withHost(async ({ workDir }) => {
    const keyPath = path.join(workDir, 'key.pem');
    const certPath = path.join(workDir, 'cert.pem');
    await run(process.execPath, [path.join(repoRoot, 'scripts/make-cert.mjs'), '--key', keyPath, '--cert', certPath]);
    ca = await readFile(certPath);
    redirectPort = await freePort();
    return {
      remotes: [await localModelsRemote(workDir, models)],
      env: { SSL_ENABLED: 'true', SSL_KEY_PATH: keyPath, SSL_CERT_PATH: certPath, SSL_REDIRECT_PORT: String(redirectPort) },
    };
  });

  it('serves the API over TLS to a client that trusts the certificate', async () => {
    assert.match(host.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await get(`${host.url}/microlib/health`, ca);
    assert.equal(health.status, 200);
    assert.equal((await get(`${host.url}/microlib/api/models/things`, ca)).status, 200);
    await assert.rejects(get(`${host.url}/microlib/health`), /self-signed|self signed/, 'an untrusting client refuses it');
    await assert.rejects(get(`http://127.0.0.1:${host.port}/microlib/health`), 'no plain HTTP on the TLS port');
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const answer = await get(`http://127.0.0.1:${redirectPort}/microlib/api/models/things?limit=1`);
    assert.equal(answer.status, 308);
    assert.equal(answer.headers.location, `https://127.0.0.1:${host.port}/microlib/api/models/things?limit=1`);
  });
});
