// Graceful shutdown of a single process: on SIGTERM the host stops accepting connections, a
// request in flight finishes with its normal answer, a request that never finishes has its
// connection closed once SHUTDOWN_TIMEOUT_MS passes, and the process exits 0.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { makeWorkDir, removeDir, startHost, type HostProcess } from './support/host-process.js';
import { containerSource, writeRemoteEntry } from './support/fixture-remotes.js';
import { connectionRefused } from './support/plain-http.js';

const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'file', factory: () => (x) => ({ ...x }) }]`;

/** A POST whose body arrives in two parts: it is in flight from the first byte until `finish()`. */
function slowPost(host: HostProcess, body: string) {
  const req = http.request(`${host.url}/microlib/api/models/things`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
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
  return { answer, finish: () => req.end(body.slice(half)) };
}

describe('graceful shutdown', () => {
  it('finishes the request in flight, refuses new connections, closes a stuck one at the timeout, and exits 0', async () => {
    const workDir = await makeWorkDir();
    try {
      const dir = await writeRemoteEntry(path.join(workDir, 'remote'), containerSource(models));
      const host = await startHost({ workDir, remotes: [{ name: 'kit', kind: 'local', path: dir }], env: { SHUTDOWN_TIMEOUT_MS: '3000' } });
      const slow = slowPost(host, JSON.stringify({ name: 'in flight at SIGTERM' }));
      const stuck = slowPost(host, JSON.stringify({ name: 'never finished' }));
      // Both requests are being read by the host before it is told to stop.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const exited = host.stop();
      let refused = false;
      for (let i = 0; i < 100 && !refused; i++) {
        refused = await connectionRefused(host.port);
        if (!refused) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(refused, 'a new connection is refused while the host drains');
      slow.finish();
      const answer = await slow.answer;
      assert.equal(answer.status, 201, answer.text);
      assert.equal(JSON.parse(answer.text).name, 'in flight at SIGTERM');
      assert.equal(answer.headers.connection, 'close', 'the client is told not to reuse the connection');
      await assert.rejects(stuck.answer, /socket hang up|ECONNRESET/, 'the stuck request loses its connection at the timeout');
      assert.equal(await exited, 0);
      assert.ok(host.logs.some((l) => String(l.msg).startsWith('requests still in flight after SHUTDOWN_TIMEOUT_MS')), 'the cut is logged');
    } finally {
      await removeDir(workDir);
    }
  });
});
