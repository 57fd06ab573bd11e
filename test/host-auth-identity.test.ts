// Who a token names, against a host child process: the owner rule keys records to `sub`, or to a
// client's `client_id` / `azp` when there is no subject, so two clients never share records; a token
// naming nobody is refused (403) on owner-protected models; identities holding control characters,
// empty or not strings are refused (401, the reason in the log); tokens must expire, and may not
// claim to be issued (iat) or valid (nbf) beyond the clock tolerance. The suite reports its tally.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authTally } from './support/auth-tally.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { startTokenIssuer, type TimeClaims, type TokenIssuer } from './support/token-issuer.js';
import { until } from './support/until.js';
import { hostFor, withHost } from './support/with-host.js';
import { connect } from './support/ws-client.js';

const models = `[
  { modelName: 'note', endpoint: 'notes', datasource: 'memory', factory: () => (x) => ({ ...x }),
    access: { read: [], create: [], update: [], delete: [], owner: true } },
  { modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }),
    access: { read: [], create: [], update: [], delete: [] } },
]`;
const notes = '/microlib/api/models/notes';
const things = '/microlib/api/models/things';

describe('caller identity and token times', () => {
  let issuer: TokenIssuer;
  const tally = authTally();
  const host = withHost(async ({ workDir, defer }) => {
    issuer = await startTokenIssuer(workDir);
    defer(() => issuer.close());
    return {
      remotes: [await localModelsRemote(workDir, models)],
      // Many refusals come from one address here: the failure limit is not what this suite tests.
      env: { AUTH_ENABLED: 'true', AUTH_KEY_SET: issuer.keySetPath, AUTH_MAX_FAILURES_PER_MINUTE: '1000' },
    };
  });
  const as = (claims: Record<string, unknown>, time?: TimeClaims) => issuer.headers(claims, time);
  const reasons = () => host.logs.filter((l) => l.msg === 'authentication failed').map((l) => String(l.reason));
  const titles = (page: { data: Array<{ text: string }> }) => page.data.map((n) => n.text).sort();

  it('keeps two clients without a subject apart: get, list, patch and delete', async () => {
    const serviceA = await as({ client_id: 'service-A' });
    const serviceB = await as({ client_id: 'service-B' });
    const created = await host.request(notes, { method: 'POST', body: { text: 'A' }, headers: serviceA });
    tally.check('service-A creates', created, 201);
    assert.equal(created.body.owner, 'client_id:service-A', 'a fallback claim owns under its own name');
    const id = created.body.id as string;
    tally.check('service-B creates', await host.request(notes, { method: 'POST', body: { text: 'B' }, headers: serviceB }), 201);

    tally.check('service-B reads A\'s note', await host.request(`${notes}/${id}`, { headers: serviceB }), 404);
    tally.check('service-B patches A\'s note', await host.request(`${notes}/${id}`, { method: 'PATCH', body: { text: 'x' }, headers: serviceB }), 404);
    tally.check('service-B deletes A\'s note', await host.request(`${notes}/${id}`, { method: 'DELETE', headers: serviceB }), 404);
    const listB = await host.request(`${notes}?count`, { headers: serviceB });
    tally.check('service-B lists', listB, 200);
    assert.deepEqual(titles(listB.body), ['B']);
    assert.equal(listB.body.total, 1);

    // Other ways to name the same string never reach A's records: a user whose sub is "service-A",
    // a token with a subject besides the client id, an azp client.
    for (const [what, claims] of [
      ['a user whose sub is service-A', { sub: 'service-A' }],
      ['a subject with client_id service-A', { sub: 'someone', client_id: 'service-A' }],
      ['an azp client service-A', { azp: 'service-A' }],
    ] as const) {
      const other = await as(claims);
      tally.check(`${what} reads A's note`, await host.request(`${notes}/${id}`, { headers: other }), 404);
      const list = await host.request(notes, { headers: other });
      tally.check(`${what} lists`, list, 200);
      assert.deepEqual(titles(list.body), [], what);
    }

    const listA = await host.request(notes, { headers: serviceA });
    tally.check('service-A lists', listA, 200);
    assert.deepEqual(titles(listA.body), ['A']);
    tally.check('service-A patches its note', await host.request(`${notes}/${id}`, { method: 'PATCH', body: { text: 'A2' }, headers: serviceA }), 200);
    tally.check('service-A deletes its note', await host.request(`${notes}/${id}`, { method: 'DELETE', headers: serviceA }), 204);
  });

  it('refuses (403) a token naming nobody on owner-protected models, and serves it elsewhere', async () => {
    const nobody = await as({ permissions: ['anything'] });
    const owned = (await host.request(notes, { method: 'POST', body: { text: 'owned' }, headers: await as({ sub: 'alice' }) })).body.id as string;
    for (const [what, path, method, body] of [
      ['create', notes, 'POST', { text: 'x' }],
      ['list', notes, 'GET', undefined],
      ['get', `${notes}/${owned}`, 'GET', undefined],
      ['patch', `${notes}/${owned}`, 'PATCH', { text: 'x' }],
      ['delete', `${notes}/${owned}`, 'DELETE', undefined],
    ] as const) {
      const answer = await host.request(path, { method, headers: nobody, ...(body ? { body } : {}) });
      tally.check(`no identity: ${what}`, answer, 403);
      assert.equal(answer.body.error.code, 'MLB_ERR_FORBIDDEN');
      assert.match(answer.body.error.message, /names no owner/, what);
    }
    tally.check('no identity: a model without the owner rule', await host.request(things, { method: 'POST', body: { name: 'x' }, headers: nobody }), 201);

    // The event stream is a read too.
    const stream = await connect(`ws://127.0.0.1:${host.port}/microlib/ws/events?access_token=${await issuer.sign({})}`);
    stream.send({ type: 'subscribe', sub: 'n', model: 'note' });
    stream.send({ type: 'subscribe', sub: 't', model: 'thing' });
    const answers = await stream.until(2, 'subscription answers');
    assert.deepEqual(answers.map((m) => [m.type, m.sub]), [['error', 'n'], ['subscribed', 't']]);
    tally.check('no identity: subscribe to notes', { status: answers[0]!.type === 'error' ? 403 : 200, body: answers[0] }, 403);
    stream.socket.close();
  });

  it('refuses (401) identities that are empty, not strings, too long or hold control characters', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['sub "\\u0000"', { sub: '\u0000' }, /claim "sub" rejected: it holds control characters/],
      ['sub with a NUL inside', { sub: 'alice\u0000' }, /claim "sub" rejected: it holds control characters/],
      ['sub with a line break', { sub: 'alice\nadmin' }, /claim "sub" rejected: it holds control characters/],
      ['sub with a C1 control', { sub: 'alice\u0085' }, /claim "sub" rejected: it holds control characters/],
      ['sub with a line separator', { sub: 'alice\u2028' }, /claim "sub" rejected: it holds control characters/],
      ['sub with a lone surrogate', { sub: 'alice\ud800' }, /claim "sub" rejected: it holds control characters/],
      ['empty sub', { sub: '' }, /claim "sub" rejected: empty/],
      ['numeric sub', { sub: 42 }, /claim "sub" rejected: not a string/],
      ['sub too long', { sub: 'a'.repeat(1025) }, /claim "sub" rejected: longer than 1024/],
      ['client_id "\\u0000"', { client_id: '\u0000' }, /claim "client_id" rejected: it holds control characters/],
      ['empty azp', { azp: '' }, /claim "azp" rejected: empty/],
    ];
    for (const [what, claims, reason] of cases) {
      const before = reasons().length;
      const answer = await host.request(notes, { headers: await as(claims) });
      tally.check(what, answer, 401);
      assert.equal(answer.body.error.code, 'MLB_ERR_UNAUTHORIZED');
      await until(() => reasons().length > before, `the log line of "${what}"`, 2_000);
      assert.match(reasons().at(-1)!, reason, what);
    }
  });

  it('requires exp, and refuses iat and nbf beyond the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, TimeClaims, RegExp]> = [
      ['no exp', { exp: false }, /no "exp"/],
      ['iat a year ahead', { iat: now + 365 * 86_400, exp: now + 366 * 86_400 }, /claim "iat" rejected: issued \d+ s in the future/],
      ['iat a minute ahead', { iat: now + 60 }, /claim "iat" rejected/],
      ['nbf a minute ahead', { nbf: now + 60 }, /"nbf"/],
    ];
    for (const [what, time, reason] of cases) {
      const before = reasons().length;
      tally.check(what, await host.request(things, { headers: await as({ sub: 'ada' }, time) }), 401);
      await until(() => reasons().length > before, `the log line of "${what}"`, 2_000);
      assert.match(reasons().at(-1)!, reason, what);
    }
    // Within the tolerance (5 s by default) a clock slightly ahead is fine.
    tally.check('iat 2 s ahead', await host.request(things, { headers: await as({ sub: 'ada' }, { iat: now + 2 }) }), 200);
    tally.check('nbf 2 s ahead', await host.request(things, { headers: await as({ sub: 'ada' }, { nbf: now + 2 }) }), 200);
  });

  it('takes requireExp and ownerClaims from the key set', async (t) => {
    const keySet = await issuer.keySet('lenient', { requireExp: false, ownerClaims: ['sub'] });
    const lenient = await hostFor(t, async ({ workDir }) => ({
      remotes: [await localModelsRemote(workDir, models)],
      env: { AUTH_ENABLED: 'true', AUTH_KEY_SET: keySet },
    }));
    tally.check('no exp with requireExp false', await lenient.request(things, { headers: await as({ sub: 'ada' }, { exp: false }) }), 200);
    const created = await lenient.request(notes, { method: 'POST', body: { text: 'x' }, headers: await as({ sub: 'ada' }) });
    tally.check('sub owns with ownerClaims ["sub"]', created, 201);
    assert.equal(created.body.owner, 'ada');
    tally.check('client_id is no identity with ownerClaims ["sub"]', await lenient.request(notes, { headers: await as({ client_id: 'service-A' }) }), 403);
  });

  it('reports its tally', (t) => {
    t.diagnostic(tally.summary());
  });
});
