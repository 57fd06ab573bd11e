// Readiness: /microlib/ready answers 200 once the remotes are loaded, and 503 as soon as the
// host is asked to stop, for SHUTDOWN_DELAY_MS, while requests are still answered; then it exits.
// Metrics: /metrics in Prometheus text counts the generated API's requests.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { localModelsRemote } from './support/fixture-remotes.js';
import { until } from './support/until.js';
import { hostFor } from './support/with-host.js';

const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;

describe('readiness', () => {
  it('is ready once loaded, and not ready while stopping, still answering requests meanwhile', async (t) => {
    const host = await hostFor(t, async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, models)], env: { SHUTDOWN_DELAY_MS: '1500' } }));
    assert.deepEqual((await host.request('/microlib/ready')).body, { ready: true });
    for (let i = 0; i < 3; i++) await host.request('/microlib/api/models/things');
    await host.request('/microlib/api/models/things/nope');
    const scrape = await fetch(`${host.url}/metrics`);
    assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await scrape.text();
    assert.match(text, /^microlib_http_requests_total\{model="thing",route="collection",method="GET",status="200"\} 3$/m);
    assert.match(text, /^microlib_http_requests_total\{model="thing",route="item",method="GET",status="404"\} 1$/m);
    assert.match(text, /^microlib_http_request_duration_seconds_count\{model="thing",route="collection",method="GET"\} 3$/m);
    assert.match(text, /^microlib_remote_reloads_total\{remote="kit",reason="startup",outcome="reloaded"\} 1$/m);
    const openapi = await host.request('/microlib/api/openapi.json');
    assert.equal(openapi.body.openapi, '3.1.0');
    assert.ok(openapi.body.paths['/microlib/api/models/things'].get, 'the served model is documented');
    const exited = host.stop();
    const ready = await until(async () => {
      const answer = await host.request('/microlib/ready');
      return answer.status !== 200 ? answer : undefined;
    }, 'readiness to drop once the host is told to stop', 1_000);
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { ready: false, reason: 'stopping' });
    assert.equal((await host.request('/microlib/api/models/things')).status, 200, 'requests are still served while draining');
    assert.equal(await exited, 0);
  });
});
