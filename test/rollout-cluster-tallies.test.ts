// Cluster rollouts judge every worker's requests (issue 17): the worker in slot 1 drives the rollout,
// the other workers send it their per-version tallies. A canary that fails only on the worker in
// slot 2 (its create throws there, succeeds in slot 1) is still rolled back, on every worker, and the
// analysis the rollback records counts the failures slot 2 answered.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerOf, localModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { requestJson, type JsonResponse } from './support/json-request.js';
import { until } from './support/until.js';
import { withHost } from './support/with-host.js';

const GOOD = `[{ modelName: 'thing', endpoint: 'things', datasource: 'file', factory: () => (x) => ({ ...x, v: 1 }) }]`;
/** Fails every create answered by the worker in slot 2 only. */
const BROKEN_ON_SLOT_2 = `[{ modelName: 'thing', endpoint: 'things', datasource: 'file', factory: () => (x) => {
  if (process.env.MICROLIB_WORKER_SLOT === '2') throw new Error('broken on slot 2');
  return { ...x, v: 2 };
} }]`;

interface Listing {
  version: string;
  canary: { version: string; weight: number } | null;
  lastRollout: null | { outcome: string; attempted: string; error?: string; analysis?: { canary: { requests: number; errors: number } } };
}

describe('cluster rollouts judge every worker', () => {
  let remoteDir = '';
  const host = withHost(async ({ workDir }) => {
    const remote = await localModelsRemote(workDir, GOOD);
    remoteDir = remote.path;
    // In-process models see the worker's slot (a thread's environment is the remote's own).
    // Slot 1 alone sees only successes: without the other worker's tallies it would step up and promote after 3 s.
    const rollout = { steps: [50, 100], stepSeconds: 3, minRequests: 20, maxErrorRate: 0.1, maxP99Ratio: 10, minP99Ms: 200 };
    return { remotes: [{ ...remote, rollout }], env: { CLUSTER_ENABLED: 'true', CLUSTER_WORKERS: '2', MICROLIB_DEV_MODE: 'true', REMOTE_ISOLATION: 'none' }, startTimeoutMs: 60_000 };
  });
  /** A request on a fresh connection, so the two workers share them. */
  const fresh = (path: string, init: { method?: string; body?: unknown } = {}): Promise<JsonResponse> =>
    requestJson(`${host.url}${path}`, { ...init, agent: false, headers: { connection: 'close' }, timeoutMs: 15_000 });

  async function byWorker(): Promise<Map<number, Listing>> {
    const seen = new Map<number, Listing>();
    for (let i = 0; i < 20 && seen.size < 2; i++) {
      const answer = await fresh('/microlib/api/remotes');
      seen.set(Number(answer.headers['x-microlib-worker']), answer.body.remotes[0]);
    }
    assert.equal(seen.size, 2, 'both workers answered');
    return seen;
  }

  it('rolls back a canary whose failures only the worker in slot 2 answers', async () => {
    const v1 = (await fresh('/microlib/api/remotes')).body.remotes[0].version as string;
    await writeRemoteEntry(remoteDir, containerOf({ './models': BROKEN_ON_SLOT_2 }));
    const reload = await fresh('/microlib/reload?remote=kit', { method: 'POST' });
    assert.equal(reload.status, 200, JSON.stringify(reload.body));
    const v2 = reload.body.results[0].canary.version as string;
    await until(async () => [...(await byWorker()).values()].every((r) => r.canary?.version === v2), 'both workers to run the canary');

    const failedBy = new Map<number, number>();
    await until(
      async () => {
        for (let i = 0; i < 20; i++) {
          const answer = await fresh('/microlib/api/models/things', { method: 'POST', body: {} });
          if (answer.status >= 400) failedBy.set(Number(answer.headers['x-microlib-worker']), (failedBy.get(Number(answer.headers['x-microlib-worker'])) ?? 0) + 1);
        }
        return [...(await byWorker()).values()].every((r) => r.lastRollout !== null);
      },
      'the rollout to end on every worker',
      30_000,
    );
    assert.deepEqual([...failedBy.keys()], [2], 'only slot 2 answered failures');
    for (const [slot, remote] of await byWorker()) {
      assert.equal(remote.lastRollout?.outcome, 'rolledBack', `slot ${slot}: ${JSON.stringify(remote.lastRollout)}`);
      assert.equal(remote.lastRollout?.attempted, v2);
      assert.equal(remote.version, v1);
      assert.equal(remote.canary, null);
    }
    const driver = (await byWorker()).get(1)!;
    assert.ok((driver.lastRollout?.analysis?.canary.errors ?? 0) > 0, `the analysis counted slot 2's failures: ${JSON.stringify(driver.lastRollout)}`);
    // After the rollback every create succeeds, on both workers.
    for (let i = 0; i < 10; i++) assert.equal((await fresh('/microlib/api/models/things', { method: 'POST', body: {} })).status, 201);
  });
});
