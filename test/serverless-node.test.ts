// The host as a plain (req, res) function (microlib/serverless createNodeHandler),
// under the two kinds of runtime that call one: a node:http server handing over
// an unread request (Knative, OpenFaaS, a server of your own), and an Express app
// that read every body first and kept its bytes in req.rawBody, as Google's
// functions framework does (Cloud Functions, Cloud Run functions).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { decode } from '@msgpack/msgpack';
import { createNodeHandler, type NodeHandler } from '../src/serverless/index.js';
import { exampleRemoteDist } from './support/host-process.js';
import { functionEnv, type FunctionEnv } from './support/function-env.js';

const CUSTOMERS = '/microlib/api/models/customers';
const exampleRemote = { name: 'orderService', kind: 'local', path: exampleRemoteDist };

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The CRUD round trip, a 400 naming the field, a 404 and a MessagePack answer, against `base`. */
async function roundTrip(base: string, label: string): Promise<void> {
  const record = { firstName: 'Grace', lastName: `Hopper ${label}`, email: `grace.${label}@example.com` };
  const created = await fetch(`${base}${CUSTOMERS}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(record) });
  assert.equal(created.status, 201, await created.clone().text());
  const stored = (await created.json()) as { id: string; revision: number; lastName: string };
  assert.equal(created.headers.get('location'), `${CUSTOMERS}/${stored.id}`);
  assert.ok(created.headers.get('x-request-id'));

  const read = await fetch(`${base}${CUSTOMERS}/${stored.id}`);
  assert.equal(read.status, 200);
  assert.equal(read.headers.get('etag'), `"${stored.revision}"`);
  assert.deepEqual(await read.json(), stored);

  const listed = await fetch(`${base}${CUSTOMERS}?lastName=${encodeURIComponent(record.lastName)}`);
  assert.deepEqual(((await listed.json()) as { data: Array<{ id: string }> }).data.map((item) => item.id), [stored.id]);

  const patched = await fetch(`${base}${CUSTOMERS}/${stored.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json', 'if-match': `"${stored.revision}"` }, body: JSON.stringify({ tier: 'gold' }) });
  assert.equal(patched.status, 200, await patched.clone().text());
  assert.equal(((await patched.json()) as { tier: string }).tier, 'gold');

  const bad = await fetch(`${base}${CUSTOMERS}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...record, email: 'nope' }) });
  assert.equal(bad.status, 400);
  const error = ((await bad.json()) as { error: { code: string; field?: string } }).error;
  assert.deepEqual([error.code, error.field], ['MLB_ERR_VALIDATION', 'email']);

  const packed = await fetch(`${base}${CUSTOMERS}/${stored.id}`, { headers: { accept: 'application/msgpack' } });
  assert.equal(packed.headers.get('content-type'), 'application/msgpack');
  assert.equal((decode(new Uint8Array(await packed.arrayBuffer())) as { tier: string }).tier, 'gold');

  // The admin app (itself an Express app) answers too, under the runtime's own Express.
  const ready = await fetch(`${base}/microlib/ready`);
  assert.deepEqual([ready.status, await ready.json()], [200, { ready: true }]);

  const removed = await fetch(`${base}${CUSTOMERS}/${stored.id}`, { method: 'DELETE' });
  assert.equal(removed.status, 204);
  assert.equal((await fetch(`${base}${CUSTOMERS}/${stored.id}`)).status, 404);
}

describe('the plain (req, res) handler', () => {
  let fn: FunctionEnv;
  let handler: NodeHandler;
  let plain: Server | undefined;
  let framework: Server | undefined;

  before(async () => {
    fn = await functionEnv([exampleRemote], { DATASOURCE_ADAPTER: 'memory' });
    handler = createNodeHandler({ env: fn.env, cwd: fn.dir, logger: fn.logger });
  });
  after(async () => {
    await close(plain);
    await close(framework);
    await handler?.stop();
    await fn?.remove();
  });

  it('serves a runtime that hands over unread requests, through the host\'s own request listener', async () => {
    plain = http.createServer((req, res) => void handler(req, res));
    const base = await listen(plain);
    await roundTrip(base, 'plain');
    assert.equal((await handler.host()).server.listening, false, 'the host itself binds no port');
  });

  it('serves a runtime that read every body first (req.rawBody, as Google\'s functions framework), and one that kept only the parsed JSON', async () => {
    const app = express();
    const keepRaw = (req: IncomingMessage, _res: unknown, bytes: Buffer) => void ((req as IncomingMessage & { rawBody?: Buffer }).rawBody = bytes);
    // The functions framework's parsers: JSON, raw bytes, text, forms, each keeping the bytes read.
    app.use((req, res, next) => (req.headers['x-parsed-only'] ? express.json()(req, res, next) : next()));
    app.use(express.json({ verify: keepRaw }), express.raw({ type: 'application/octet-stream', verify: keepRaw }), express.text({ verify: keepRaw }), express.urlencoded({ extended: true, verify: keepRaw }));
    app.use((req, res) => void handler(req, res));
    framework = http.createServer(app);
    const base = await listen(framework);
    await roundTrip(base, 'framework');

    const parsedOnly = await fetch(`${base}${CUSTOMERS}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-parsed-only': '1' }, body: JSON.stringify({ firstName: 'Ada', lastName: 'Parsed', email: 'ada.parsed@example.com' }) });
    assert.equal(parsedOnly.status, 201, await parsedOnly.clone().text());
    assert.equal(((await parsedOnly.json()) as { lastName: string }).lastName, 'Parsed');
  });
});

describe('the plain handler when the host cannot start', () => {
  it('answers 503 in the API\'s error shape and logs why', async () => {
    const fn = await functionEnv([exampleRemote]);
    const handler = createNodeHandler({ env: fn.env, cwd: fn.dir, logger: fn.logger });
    const server = http.createServer((req, res) => void handler(req, res));
    try {
      const base = await listen(server);
      const answer = await fetch(`${base}/microlib/ready`);
      assert.equal(answer.status, 503);
      assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'MLB_ERR_UNAVAILABLE');
      assert.ok(fn.logs.some((line) => /failed to start: DATASOURCE_ADAPTER is "file"/.test(String(line['msg']))));
    } finally {
      await close(server);
      await handler.stop();
      await fn.remove();
    }
  });
});
