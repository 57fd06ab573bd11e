import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { InFlightRequests } from './in-flight.js';

/** GET `path`; resolves with the status and the Connection header once the answer has ended. */
function get(port: number, path: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: new http.Agent({ keepAlive: true }) }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      })
      .on('error', reject);
  });
}

describe('requests in flight', () => {
  const inFlight = new InFlightRequests();
  /** Answers held back by path, released by the test. */
  const held = new Map<string, ServerResponse>();
  let server: http.Server;
  let port: number;

  before(async () => {
    server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
      inFlight.track(res);
      if (req.url?.startsWith('/hold/')) held.set(req.url, res);
      else res.end('done');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Resolves once `count` answers are held. */
  async function heldCount(count: number): Promise<void> {
    while (held.size < count) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  it('counts each request until its answer is sent or its client goes away', async () => {
    const answers = ['/hold/1', '/hold/2', '/hold/3'].map((path) => get(port, path));
    await heldCount(3);
    assert.equal(inFlight.size, 3);
    // Released out of order: the middle one first, then the newest, then the oldest.
    for (const path of ['/hold/2', '/hold/3', '/hold/1']) {
      held.get(path)!.end('released');
      held.delete(path);
    }
    await Promise.all(answers);
    await get(port, '/quick');
    assert.equal(inFlight.size, 0);

    const gone = http.get({ host: '127.0.0.1', port, path: '/hold/gone' }).on('error', () => undefined);
    await heldCount(1);
    assert.equal(inFlight.size, 1);
    gone.destroy();
    while (inFlight.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    held.clear();
  });

  it('drains: answers in flight and new ones close their connection, and it resolves once none is left', async () => {
    const waiting = get(port, '/hold/drain');
    await heldCount(1);
    let drained: boolean | undefined;
    const draining = inFlight.drain(5_000).then((idle) => (drained = idle));
    const during = await get(port, '/quick');
    assert.equal(during.connection, 'close', 'a request arriving while draining is told to close');
    assert.equal(drained, undefined, 'still one answer in flight');
    held.get('/hold/drain')!.end('released');
    held.clear();
    assert.equal((await waiting).connection, 'close', 'the answer in flight is told to close');
    await draining;
    assert.equal(drained, true);
    assert.equal(inFlight.size, 0);
  });
});

describe('requests in flight, past the bound', () => {
  it('stops waiting after the timeout and says requests are left', async () => {
    const inFlight = new InFlightRequests();
    let stuck: ServerResponse | undefined;
    const server = http.createServer((_req, res) => {
      inFlight.track(res);
      stuck = res;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const request = http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/' }).on('error', () => undefined);
    while (!stuck) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(await inFlight.drain(50), false);
    assert.equal(inFlight.size, 1);
    request.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
