// HTTPS end to end: a certificate made by `npm run cert` (scripts/make-cert.mjs), the host on
// SSL_ENABLED, a client that trusts only that certificate, and the HTTP port redirecting to HTTPS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeWorkDir, removeDir, repoRoot, startHost, type HostProcess } from './support/host-process.js';
import { containerSource, writeRemoteEntry } from './support/fixture-remotes.js';

const run = promisify(execFile);
const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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
  let host: HostProcess;
  let workDir: string;
  let ca: Buffer;
  let redirectPort: number;

  before(async () => {
    workDir = await makeWorkDir();
    const keyPath = path.join(workDir, 'key.pem');
    const certPath = path.join(workDir, 'cert.pem');
    await run(process.execPath, [path.join(repoRoot, 'scripts/make-cert.mjs'), '--key', keyPath, '--cert', certPath]);
    ca = await readFile(certPath);
    redirectPort = await freePort();
    const dir = await writeRemoteEntry(path.join(workDir, 'remote'), containerSource(models));
    host = await startHost({
      workDir,
      remotes: [{ name: 'kit', kind: 'local', path: dir }],
      env: { SSL_ENABLED: 'true', SSL_KEY_PATH: keyPath, SSL_CERT_PATH: certPath, SSL_REDIRECT_PORT: String(redirectPort) },
    });
  });
  after(async () => {
    await host?.stop();
    await removeDir(workDir);
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
