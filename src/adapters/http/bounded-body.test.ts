// The body budget is given back whatever becomes of a body: read and parsed, too large,
// refused as bad JSON, abandoned by the client half-way, or too slow to arrive.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { MicrolibError } from '../../domain/errors.js';
import { BodyBudget, BusyError } from './body-budget.js';
import { readBoundedBody, refusedUnread } from './bounded-body.js';
import { readObjectBody } from './read-body.js';

describe('BodyBudget', () => {
  it('grants bytes while they fit and takes a claim back once', () => {
    const budget = new BodyBudget(100);
    const a = budget.claim();
    const b = budget.claim();
    assert.equal(a.grow(60), true);
    assert.equal(b.grow(50), false, 'over the capacity: refused whole');
    assert.equal(b.grow(40), true);
    assert.equal(budget.inUse, 100);
    a.release();
    a.release();
    assert.equal(budget.inUse, 40, 'a second release gives nothing back twice');
    assert.equal(a.grow(10), false, 'a released claim grows no more');
    b.release();
    assert.equal(budget.inUse, 0);
  });
});

describe('reading a body within the budget', () => {
  const budget = new BodyBudget(10_000);
  type Outcome = { value?: unknown; error?: unknown };
  let read: (req: IncomingMessage) => Promise<unknown> = (req) => readObjectBody(req, 5_000, budget);
  /** Told of the next request when it arrives, with what its read ends with. */
  let onRequest: (arrival: { outcome: Promise<Outcome> }) => void = () => {};
  const server = http.createServer((req, res) => {
    const outcome = read(req).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    onRequest({ outcome });
    void outcome.then(() => res.end());
  });
  let port = 0;
  before(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve())));
  before(() => void (port = (server.address() as AddressInfo).port));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends a head and `body` on a connection of its own; with `drop`, closes it once the server reads. */
  const send = async (head: Record<string, string | number>, body: string, drop = false): Promise<Outcome> => {
    const arrived = new Promise<{ outcome: Promise<Outcome> }>((resolve) => (onRequest = resolve));
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const headers = Object.entries({ 'content-type': 'application/json', ...head }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`POST / HTTP/1.1\r\nhost: x\r\n${headers}\r\n${body}`);
    const { outcome } = await arrived;
    if (drop) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
    }
    const result = await outcome;
    socket.destroy();
    return result;
  };

  const code = (result: { error?: unknown }) => (result.error instanceof MicrolibError ? result.error.code : String(result.error));

  it('gives the budget back after a body is parsed', async () => {
    const body = JSON.stringify({ a: 'x'.repeat(1_000) });
    const result = await send({ 'content-length': Buffer.byteLength(body) }, body);
    assert.deepEqual(result.value, { a: 'x'.repeat(1_000) });
    assert.equal(budget.inUse, 0);
  });

  it('gives it back after bad JSON, a body over the limit, and a client gone half-way', async () => {
    assert.equal(code(await send({ 'content-length': 5 }, '{"a":')), 'MLB_ERR_BAD_JSON');
    assert.equal(budget.inUse, 0);
    const chunked = `${(6_000).toString(16)}\r\n${'x'.repeat(6_000)}\r\n`;
    const tooLarge = await send({ 'transfer-encoding': 'chunked' }, chunked);
    assert.equal(code(tooLarge), 'MLB_ERR_PAYLOAD_TOO_LARGE');
    assert.ok(refusedUnread(tooLarge.error as MicrolibError));
    assert.equal(budget.inUse, 0);
    const abandoned = await send({ 'content-length': 4_000 }, '{"a": "xxxx', true);
    assert.equal(code(abandoned), 'MLB_ERR_BAD_JSON', 'the read fails when the client goes');
    assert.equal(budget.inUse, 0);
  });

  it('refuses a body that does not fit in what is left, before reading it', async () => {
    const held = budget.claim();
    assert.ok(held.grow(8_000));
    try {
      const result = await send({ 'content-length': 3_000 }, '');
      assert.ok(result.error instanceof BusyError, String(result.error));
      assert.equal(result.error.code, 'MLB_ERR_UNAVAILABLE');
      assert.ok(refusedUnread(result.error));
      assert.equal(budget.inUse, 8_000, 'the refused body holds nothing');
    } finally {
      held.release();
    }
  });

  it('gives up on a body that does not arrive within its deadline', async () => {
    const claim = budget.claim();
    read = (req) => readBoundedBody(req, { limit: 5_000, claim, deadlineMs: 200 }).finally(() => claim.release());
    try {
      const started = Date.now();
      const result = await send({ 'content-length': 1_000 }, 'x');
      assert.equal(code(result), 'MLB_ERR_TIMEOUT');
      assert.ok(Date.now() - started < 2_000);
      assert.equal(budget.inUse, 0);
    } finally {
      read = (req) => readObjectBody(req, 5_000, budget);
    }
  });
});
