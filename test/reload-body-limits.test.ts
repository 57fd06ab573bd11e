// Request bodies cannot take the host's memory: a webhook body is capped (413 before it is
// sent when Content-Length says too much, or as soon as a chunked body passes the cap), a
// webhook without a well-formed signature header and a reload from an unauthorised caller are
// refused before a byte of their body is read, only WEBHOOK_MAX_UNVERIFIED webhook bodies are
// read at once, and all bodies of the process share MAX_BUFFERED_BODY_BYTES (503 beyond it),
// which comes back when a body is done, refused or abandoned.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { localModelsRemote } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';
import { answerWithin, openRawRequest, type RawAnswer, type RawRequest, type RawRequestInit } from './support/raw-http.js';

const SECRET = 'webhook-secret-of-the-body-tests';
const ADMIN = 'admin-token-of-the-body-tests';
const WEBHOOK_MAX = 65_536;
const BODY_LIMIT = 1_048_576;
const BUDGET = 1_050_000;
const THINGS = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;
/** How long a prompt answer may take; a server waiting for the body never answers within it. */
const PROMPT_MS = 3_000;

/** A signature header of the right form that no secret produced. */
const WRONG_SIGNATURE = `sha256=${'ab'.repeat(32)}`;

function sign(body: string): string {
  return `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
}

function webhookHeaders(length: number | undefined, signature: string | undefined, event = 'push'): Record<string, string | number> {
  return {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': `delivery-${Math.random().toString(36).slice(2)}`,
    ...(length === undefined ? {} : { 'content-length': length }),
    ...(signature === undefined ? {} : { 'x-hub-signature-256': signature }),
  };
}

async function prompt(request: RawRequest, what: string): Promise<RawAnswer> {
  const answer = await answerWithin(request, PROMPT_MS);
  assert.ok(answer, `${what}: no answer within ${PROMPT_MS} ms (the host is waiting for the body)`);
  return answer;
}

function assertError(answer: RawAnswer, status: number, code: string, what: string): void {
  assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body?.error?.code, code, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(typeof answer.body.error.message, 'string');
}

describe('reload and request body limits', () => {
  let running: InProcessHost;
  let root = '';
  let port = 0;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'microlib-body-limits-'));
    const remote = await localModelsRemote(root, THINGS);
    running = await startInProcessHost({
      remotes: [remote],
      env: {
        WEBHOOK_SECRET: SECRET,
        ADMIN_TOKEN: ADMIN,
        DATASOURCE_ADAPTER: 'memory',
        WEBHOOK_MAX_BODY_BYTES: String(WEBHOOK_MAX),
        WEBHOOK_MAX_UNVERIFIED: '2',
        BODY_LIMIT_BYTES: String(BODY_LIMIT),
        MAX_BUFFERED_BODY_BYTES: String(BUDGET),
      },
    });
    port = (running.host.server.address() as AddressInfo).port;
  });
  after(async () => {
    await running?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const open = (init: RawRequestInit) => openRawRequest(port, init);
  /** A signed ping: the webhook path works. */
  const ping = async (): Promise<RawAnswer> => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
    const request = open({ path: '/microlib/reload', headers: webhookHeaders(Buffer.byteLength(body), sign(body), 'ping') });
    await request.write(body);
    return prompt(request, 'signed ping');
  };

  it('refuses a webhook whose Content-Length exceeds WEBHOOK_MAX_BODY_BYTES before the body is sent', async () => {
    const request = open({ path: '/microlib/reload', headers: webhookHeaders(2_000_000, WRONG_SIGNATURE) });
    const answer = await prompt(request, 'a 2 MB webhook');
    assertError(answer, 413, 'MLB_ERR_PAYLOAD_TOO_LARGE', 'a 2 MB webhook');
    assert.equal(request.sent(), 0, 'nothing of the body was sent');
    assert.equal(answer.headers.connection, 'close');
  });

  it('refuses a chunked webhook body as soon as it passes WEBHOOK_MAX_BODY_BYTES', async () => {
    const request = open({ path: '/microlib/reload', headers: webhookHeaders(undefined, WRONG_SIGNATURE), chunked: true });
    const chunk = Buffer.alloc(8_192, 0x20);
    // At most 2 MB, stopping once the host answers (a 5 MB limit would read all of it).
    for (let i = 0; i < 256 && !request.answered(); i++) {
      if (!(await request.write(chunk))) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const answer = await prompt(request, 'a chunked webhook');
    assertError(answer, 413, 'MLB_ERR_PAYLOAD_TOO_LARGE', 'a chunked webhook');
    assert.ok(request.sent() < 4 * WEBHOOK_MAX, `refused after ${request.sent()} bytes, not near the ${WEBHOOK_MAX}-byte cap`);
  });

  it('answers 401 to a webhook with a missing or malformed signature header while its body is unsent', async () => {
    const malformed = [undefined, 'sha256=', 'sha256=zz', `sha1=${'a'.repeat(40)}`, `sha256=${'a'.repeat(63)}`, `sha256=${'a'.repeat(65)}`, `SHA256 ${'a'.repeat(64)}`];
    for (const signature of malformed) {
      const request = open({ path: '/microlib/reload', headers: webhookHeaders(10_000, signature) });
      const answer = await prompt(request, `signature ${String(signature)}`);
      assertError(answer, 401, 'MLB_ERR_UNAUTHORIZED', `signature ${String(signature)}`);
      assert.equal(request.sent(), 0);
    }
    assert.equal((await ping()).status, 200, 'a signed delivery is still accepted');
  });

  it('refuses a manual reload or a rollback from an unauthorised caller before reading its body', async () => {
    for (const [route, authorization] of [
      ['/microlib/reload', undefined],
      ['/microlib/reload', 'Bearer not-the-admin-token'],
      ['/microlib/api/remotes/kit/rollback', undefined],
    ] as const) {
      const headers = { 'content-type': 'application/json', 'content-length': 10_000, ...(authorization ? { authorization } : {}) };
      const answer = await prompt(open({ path: route, headers }), `${route} by ${authorization ?? 'anyone'}`);
      assertError(answer, 401, 'MLB_ERR_UNAUTHORIZED', `${route} by ${authorization ?? 'anyone'}`);
    }
    // The admin's reload is read and served as before; an oversize one is refused at once.
    const body = JSON.stringify({ remote: 'kit' });
    const manual = open({ path: '/microlib/reload', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${ADMIN}` } });
    await manual.write(body);
    const reloaded = await prompt(manual, 'the admin reload');
    assert.equal(reloaded.status, 200, JSON.stringify(reloaded.body));
    assert.equal(reloaded.body.results[0].remote ?? reloaded.body.results[0].name ?? 'kit', 'kit');
    const huge = open({ path: '/microlib/reload', headers: { 'content-type': 'application/json', 'content-length': 2_000_000, authorization: `Bearer ${ADMIN}` } });
    assertError(await prompt(huge, 'an admin reload of 2 MB'), 413, 'MLB_ERR_PAYLOAD_TOO_LARGE', 'an admin reload of 2 MB');
  });

  it('reads at most WEBHOOK_MAX_UNVERIFIED webhook bodies at once, and serves normally once they end', async () => {
    const slow = [0, 1].map(() => open({ path: '/microlib/reload', headers: webhookHeaders(40_000, WRONG_SIGNATURE) }));
    for (const request of slow) await request.write(Buffer.alloc(1_000, 0x20));
    // Both are being read (their answer waits for the rest of the body).
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(slow.every((request) => !request.answered()), 'the first two are being read');
    for (let i = 0; i < 3; i++) {
      const extra = open({ path: '/microlib/reload', headers: webhookHeaders(40_000, WRONG_SIGNATURE) });
      const answer = await prompt(extra, `webhook ${i + 3}`);
      assertError(answer, 503, 'MLB_ERR_UNAVAILABLE', `webhook ${i + 3}`);
      assert.ok(Number(answer.headers['retry-after']) >= 1, 'Retry-After tells when to come back');
      assert.equal(extra.sent(), 0);
    }
    // An operator is not held up by unsigned deliveries.
    const manual = open({ path: '/microlib/reload', headers: { authorization: `Bearer ${ADMIN}`, 'content-length': 0 } });
    assert.equal((await prompt(manual, 'the admin reload')).status, 200);
    // One ends (a wrong signature: 401), one is abandoned: both slots come back.
    await slow[0]!.write(Buffer.alloc(39_000, 0x20));
    assertError(await prompt(slow[0]!, 'the finished slow webhook'), 401, 'MLB_ERR_UNAUTHORIZED', 'the finished slow webhook');
    slow[1]!.destroy();
    await slow[1]!.answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answers = await Promise.all([ping(), ping()]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200], JSON.stringify(answers.map((a) => a.body)));
  });

  it('shares MAX_BUFFERED_BODY_BYTES between API and webhook bodies, and gets it back', async () => {
    const apiHeaders = (length?: number) => ({ 'content-type': 'application/json', ...(length === undefined ? {} : { 'content-length': length }) });
    // 1,000,000 of the 1,050,000 bytes: a large API body arriving slowly.
    const large = open({ path: '/microlib/api/models/things', headers: apiHeaders(1_000_000) });
    await large.write('{"name": "');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = open({ path: '/microlib/api/models/things', headers: apiHeaders(200_000) });
    const refused = await prompt(second, 'an API body over the budget');
    assertError(refused, 503, 'MLB_ERR_UNAVAILABLE', 'an API body over the budget');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal(second.sent(), 0, 'refused on its Content-Length, before it was sent');
    // A webhook takes 40,000 of the 50,000 left; the next does not fit.
    const webhook = open({ path: '/microlib/reload', headers: webhookHeaders(40_000, WRONG_SIGNATURE) });
    await webhook.write(Buffer.alloc(100, 0x20));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(webhook.answered(), false, 'the webhook within the budget is being read');
    assertError(await prompt(open({ path: '/microlib/reload', headers: webhookHeaders(20_000, WRONG_SIGNATURE) }), 'a webhook over the budget'), 503, 'MLB_ERR_UNAVAILABLE', 'a webhook over the budget');
    // A chunked API body is refused once it outgrows what is left.
    const chunked = open({ path: '/microlib/api/models/things', headers: apiHeaders(), chunked: true });
    await chunked.write('{"name": "');
    for (let i = 0; i < 64 && !chunked.answered(); i++) {
      if (!(await chunked.write(Buffer.alloc(4_096, 0x61)))) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assertError(await prompt(chunked, 'a chunked API body over the budget'), 503, 'MLB_ERR_UNAVAILABLE', 'a chunked API body over the budget');
    assert.ok(chunked.sent() < 100_000, `refused after ${chunked.sent()} bytes`);
    // The large body is abandoned, the webhook ends (401): all of the budget comes back.
    large.destroy();
    await large.answer;
    await webhook.write(Buffer.alloc(39_900, 0x20));
    assertError(await prompt(webhook, 'the webhook within the budget'), 401, 'MLB_ERR_UNAUTHORIZED', 'the webhook within the budget');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Bodies of 1,040,000 bytes one after the other: each needs all but 10,000 bytes of the budget.
    for (let i = 0; i < 3; i++) {
      const body = JSON.stringify({ name: 'x'.repeat(1_040_000 - 11) });
      assert.equal(Buffer.byteLength(body), 1_040_000);
      const request = open({ path: '/microlib/api/models/things', headers: apiHeaders(1_040_000) });
      await request.write(body);
      const answer = await prompt(request, `large body ${i + 1} after the others ended`);
      assert.equal(answer.status, 201, `large body ${i + 1}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    assert.equal((await ping()).status, 200, 'webhooks are read again');
  });
});

describe('memory under unsigned uploads', () => {
  let running: InProcessHost;
  let port = 0;
  before(async () => {
    running = await startInProcessHost({ remotes: [], env: { WEBHOOK_SECRET: SECRET, ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn' } });
    port = (running.host.server.address() as AddressInfo).port;
  });
  after(() => running?.stop());

  it('stays flat across 100 concurrent 5 MB uploads that carry no valid credential', async () => {
    const body = Buffer.alloc(5_000_000, 0x20);
    const kinds: Array<Record<string, string | number>> = [
      webhookHeaders(body.length, undefined),
      webhookHeaders(body.length, 'sha256=not-hex'),
      webhookHeaders(body.length, WRONG_SIGNATURE),
      { 'content-type': 'application/json', 'content-length': body.length },
    ];
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    try {
      const requests = Array.from({ length: 100 }, (_, i) => open(kinds[i % kinds.length]!));
      // The one buffer is written to every socket (no copy per request): what grows is the host.
      for (const request of requests) void request.write(body);
      const answers = await Promise.all(requests.map((request) => answerWithin(request, 20_000)));
      const statuses = answers.map((answer) => answer?.status ?? 'none');
      assert.ok(statuses.every((status) => status === 401 || status === 413), `every upload is refused: ${JSON.stringify(statuses)}`);
    } finally {
      clearInterval(sampler);
    }
    const growthMb = (peak - before) / 1_048_576;
    // Read whole before the check (as before), they took about 180 MB here at the peak; refused
    // unread, under 20 MB (sockets and answers).
    assert.ok(growthMb < 100, `RSS grew by ${growthMb.toFixed(0)} MB at its peak`);
  });

  function open(headers: Record<string, string | number>) {
    return openRawRequest(port, { path: '/microlib/reload', headers });
  }
});
