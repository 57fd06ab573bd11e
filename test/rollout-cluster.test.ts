// An automatic rollout in cluster mode (CLUSTER_WORKERS=2): a reload through either worker starts
// the canary on every worker, the worker in slot 1 steps it up and promotes it, and every worker
// follows (same version, the promotion in its reload history and as its last rollout).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerOf, localModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { requestJson, type JsonResponse } from './support/json-request.js';
import { until } from './support/until.js';
import { withHost } from './support/with-host.js';

const spec = (v: number) => `[{ modelName: 'thing', endpoint: 'things', datasource: 'file', factory: () => (x) => ({ ...x, v: ${v} }) }]`;

describe('an automatic rollout in cluster mode', () => {
  let remoteDir = '';
  const host = withHost(async ({ workDir }) => {
    const remote = await localModelsRemote(workDir, spec(1));
    remoteDir = remote.path;
    const rollout = { steps: [20, 100], stepSeconds: 1, minRequests: 10, maxP99Ratio: 10, minP99Ms: 50 };
    return { remotes: [{ ...remote, rollout }], env: { CLUSTER_ENABLED: 'true', CLUSTER_WORKERS: '2', MICROLIB_DEV_MODE: 'true' }, startTimeoutMs: 60_000 };
  });
  /** A request on a fresh connection, so the two workers share them. */
  const fresh = (path: string, init: { method?: string } = {}): Promise<JsonResponse> =>
    requestJson(`${host.url}${path}`, { ...init, agent: false, headers: { connection: 'close' }, timeoutMs: 15_000 });

  /** What each worker lists of the remote (bounded: 20 tries to hear from both). */
  async function byWorker(): Promise<Map<number, { version: string; canary: { weight: number } | null; lastRollout: { outcome: string } | null; reloads: Array<{ reason: string; outcome: string }> }>> {
    const seen = new Map();
    for (let i = 0; i < 20 && seen.size < 2; i++) {
      const answer = await fresh('/microlib/api/remotes');
      seen.set(Number(answer.headers['x-microlib-worker']), answer.body.remotes[0]);
    }
    assert.equal(seen.size, 2, 'both workers answered');
    return seen;
  }

  it('starts the canary on every worker, steps and promotes it from slot 1, and every worker follows', async () => {
    const v1 = (await fresh('/microlib/api/remotes')).body.remotes[0].version as string;
    await writeRemoteEntry(remoteDir, containerOf({ './models': spec(2) }));
    const reload = await fresh('/microlib/reload?remote=kit', { method: 'POST' });
    assert.equal(reload.status, 200, JSON.stringify(reload.body));
    const v2 = reload.body.results[0].canary.version as string;
    assert.equal(reload.body.results[0].canary.weight, 20);
    await until(async () => [...(await byWorker()).values()].every((r) => r.canary?.weight === 20 || r.version === v2), 'both workers to run the canary');

    await until(
      async () => {
        for (let i = 0; i < 20; i++) await fresh('/microlib/api/models/things');
        return [...(await byWorker()).values()].every((r) => r.lastRollout?.outcome === 'promoted');
      },
      'the promotion on every worker',
      30_000,
    );
    for (const remote of (await byWorker()).values()) {
      assert.equal(remote.version, v2);
      assert.equal(remote.canary, null);
      assert.ok(remote.reloads.some((r) => r.reason === 'rollout' && r.outcome === 'promoted'));
      assert.ok(remote.reloads.some((r) => r.reason === 'rollout' && r.outcome === 'started'));
    }
    assert.notEqual(v1, v2);
  });
});
