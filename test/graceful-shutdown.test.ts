// Graceful shutdown of a single process: on SIGTERM the host stops accepting connections, a
// request in flight finishes with its normal answer, a request that never finishes has its
// connection closed once SHUTDOWN_TIMEOUT_MS passes, and the process exits 0.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { localModelsRemote } from './support/fixture-remotes.js';
import { connectionRefused } from './support/plain-http.js';
import { until } from './support/until.js';
import { hostFor, type HostFixture } from './support/with-host.js';

const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'file', factory: () => (x) => ({ ...x }) }]`;

/**
 * A POST whose body arrives in two parts: it is in flight from the first byte until `finish()`.
 * `taken` resolves once the host handles it: asked to, the host's HTTP server says
 * `100 Continue` as it hands the request over.
 */
function slowPost(host: HostFixture, body: string) {
  const req = http.request(`${host.url}/microlib/api/models/things`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
  });
  const taken = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const answer = new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return { answer, taken, finish: () => req.end(body.slice(half)) };
}

describe('graceful shutdown', () => {
  it('finishes the request in flight, refuses new connections, closes a stuck one at the timeout, and exits 0', async (t) => {
    const host = await hostFor(t, async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, models)], env: { SHUTDOWN_TIMEOUT_MS: '3000' } }));
    const slow = slowPost(host, JSON.stringify({ name: 'in flight at SIGTERM' }));
    const stuck = slowPost(host, JSON.stringify({ name: 'never finished' }));
    await Promise.all([slow.taken, stuck.taken]);
    const exited = host.stop();
    await until(() => connectionRefused(host.port), 'a new connection to be refused while the host drains', 5_000);
    slow.finish();
    const answer = await slow.answer;
    assert.equal(answer.status, 201, answer.text);
    assert.equal(JSON.parse(answer.text).name, 'in flight at SIGTERM');
    assert.equal(answer.headers.connection, 'close', 'the client is told not to reuse the connection');
    await assert.rejects(stuck.answer, /socket hang up|ECONNRESET/, 'the stuck request loses its connection at the timeout');
    assert.equal(await exited, 0);
    assert.ok(host.logs.some((l) => String(l.msg).startsWith('requests still in flight after SHUTDOWN_TIMEOUT_MS')), 'the cut is logged');
  });
});
