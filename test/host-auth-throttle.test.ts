// Failed-authentication limits, against host child processes: a flood of bad tokens gets the
// flooder 429 (with Retry-After), but a valid token from the same address is always served; a token
// that keeps failing is refused by itself, whatever address it comes from; X-Forwarded-For counts
// only when the peer is a proxy TRUST_PROXY names, read from the right so a client cannot choose
// its address. The suite reports its tally.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { authTally } from './support/auth-tally.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { startTokenIssuer, type TokenIssuer } from './support/token-issuer.js';
import { withHost } from './support/with-host.js';

const LIMIT = 5;
const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }), access: { read: [] } }]`;
const things = '/microlib/api/models/things';
const tally = authTally();

function throttledHost(trustProxy?: string) {
  let issuer: TokenIssuer | undefined;
  const host = withHost(async ({ workDir, defer }) => {
    issuer = await startTokenIssuer(workDir);
    defer(() => issuer!.close());
    return {
      remotes: [await localModelsRemote(workDir, models)],
      env: { AUTH_ENABLED: 'true', AUTH_KEY_SET: issuer.keySetPath, AUTH_MAX_FAILURES_PER_MINUTE: String(LIMIT), ...(trustProxy ? { TRUST_PROXY: trustProxy } : {}) },
    };
  });
  let n = 0;
  return {
    host,
    valid: () => issuer!.headers({ sub: 'ada' }),
    /** A distinct bad token each time (a fresh guess), or `token` itself. */
    bad: (forwardedFor?: string, token = `guess.${++n}.x`) => ({ authorization: `Bearer ${token}`, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) }),
    clients: () => host.logs.filter((l) => String(l.msg).startsWith('authentication failed')).map((l) => l.client),
  };
}

async function upgradeStatus(port: number, token: string): Promise<number> {
  return new Promise<number>((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/microlib/ws/events?access_token=${token}`);
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('error', () => resolve(-1));
  });
}

describe('failed-authentication limits, no trusted proxy', () => {
  const { host, valid, bad, clients } = throttledHost();

  it('answers 429 to a flood of bad tokens, but serves a valid token from the same address', async () => {
    for (let i = 1; i <= LIMIT; i++) tally.check(`bad token ${i} of ${LIMIT}`, await host.request(things, { headers: bad() }), 401);
    const flooded = await host.request(things, { headers: bad() });
    tally.check('bad token past the limit', flooded, 429);
    assert.equal(flooded.body.error.code, 'MLB_ERR_TOO_MANY_REQUESTS');
    assert.ok(Number(flooded.headers.get('retry-after')) >= 1, 'Retry-After says when');
    tally.check('malformed header past the limit', await host.request(things, { headers: { authorization: 'Basic abc' } }), 429);

    tally.check('a valid token from the flooded address', await host.request(things, { headers: await valid() }), 200);
    tally.check('a valid token on the admin API path', await host.request('/microlib/api/config', { headers: await valid() }), 403);
    const { authorization } = await valid();
    assert.equal(await upgradeStatus(host.port, authorization.slice('Bearer '.length)), 101, 'a valid token opens the WebSocket stream');
    tally.check('the flood goes on', await host.request(things, { headers: bad() }), 429);
    // One line per failure up to the limit, then one saying the limit passed: the log is not flooded.
    assert.equal(clients().length, LIMIT + 1);
  });

  it('ignores X-Forwarded-For from a peer it does not trust', async () => {
    // 127.0.0.1 has passed the limit; claiming another address changes nothing.
    tally.check('bad token claiming 10.9.9.9', await host.request(things, { headers: bad('10.9.9.9') }), 429);
    assert.deepEqual([...new Set(clients())], ['127.0.0.1'], 'the log names the peer');
  });
});

describe('failed-authentication limits behind a trusted proxy', () => {
  const { host, valid, bad, clients } = throttledHost('127.0.0.1, 10.0.0.0/8');

  it('counts each client behind the proxy on its own, read from the right', async () => {
    for (let i = 1; i <= LIMIT; i++) tally.check(`flooder bad token ${i}`, await host.request(things, { headers: bad('203.0.113.7') }), 401);
    tally.check('flooder past the limit', await host.request(things, { headers: bad('203.0.113.7') }), 429);
    // Prepending addresses does not help: the hop the trusted proxy reports is what counts.
    tally.check('flooder claiming another address first', await host.request(things, { headers: bad('198.51.100.1, 203.0.113.7') }), 429);
    tally.check('flooder behind two trusted hops', await host.request(things, { headers: bad('203.0.113.7, 10.1.2.3') }), 429);
    tally.check('a valid token from the flooder', await host.request(things, { headers: { ...(await valid()), 'x-forwarded-for': '203.0.113.7' } }), 200);
    // Another client behind the same proxy is not the flooder.
    tally.check('another client\'s bad token', await host.request(things, { headers: bad('203.0.113.8') }), 401);
    tally.check('another client\'s valid token', await host.request(things, { headers: { ...(await valid()), 'x-forwarded-for': '203.0.113.8' } }), 200);
    assert.equal(clients().at(-1), '203.0.113.8', 'the log names the client, not the proxy');
    assert.ok(clients().includes('203.0.113.7'));
    assert.ok(!clients().includes('127.0.0.1'));
  });

  it('refuses a token that keeps failing by itself, from whatever address', async () => {
    const replayed = 'the.same.guess';
    for (let i = 1; i <= LIMIT; i++) tally.check(`same bad token ${i}`, await host.request(things, { headers: bad(`198.51.100.${i + 10}`, replayed) }), 401);
    const refused = await host.request(things, { headers: bad('198.51.100.99', replayed) });
    tally.check('same bad token past its limit', refused, 429);
    assert.match(refused.body.error.message, /with this token/);
    tally.check('a fresh bad token from that address', await host.request(things, { headers: bad('198.51.100.99') }), 401);
  });

  it('reports the tally of both hosts', (t) => {
    t.diagnostic(tally.summary());
  });
});
