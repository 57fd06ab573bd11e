// Zero-downtime: 50 clients keep writing and reading while 20 reloads alternate between good
// and broken commits. No request fails, none gets a 5xx, and every answer comes from one
// consistent version (the route table and the model code of the same build).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createGitRepo, type TestRepo } from './support/git-repo.js';
import { startGitHubApiServer } from './support/github-api-server.js';
import { brokenBuild, exampleBuild } from './support/example-builds.js';
import { until } from './support/until.js';
import { pushPayload, sendWebhook } from './support/webhook.js';
import { withHost } from './support/with-host.js';

const SECRET = 'webhook-secret-0123456789';
const CLIENTS = 50;
const RELOADS = 20;

describe('reloads under load', () => {
  let repo: TestRepo;
  const buildOfCommit = new Map<string, number>();
  const host = withHost(async ({ defer }) => {
    repo = await createGitRepo();
    defer(() => repo.cleanup());
    buildOfCommit.set(await repo.commitFiles(await exampleBuild(1, 'dist/'), 'build 1'), 1);
    const github = await startGitHubApiServer({ repos: { 'acme/orders': repo.dir }, rateLimit: 100_000, unauthenticatedRateLimit: 100_000 });
    defer(() => github.close());
    return {
      remotes: [{ name: 'orderService', kind: 'github', owner: 'acme', repo: 'orders', ref: 'main', dir: 'dist' }],
      env: { GITHUB_API_URL: github.url, WEBHOOK_SECRET: SECRET, DATASOURCE_ADAPTER: 'memory' },
    };
  });

  it('serves every request, from one consistent version, across good and broken deploys', async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const servedBuilds = new Set<number>();
    let stop = false;
    const deadline = Date.now() + 120_000;
    const answered = () => [...statuses.values()].reduce((sum, count) => sum + count, 0);

    const client = async (n: number) => {
      for (let i = 0; !stop && Date.now() < deadline && i < 100_000; i++) {
        try {
          const created = await fetch(`${host.url}/microlib/api/models/customers`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ firstName: `C${n}`, lastName: `R${i}`, email: `c${n}.${i}@example.com` }),
          });
          statuses.set(created.status, (statuses.get(created.status) ?? 0) + 1);
          const body = (await created.json()) as { id: string; build: number };
          if (created.status !== 201) {
            failures.push(`POST ${created.status} ${JSON.stringify(body)}`);
            continue;
          }
          const version = created.headers.get('x-microlib-version')?.split('@')[1] ?? '';
          const expected = buildOfCommit.get(version);
          if (expected === undefined || body.build !== expected) failures.push(`build ${body.build} answered as version ${version} (build ${expected})`);
          servedBuilds.add(body.build);
          const read = await fetch(`${host.url}/microlib/api/models/customers/${body.id}`);
          statuses.set(read.status, (statuses.get(read.status) ?? 0) + 1);
          await read.arrayBuffer();
          if (read.status !== 200) failures.push(`GET ${read.status}`);
        } catch (error) {
          failures.push(`request failed: ${(error as Error).message}`);
        }
      }
    };

    // The commits exist before the load starts (git is slow on a busy machine); each webhook names one.
    const deploys: Array<{ sha: string; good: boolean }> = [];
    for (let i = 1; i <= RELOADS; i++) {
      const good = i % 2 === 1;
      const files = good ? await exampleBuild(100 + i, 'dist/') : await brokenBuild(i % 4 === 0 ? 'syntax' : 'throws', 'dist/', String(i));
      const sha = await repo.commitFiles(files, `deploy ${i}`);
      if (good) buildOfCommit.set(sha, 100 + i);
      deploys.push({ sha, good });
    }

    const deployer = async () => {
      const outcomes: string[] = [];
      try {
        for (const { sha, good } of deploys) {
          if (Date.now() > deadline) break;
          const res = await sendWebhook(host.url, { payload: pushPayload('acme/orders', 'main', sha), secret: SECRET });
          outcomes.push(`${good ? "good" : "broken"}:${res.status}:${res.body.results?.[0]?.outcome}`);
          // Each version serves the load a while: two answers a client, on average, before the next deploy.
          const before = answered();
          await until(() => answered() >= before + 2 * CLIENTS, 'the clients to be answered between two deploys', 30_000);
        }
      } finally {
        stop = true;
      }
      return outcomes;
    };

    const [outcomes] = await Promise.all([deployer(), ...Array.from({ length: CLIENTS }, (_, n) => client(n))]);
    assert.equal(outcomes.length, RELOADS);
    for (const [i, outcome] of outcomes.entries()) {
      assert.equal(outcome, i % 2 === 0 ? 'good:200:reloaded' : 'broken:422:failed', `deploy ${i + 1}`);
    }
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failed requests`);
    const served = answered();
    assert.ok(served > 1000, `only ${served} requests made`);
    assert.deepEqual([...statuses.keys()].sort(), [200, 201]);
    assert.ok(servedBuilds.size >= 5, `requests saw only builds ${[...servedBuilds].join(', ')}`);
  });
});
