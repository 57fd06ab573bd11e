// Readiness: /microlib/ready answers 200 once the remotes are loaded, and 503 as soon as the
// host is asked to stop, for SHUTDOWN_DELAY_MS, while requests are still answered; then it exits.
// Metrics: /metrics in Prometheus text counts the generated API's requests.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeWorkDir, removeDir, request, startHost } from './support/host-process.js';
import { containerSource, writeRemoteEntry } from './support/fixture-remotes.js';

const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;

describe('readiness', () => {
  it('is ready once loaded, and not ready while stopping, still answering requests meanwhile', async () => {
    const workDir = await makeWorkDir();
    try {
      const dir = await writeRemoteEntry(path.join(workDir, 'remote'), containerSource(models));
      const host = await startHost({ workDir, remotes: [{ name: 'kit', kind: 'local', path: dir }], env: { SHUTDOWN_DELAY_MS: '1500' } });
      assert.deepEqual((await request(`${host.url}/microlib/ready`)).body, { ready: true });
      for (let i = 0; i < 3; i++) await request(`${host.url}/microlib/api/models/things`);
      await request(`${host.url}/microlib/api/models/things/nope`);
      const scrape = await fetch(`${host.url}/metrics`);
      assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await scrape.text();
      assert.match(text, /^microlib_http_requests_total\{model="thing",route="collection",method="GET",status="200"\} 3$/m);
      assert.match(text, /^microlib_http_requests_total\{model="thing",route="item",method="GET",status="404"\} 1$/m);
      assert.match(text, /^microlib_http_request_duration_seconds_count\{model="thing",route="collection",method="GET"\} 3$/m);
      assert.match(text, /^microlib_remote_reloads_total\{remote="kit",reason="startup",outcome="reloaded"\} 1$/m);
      const openapi = await request(`${host.url}/microlib/api/openapi.json`);
      assert.equal(openapi.body.openapi, '3.1.0');
      assert.ok(openapi.body.paths['/microlib/api/models/things'].get, 'the served model is documented');
      const exited = host.stop();
      const deadline = Date.now() + 1_000;
      let ready = await request(`${host.url}/microlib/ready`);
      while (ready.status === 200 && Date.now() < deadline) ready = await request(`${host.url}/microlib/ready`);
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, { ready: false });
      assert.equal((await request(`${host.url}/microlib/api/models/things`)).status, 200, 'requests are still served while draining');
      assert.equal(await exited, 0);
    } finally {
      await removeDir(workDir);
    }
  });
});
