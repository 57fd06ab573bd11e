// A canary in cluster mode (CLUSTER_WORKERS=2): started through one worker, every worker applies
// it (the primary spreads it), routes each key to the same version, and a worker started later
// (a replacement) resumes it; promotion reaches every worker.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerOf, localModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { requestJson, type JsonResponse } from './support/json-request.js';
import { until } from './support/until.js';
import { withHost } from './support/with-host.js';

const spec = (v: number) => `{ modelName: 'thing', endpoint: 'things', datasource: 'file', factory: () => (x) => ({ ...x, v: ${v} }) }`;

describe('a canary in cluster mode', () => {
  let remoteDir = '';
  const host = withHost(async ({ workDir }) => {
    const remote = await localModelsRemote(workDir, `[${spec(1)}]`);
    remoteDir = remote.path;
    return { remotes: [remote], env: { CLUSTER_ENABLED: 'true', CLUSTER_WORKERS: '2', MICROLIB_DEV_MODE: 'true' }, startTimeoutMs: 60_000 };
  });
  /** A request on a fresh connection, so the two workers share them. */
  const fresh = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<JsonResponse> =>
    requestJson(`${host.url}${path}`, { ...init, agent: false, headers: { connection: 'close', ...init.headers }, timeoutMs: 15_000 });
  const workerOf = (answer: JsonResponse) => Number(answer.headers['x-microlib-worker']);

  /** For each key, the version every worker answered it with; fails when two workers disagree. Bounded. */
  async function versionsByKey(keys: readonly string[]): Promise<Map<string, string>> {
    const versions = new Map<string, string>();
    for (const key of keys) {
      const workers = new Map<number, string>();
      for (let i = 0; i < 60 && workers.size < 2; i++) {
        const answer = await fresh('/microlib/api/models/things', { headers: { 'x-user': key } });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        workers.set(workerOf(answer), String(answer.headers['x-microlib-version']));
      }
      assert.equal(workers.size, 2, `both workers answered ${key}`);
      const [one, two] = [...workers.values()];
      assert.equal(one, two, `both workers route ${key} to one version`);
      versions.set(key, one!);
    }
    return versions;
  }

  it('routes every key to the same version on every worker, in a replacement worker too, until promotion', async () => {
    const v1 = (await fresh('/microlib/api/remotes')).body.remotes[0].version as string;
    await writeRemoteEntry(remoteDir, containerOf({ './models': `[${spec(2)}]` }));
    const started = await fresh('/microlib/api/remotes/kit/canary', { method: 'POST', body: { weight: 50, sticky: { header: 'x-user' }, mode: 'ab' } });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const v2 = started.body.canary.canary as string;
    assert.deepEqual(started.body.workers.map((w: { outcome: string }) => w.outcome), ['started', 'started']);

    const keys = Array.from({ length: 16 }, (_, i) => `user-${i}`);
    const routed = await versionsByKey(keys);
    const used = new Set(routed.values());
    assert.deepEqual([...used].sort(), [`kit@${v1}`, `kit@${v2}`].sort(), 'keys on both versions');

    // A worker started now (a replacement) resumes the canary from the primary.
    const cluster = (await fresh('/microlib/api/cluster')).body as { workers: Array<{ slot: number; pid: number }> };
    const slot2 = cluster.workers.find((w) => w.slot === 2)!;
    process.kill(slot2.pid, 'SIGKILL');
    await until(async () => {
      const info = await fresh('/microlib/api/cluster').catch(() => undefined);
      const worker = (info?.body as { workers?: Array<{ slot: number; pid: number; listening: boolean }> } | undefined)?.workers?.find((w) => w.slot === 2);
      return worker !== undefined && worker.pid !== slot2.pid && worker.listening;
    }, 'a replacement worker in slot 2', 60_000);
    assert.deepEqual(await versionsByKey(keys), routed, 'the replacement routes every key as before');

    const promoted = await fresh('/microlib/api/remotes/kit/promote', { method: 'POST' });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.deepEqual(promoted.body.workers.map((w: { outcome: string }) => w.outcome), ['promoted', 'promoted']);
    for (const version of (await versionsByKey(keys.slice(0, 4))).values()) assert.equal(version, `kit@${v2}`);
  });
});
