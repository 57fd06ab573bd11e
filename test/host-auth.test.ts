// Authentication and authorization against a host child process: JWTs verified against a local
// JWKS server (keys made with jose here), every refusal a 401 with WWW-Authenticate and its reason
// in the log only; permissions per operation, per command and per owner; the admin API; WebSocket.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import WebSocket from 'ws';
import { authTally } from './support/auth-tally.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { until } from './support/until.js';
import { withHost } from './support/with-host.js';
import { connect } from './support/ws-client.js';

const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'microlib-tests';
const models = `[
  { modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }),
    fields: { name: { type: 'string' }, secret: { type: 'string', sensitive: true } },
    commands: { touch: { command: () => ({ touched: true }) } } },
  { modelName: 'note', endpoint: 'notes', datasource: 'memory', factory: () => (x) => ({ ...x }),
    access: { read: [], create: [], update: [], delete: [], owner: true } },
]`;

describe('authentication and authorization', () => {
  let key: CryptoKey;
  let otherKey: CryptoKey;

  const token = (claims: Record<string, unknown>, options: { key?: CryptoKey; kid?: string; exp?: string | number; nbf?: number; iss?: string; aud?: string } = {}) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' }).setIssuedAt().setIssuer(options.iss ?? ISSUER).setAudience(options.aud ?? AUDIENCE).setExpirationTime(options.exp ?? '5m');
    if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
    return jwt.sign(options.key ?? key);
  };
  const as = async (claims: Record<string, unknown>) => ({ authorization: `Bearer ${await token(claims)}` });
  const reasons = () => host.logs.filter((l) => l.msg === 'authentication failed').map((l) => String(l.reason));
  const tally = authTally();

  const host = withHost(async ({ workDir, defer }) => {
    // The JWKS publishes k1 only; otherKey signs tokens the host must refuse.
    ({ privateKey: otherKey } = await generateKeyPair('RS256'));
    const keyPair = await generateKeyPair('RS256', { extractable: true });
    key = keyPair.privateKey;
    const jwk = { ...(await exportJWK(keyPair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwks = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    defer(() => jwks.close());
    const keySet = path.join(workDir, 'key-set.json');
    await writeFile(keySet, JSON.stringify({ jwksUri: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`, issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], permissionsClaim: 'permissions' }));
    return {
      remotes: [await localModelsRemote(workDir, models)],
      env: { AUTH_ENABLED: 'true', AUTH_KEY_SET: keySet, AUTH_MAX_FAILURES_PER_MINUTE: '40', ENCRYPTION_PWD: 'a long enough test password' },
    };
  });
  const api = '/microlib/api/models';

  it('answers 401 with WWW-Authenticate without a token, and serves a valid one', async () => {
    const anonymous = await host.request(`${api}/things`);
    tally.check('no token', anonymous, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="microlib"');
    assert.equal(anonymous.body.error.code, 'MLB_ERR_UNAUTHORIZED');
    const headers = await as({ sub: 'ada', scope: 'thing:read thing:create' });
    const created = await host.request(`${api}/things`, { method: 'POST', body: { name: 'a' }, headers });
    tally.check('create with a valid token', created, 201);
    tally.check('read with a valid token', await host.request(`${api}/things/${created.body.id}`, { headers }), 200);
    const denied = await host.request(`${api}/things/${created.body.id}`, { method: 'DELETE', headers });
    tally.check('delete without the permission', denied, 403);
    assert.match(denied.body.error.message, /thing:delete/);
  });

  it('refuses every bad token with 401, the precise reason only in the log', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: now + 60 })).toString('base64url')}.`;
    const hmac = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-long!!'));
    const cases: Array<[string, string, RegExp]> = [
      ['expired', await token({ sub: 'x' }, { exp: now - 120 }), /expired/],
      ['not yet valid', await token({ sub: 'x' }, { nbf: now + 3600 }), /"nbf"/],
      ['wrong issuer', await token({ sub: 'x' }, { iss: 'https://evil.example/' }), /"iss"/],
      ['wrong audience', await token({ sub: 'x' }, { aud: 'someone-else' }), /"aud"/],
      ['alg none', unsigned, /algorithm not allowed|malformed|Unsupported|alg/i],
      ['HS256', hmac, /algorithm not allowed/],
      ['unknown key', await token({ sub: 'x' }, { key: otherKey, kid: 'k2' }), /no key in the JWKS matches kid "k2"/],
      ['wrong signature', await token({ sub: 'x' }, { key: otherKey }), /signature verification failed/],
      ['malformed', 'not.a.jwt', /malformed|Invalid/i],
    ];
    for (const [what, bad, reason] of cases) {
      const before = reasons().length;
      const answer = await host.request(`${api}/things`, { headers: { authorization: `Bearer ${bad}` } });
      tally.check(what, answer, 401);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="microlib", error="invalid_token"', what);
      assert.doesNotMatch(JSON.stringify(answer.body), reason, `${what}: the reason is not told to the client`);
      await until(() => reasons().length > before, `the log line of "${what}"`, 2_000);
      assert.match(reasons().at(-1) ?? '', reason, what);
    }
  });

  it('keeps records to their owner under the owner rule', async () => {
    const alice = await as({ sub: 'alice' });
    const bob = await as({ sub: 'bob' });
    const note = await host.request(`${api}/notes`, { method: 'POST', body: { text: 'mine' }, headers: alice });
    assert.equal(note.status, 201);
    assert.equal(note.body.owner, 'alice');
    tally.check('the owner reads', await host.request(`${api}/notes/${note.body.id}`, { headers: alice }), 200);
    tally.check('another owner\'s record does not exist for bob', await host.request(`${api}/notes/${note.body.id}`, { headers: bob }), 404);
    tally.check('bob patches alice\'s note', await host.request(`${api}/notes/${note.body.id}`, { method: 'PATCH', body: { text: 'x' }, headers: bob }), 404);
    tally.check('bob deletes alice\'s note', await host.request(`${api}/notes/${note.body.id}`, { method: 'DELETE', headers: bob }), 404);
    await host.request(`${api}/notes`, { method: 'POST', body: { text: 'his' }, headers: bob });
    const bobs = await host.request(`${api}/notes?count`, { headers: bob });
    assert.deepEqual(bobs.body.data.map((n: { text: string }) => n.text), ['his']);
    assert.equal(bobs.body.total, 1);
    const admin = await as({ sub: 'root', permissions: ['note:admin'] });
    assert.equal((await host.request(`${api}/notes?count`, { headers: admin })).body.total, 2);
    const forged = await host.request(`${api}/notes`, { method: 'POST', body: { text: 'x', owner: 'alice' }, headers: bob });
    assert.equal(forged.status, 400, 'owner is set by the host');
  });

  it('enforces command permissions: decrypt needs "decrypt", other commands what an update needs', async () => {
    const writer = await as({ sub: 'w', permissions: ['thing:create', 'thing:read'] });
    const thing = (await host.request(`${api}/things`, { method: 'POST', body: { name: 'n', secret: 's3cret' }, headers: writer })).body;
    const noDecrypt = await host.request(`${api}/things/${thing.id}/commands/decrypt`, { method: 'POST', headers: writer });
    tally.check('decrypt without "decrypt"', noDecrypt, 403);
    const reader = await as({ sub: 'r', permissions: ['thing:read', 'decrypt'] });
    const clear = await host.request(`${api}/things/${thing.id}/commands/decrypt`, { method: 'POST', headers: reader });
    tally.check('decrypt with "decrypt"', clear, 200);
    assert.equal(clear.body.secret, 's3cret');
    tally.check('a command without update', await host.request(`${api}/things/${thing.id}/commands/touch`, { method: 'POST', headers: reader }), 403);
    const updater = await as({ sub: 'u', permissions: ['thing:update'] });
    tally.check('a command with update', await host.request(`${api}/things/${thing.id}/commands/touch`, { method: 'POST', headers: updater }), 200);
  });

  it('opens the host\'s own API to admins only', async () => {
    tally.check('admin API without a token', await host.request('/microlib/api/config'), 401);
    tally.check('admin API with a non-admin token', await host.request('/microlib/api/remotes', { headers: await as({ sub: 'x', permissions: ['thing:read'] }) }), 403);
    const config = await host.request('/microlib/api/config', { headers: await as({ sub: 'x', permissions: ['microlib:admin'] }) });
    tally.check('admin API with an admin token', config, 200);
    assert.ok(!JSON.stringify(config.body).includes('factory'), 'no functions in the config');
    assert.equal((await host.request('/microlib/health')).status, 200, 'health stays open');
    // Reloads and rollbacks: an admin JWT is a credential too.
    tally.check('reload without a token', await host.request('/microlib/reload', { method: 'POST' }), 401);
    tally.check('reload with a non-admin token', await host.request('/microlib/reload', { method: 'POST', headers: await as({ sub: 'x', permissions: ['thing:update'] }) }), 401);
    const reload = await host.request('/microlib/reload', { method: 'POST', headers: await as({ sub: 'ops', permissions: ['microlib:admin'] }) });
    tally.check('reload with an admin token', reload, 200);
  });

  it('authenticates WebSocket clients and checks read permission per subscription', async () => {
    const wsUrl = `ws://127.0.0.1:${host.port}/microlib/ws/events`;
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(wsUrl);
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => resolve(101));
      socket.once('error', () => resolve(-1));
    });
    tally.check('WebSocket without a token', { status }, 401);
    const reader = await connect(`${wsUrl}?access_token=${await token({ sub: 'r', permissions: ['thing:read'] })}`);
    reader.send({ type: 'subscribe', sub: 't', model: 'thing' });
    reader.send({ type: 'subscribe', sub: 'n', model: 'thing', events: ['created'] });
    reader.send({ type: 'subscribe', sub: 'all', event: '*' });
    const messages = await reader.until(3, 'answers');
    assert.deepEqual(messages.map((m) => [m.type, m.sub]), [['subscribed', 't'], ['subscribed', 'n'], ['error', 'all']]);
    reader.socket.close();
  });

  it('makes a client that keeps failing wait (429), but not a valid token from the same address', async () => {
    let last = 0;
    for (let i = 0; i < 45 && last !== 429; i++) last = (await host.request(`${api}/things`, { headers: { authorization: `Bearer garbage${i}` } })).status;
    tally.check('a client that keeps failing', { status: last }, 429);
    tally.check('a valid token from that address', await host.request(`${api}/things`, { headers: await as({ sub: 'ada', scope: 'thing:read' }) }), 200);
  });

  it('reports its tally', (t) => {
    t.diagnostic(tally.summary());
  });
});
