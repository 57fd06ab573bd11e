// The host's own endpoints with authentication on, against a host child process: ADMIN_TOKEN opens
// them as an admin JWT does (the CLI's status, remotes and rollback use it), /metrics is admin-only,
// and METRICS_PORT serves /metrics alone without authentication on its own (loopback) listener.
// The suite reports its tally.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { authTally } from './support/auth-tally.js';
import { containerSource, localModelsRemote } from './support/fixture-remotes.js';
import { freePort } from './support/free-port.js';
import { request } from './support/host-process.js';
import { startTokenIssuer, type TokenIssuer } from './support/token-issuer.js';
import { until } from './support/until.js';
import { withHost } from './support/with-host.js';

const ADMIN_TOKEN = 'an-admin-token-for-the-tests-0123456789';
const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;

describe('the admin API and metrics with authentication on', () => {
  let issuer: TokenIssuer;
  let metricsPort = 0;
  let remotePath = '';
  const tally = authTally();
  const host = withHost(async ({ workDir, defer }) => {
    issuer = await startTokenIssuer(workDir);
    defer(() => issuer.close());
    metricsPort = await freePort();
    const remote = await localModelsRemote(workDir, models);
    remotePath = remote.path;
    return {
      remotes: [remote],
      env: { AUTH_ENABLED: 'true', AUTH_KEY_SET: issuer.keySetPath, ADMIN_TOKEN, METRICS_PORT: String(metricsPort), AUTH_MAX_FAILURES_PER_MINUTE: '1000' },
    };
  });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const admin = () => issuer.headers({ sub: 'ops', permissions: ['microlib:admin'] });
  const reader = () => issuer.headers({ sub: 'r', permissions: ['thing:read'] });

  it('takes ADMIN_TOKEN for the admin API, reloads and rollbacks', async () => {
    tally.check('remotes with ADMIN_TOKEN', await host.request('/microlib/api/remotes', { headers: bearer(ADMIN_TOKEN) }), 200);
    tally.check('remotes with a wrong admin token', await host.request('/microlib/api/remotes', { headers: bearer(`${ADMIN_TOKEN}x`) }), 401);
    tally.check('remotes without a token', await host.request('/microlib/api/remotes'), 401);
    tally.check('remotes with a non-admin JWT', await host.request('/microlib/api/remotes', { headers: await reader() }), 403);

    // A second version (a changed remoteEntry.js), then back to the first, both with ADMIN_TOKEN.
    const first = (await host.request('/microlib/api/remotes', { headers: bearer(ADMIN_TOKEN) })).body.remotes[0].version as string;
    await writeFile(path.join(remotePath, 'remoteEntry.js'), `// second version\n${containerSource(models)}`);
    tally.check('reload with ADMIN_TOKEN', await host.request('/microlib/reload', { method: 'POST', headers: bearer(ADMIN_TOKEN) }), 200);
    const second = (await host.request('/microlib/api/remotes', { headers: bearer(ADMIN_TOKEN) })).body.remotes[0].version as string;
    assert.notEqual(second, first, 'the reload made a new version');

    const rollback = '/microlib/api/remotes/kit/rollback';
    tally.check('rollback without a token', await host.request(rollback, { method: 'POST' }), 401);
    tally.check('rollback with a wrong admin token', await host.request(rollback, { method: 'POST', headers: bearer(`x${ADMIN_TOKEN}`) }), 401);
    tally.check('rollback with a non-admin JWT', await host.request(rollback, { method: 'POST', headers: await reader() }), 403);
    const rolledBack = await host.request(rollback, { method: 'POST', headers: bearer(ADMIN_TOKEN) });
    tally.check('rollback with ADMIN_TOKEN', rolledBack, 200);
    const now = (await host.request('/microlib/api/remotes', { headers: await admin() })).body.remotes[0].version as string;
    assert.equal(now, first, 'the first version serves again');
    // Nothing older is kept now: the answer is the route's own, not an authentication refusal.
    tally.check('rollback with an admin JWT, nothing older kept', await host.request(rollback, { method: 'POST', headers: await admin() }), 409);
  });

  it('keeps /metrics to admins', async () => {
    const anonymous = await host.request('/metrics');
    tally.check('/metrics without a token', anonymous, 401);
    assert.equal(anonymous.body.error.code, 'MLB_ERR_UNAUTHORIZED');
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="microlib"');
    const nonAdmin = await host.request('/metrics', { headers: await reader() });
    tally.check('/metrics with a non-admin JWT', nonAdmin, 403);
    assert.equal(nonAdmin.body.error.code, 'MLB_ERR_FORBIDDEN');
    tally.check('/metrics with a bad token', await host.request('/metrics', { headers: bearer('not.a.jwt') }), 401);
    const scraped = await host.request('/metrics', { headers: await admin() });
    tally.check('/metrics with an admin JWT', scraped, 200);
    assert.match(String(scraped.body), /^microlib_http_requests_total|microlib_/m);
    tally.check('/metrics with ADMIN_TOKEN', await host.request('/metrics', { headers: bearer(ADMIN_TOKEN) }), 200);
  });

  it('serves /metrics alone, without authentication, on METRICS_PORT (loopback)', async () => {
    await until(() => host.logs.some((l) => l.metricsPort === metricsPort), 'the metrics listener\'s log line', 2_000);
    const line = host.logs.find((l) => l.metricsPort === metricsPort)!;
    assert.equal(line.metricsHost, '127.0.0.1', 'loopback by default');
    const base = `http://127.0.0.1:${metricsPort}`;
    const scraped = await request(`${base}/metrics`);
    tally.check('metrics port: GET /metrics', scraped, 200);
    assert.match(String(scraped.body), /microlib_/);
    tally.check('metrics port: another path', await request(`${base}/microlib/api/config`), 404);
    tally.check('metrics port: POST /metrics', await request(`${base}/metrics`, { method: 'POST' }), 405);
  });

  it('reports its tally', (t) => {
    t.diagnostic(tally.summary());
  });
});
