// Logs an operator reads: a request id on every answer and in the access log line of
// that request, progress lines while a remote loads, and a clear refusal of a bad
// LOG_LEVEL/LOG_FORMAT.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { serverScript } from './support/host-process.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { until } from './support/until.js';
import { hostFor } from './support/with-host.js';

/** How long an unlogged request is watched for an access line that must not come. */
const NO_ACCESS_LINE_WINDOW_MS = 100;
const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;

describe('logs', () => {
  it('names each request by id in its answer and its access log line, and logs load progress', async (t) => {
    const host = await hostFor(t, async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, models)], env: { LOG_REQUESTS: 'true' } }));
    const created = await fetch(`${host.url}/microlib/api/models/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(created.status, 201);
    const id = created.headers.get('x-request-id');
    assert.ok(id, 'the answer names its request id');
    const line = await until(() => host.logs.find((entry) => entry.requestId === id), 'the access line of the request', 5_000);
    assert.equal(line.method, 'POST');
    assert.equal(line.url, '/microlib/api/models/things');
    assert.equal(line.status, 201);
    assert.equal(typeof line.ms, 'number');

    // A gateway's id is kept, so its logs and ours line up; the host's own endpoints get one too.
    const forwarded = await fetch(`${host.url}/microlib/health`, { headers: { 'x-request-id': 'gateway-7' } });
    assert.equal(forwarded.headers.get('x-request-id'), 'gateway-7');
    await until(() => host.logs.find((entry) => entry.requestId === 'gateway-7' && entry.url === '/microlib/health'), "the gateway's request id in the log", 5_000);

    const stages = host.logs.filter((entry) => entry.remote === 'kit' && typeof entry.stage === 'string').map((entry) => entry.stage);
    assert.ok(stages.includes('resolved'), `stages logged: ${stages.join(', ')}`);
    assert.ok(stages.includes('downloaded') || stages.includes('cached'));
    assert.ok(stages.includes('evaluated'));
    const downloaded = host.logs.find((entry) => entry.stage === 'downloaded');
    if (downloaded) assert.match(String(downloaded.msg), /^kit: downloaded \d+ files, /);

    // Without LOG_REQUESTS (and outside development mode) requests are not logged one by one.
    await host.restart((last) => ({ ...last, env: {} }));
    const answer = await fetch(`${host.url}/microlib/api/models/things`);
    assert.ok(answer.headers.get('x-request-id'));
    // Proving a line is NOT written needs a window: the access line of a logged request comes
    // within milliseconds (the until() calls above see it), so nothing after this one means none.
    await new Promise((resolve) => setTimeout(resolve, NO_ACCESS_LINE_WINDOW_MS));
    assert.equal(host.logs.filter((entry) => entry.msg === 'request').length, 0);
  });

  it('refuses an unknown LOG_LEVEL or LOG_FORMAT at start, naming the variable', () => {
    for (const [name, value] of [['LOG_LEVEL', 'loud'], ['LOG_FORMAT', 'xml']] as const) {
      const run = spawnSync(process.execPath, [serverScript], { env: { ...process.env, [name]: value, PORT: '0' }, encoding: 'utf8', timeout: 10_000 });
      assert.equal(run.status, 1);
      assert.match(run.stderr, new RegExp(`configuration error: ${name}: expected one of`));
    }
  });
});
