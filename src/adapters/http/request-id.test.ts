import { test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assignRequestId, requestIdOf } from './request-id.js';

async function withServer(fn: (url: string) => Promise<void>): Promise<void> {
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const id = assignRequestId(req, res);
    res.end(JSON.stringify({ id, seen: requestIdOf(req) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

test('each request gets its own id, echoed in the response header', async () => {
  await withServer(async (url) => {
    const first = await fetch(url);
    const second = await fetch(url);
    const a = (await first.json()) as { id: string; seen: string };
    const b = (await second.json()) as { id: string; seen: string };
    assert.notEqual(a.id, b.id);
    assert.equal(first.headers.get('x-request-id'), a.id);
    assert.equal(a.seen, a.id);
  });
});

test("a caller's plain X-Request-Id is kept; anything else is replaced", async () => {
  await withServer(async (url) => {
    const kept = await fetch(url, { headers: { 'x-request-id': 'gw-42.a:b' } });
    assert.equal(kept.headers.get('x-request-id'), 'gw-42.a:b');
    for (const bad of ['has space', 'x'.repeat(129), 'line"quote']) {
      const replaced = await fetch(url, { headers: { 'x-request-id': bad } });
      assert.notEqual(replaced.headers.get('x-request-id'), bad);
      assert.match(replaced.headers.get('x-request-id') ?? '', /^[A-Za-z0-9_-]+-[0-9a-z]+$/);
    }
  });
});
