// Cluster mode (CLUSTER_ENABLED=true, CLUSTER_WORKERS=2): a record created through one worker is
// read through the other; a worker killed under load costs at most the requests it held and is
// replaced in its slot; a hot deploy under load reaches both workers with no failed request, and a
// replacement started later loads the deployed version, not whatever the source has by then; on
// SIGTERM the primary stops its workers and exits 0.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exampleBuild } from './support/example-builds.js';
import { plainRequest, type PlainResponse } from './support/plain-http.js';
import { until } from './support/until.js';
import { withHost, type HostFixture } from './support/with-host.js';
import { connect } from './support/ws-client.js';

const CLIENTS = 4;

interface ClusterInfo {
  answeredBy: { slot: number; pid: number };
  workers: Array<{ slot: number; pid: number; listening: boolean; restarts: number }>;
}

async function writeBuild(dir: string, n: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(await exampleBuild(n))) await writeFile(path.join(dir, name), bytes);
}

const workerOf = (response: PlainResponse) => Number(response.headers['x-microlib-worker']);

/** Repeats `request` (fresh connections) until answers from both slots came back; bounded. */
async function fromBothWorkers(request: () => Promise<PlainResponse>): Promise<Map<number, PlainResponse>> {
  const seen = new Map<number, PlainResponse>();
  for (let i = 0; i < 100 && seen.size < 2; i++) {
    const response = await request();
    seen.set(workerOf(response), response);
  }
  assert.deepEqual([...seen.keys()].sort(), [1, 2], 'both workers answered');
  return seen;
}

/**
 * `CLIENTS` clients each sending one request at a time, a fresh connection each (so a killed
 * worker costs only the request it was answering, never a pooled connection a client would
 * reuse later), until `stop()`; bounded in count and time.
 */
function startLoad(host: HostFixture, step: (client: number, i: number) => Promise<string | undefined>) {
  let stopped = false;
  const failures: string[] = [];
  let answered = 0;
  const deadline = Date.now() + 120_000;
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let i = 0; !stopped && Date.now() < deadline && i < 20_000; i++) {
      try {
        const problem = await step(client, i);
        if (problem) failures.push(problem);
        else answered++;
      } catch (error) {
        failures.push(`request failed: ${(error as Error).message}`);
      }
    }
  });
  return {
    failures,
    answered: () => answered,
    async stop() {
      stopped = true;
      await Promise.all(clients);
    },
  };
}

async function clusterInfo(host: HostFixture): Promise<ClusterInfo> {
  const response = await plainRequest(`${host.url}/microlib/api/cluster`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body as ClusterInfo;
}

/** Waits (bounded) until `slot` runs a listening worker other than `oldPid`; returns its pid. */
async function replacementOf(host: HostFixture, slot: number, oldPid: number): Promise<number> {
  const worker = await until(async () => {
    // Right after a kill, a connection may still be handed to the dead worker: that request fails, the next one is asked.
    const info = await clusterInfo(host).catch(() => undefined);
    const worker = info?.workers.find((w) => w.slot === slot);
    return worker && worker.pid !== oldPid && worker.listening ? worker : undefined;
  }, `a replacement worker in slot ${slot}`, 60_000);
  return worker.pid;
}

/** Waits (bounded) until the load has had `more` answers past those it has now. */
function moreAnswers(load: { answered(): number }, more: number, what: string) {
  const from = load.answered();
  return until(() => load.answered() >= from + more, what, 10_000);
}

/** An answer from `slot` (after a replacement, its only live worker is the new one); bounded. */
async function fromSlot(slot: number, request: () => Promise<PlainResponse>): Promise<PlainResponse> {
  for (let i = 0; i < 100; i++) {
    const response = await request();
    if (workerOf(response) === slot) return response;
  }
  throw new Error(`worker ${slot} never answered`);
}

describe('cluster mode', () => {
  let remoteDir: string;
  const host = withHost(async ({ workDir }) => {
    remoteDir = path.join(workDir, 'remote');
    await writeBuild(remoteDir, 1);
    return {
      remotes: [{ name: 'orderService', kind: 'local', path: remoteDir }],
      env: { CLUSTER_ENABLED: 'true', CLUSTER_WORKERS: '2', MICROLIB_DEV_MODE: 'true' },
      startTimeoutMs: 60_000,
    };
  });

  it('reads through one worker what was created through the other (file datasource owned by the primary)', async () => {
    const created = await plainRequest(`${host.url}/microlib/api/models/customers`, { method: 'POST', body: { firstName: 'Ada', lastName: 'L', email: 'ada@example.com' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const reads = await fromBothWorkers(() => plainRequest(`${host.url}/microlib/api/models/customers/${created.body.id}`));
    for (const [slot, read] of reads) {
      assert.equal(read.status, 200, `worker ${slot}`);
      assert.deepEqual(read.body, created.body, `worker ${slot} reads the record as created`);
    }
    const lists = await fromBothWorkers(() => plainRequest(`${host.url}/microlib/api/models/customers?count`));
    assert.deepEqual([...lists.values()].map((list) => list.body.total), [1, 1], 'list counts agree');
  });

  it('streams the events of every worker to WebSocket clients of any worker, once each', async () => {
    const clients = [await connect(`${host.url.replace('http', 'ws')}/microlib/ws/events`), await connect(`${host.url.replace('http', 'ws')}/microlib/ws/events`)];
    try {
      for (const client of clients) {
        client.send({ type: 'subscribe', sub: 'c', model: 'customer', events: ['created'] });
        await client.until(1, 'subscribed');
      }
      const created = await fromBothWorkers(() => plainRequest(`${host.url}/microlib/api/models/customers`, { method: 'POST', body: { firstName: 'W', lastName: 'S', email: 'ws@example.com' } }));
      const ids = [...created.values()].map((response) => response.body.id as string);
      for (const client of clients) {
        const seen = () => client.messages.filter((m) => m.type === 'event').map((m) => m.event.data.id as string);
        await until(() => ids.every((id) => seen().includes(id)), 'the events of both workers on every client', 10_000);
        for (const id of ids) assert.equal(seen().filter((s) => s === id).length, 1, `event of ${id} arrives once`);
      }
    } finally {
      for (const client of clients) client.socket.close();
    }
  });

  it('loses at most the requests a killed worker held, and replaces it in its slot', async () => {
    const before = await clusterInfo(host);
    const victim = before.workers.find((w) => w.slot === 2)!;
    const load = startLoad(host, async (client, i) => {
      const response =
        i % 2 === 0
          ? await plainRequest(`${host.url}/microlib/api/models/customers`, { method: 'POST', body: { firstName: `K${client}`, lastName: `${i}`, email: `k${client}.${i}@example.com` } })
          : await plainRequest(`${host.url}/microlib/api/models/customers?limit=5`);
      return response.status === 201 || response.status === 200 ? undefined : `${response.status} ${JSON.stringify(response.body)}`;
    });
    try {
      await moreAnswers(load, 40, 'the load to get going');
      process.kill(victim.pid, 'SIGKILL');
      const pid = await replacementOf(host, 2, victim.pid);
      await moreAnswers(load, 40, 'answers after the replacement');
      await load.stop();
      assert.ok(load.failures.length <= CLIENTS, `${load.failures.length} failed requests: ${load.failures.slice(0, 5).join('; ')}`);
      assert.ok(load.answered() > 80, `only ${load.answered()} requests answered`);
      const after = await clusterInfo(host);
      assert.equal(after.workers.find((w) => w.slot === 2)?.restarts, 1);
      assert.ok(host.logs.some((l) => l.msg === 'worker died; replacing it' && l.slot === 2), 'the death is logged');
      assert.notEqual(pid, victim.pid);
      const served = await fromSlot(2, () => plainRequest(`${host.url}/microlib/api/models/customers?limit=1`));
      assert.equal(served.status, 200, 'the new worker answers');
    } finally {
      await load.stop();
    }
  });

  it('hot-deploys to every worker under load with no failed request; a later replacement loads the deployed version', async () => {
    const load = startLoad(host, async (client, i) => {
      const response = await plainRequest(`${host.url}/microlib/api/models/customers`, { method: 'POST', body: { firstName: `D${client}`, lastName: `${i}`, email: `d${client}.${i}@example.com` } });
      if (response.status !== 201) return `${response.status} ${JSON.stringify(response.body)}`;
      return response.body.build === 1 || response.body.build === 2 ? undefined : `unexpected build ${response.body.build}`;
    });
    let reload: PlainResponse;
    try {
      await moreAnswers(load, 40, 'the load to get going');
      await writeBuild(remoteDir, 2);
      reload = await plainRequest(`${host.url}/microlib/reload`, { method: 'POST' });
      await moreAnswers(load, 40, 'answers after the deploy');
    } finally {
      await load.stop();
    }
    assert.equal(reload.status, 200, JSON.stringify(reload.body));
    const [result] = reload.body.results;
    assert.equal(result.outcome, 'reloaded');
    assert.deepEqual(
      result.workers.map((w: { slot: number; outcome: string; to: string }) => [w.slot, w.outcome, w.to]).sort(),
      [[1, 'reloaded', result.to], [2, 'reloaded', result.to]],
      'each worker reports loading the same version',
    );
    assert.deepEqual(load.failures.slice(0, 5), [], `${load.failures.length} failed requests`);
    assert.ok(load.answered() > 80, `only ${load.answered()} requests answered`);
    const create = () => plainRequest(`${host.url}/microlib/api/models/customers`, { method: 'POST', body: { firstName: 'N', lastName: 'V', email: 'n@example.com' } });
    for (const [slot, created] of await fromBothWorkers(create)) assert.equal(created.body.build, 2, `worker ${slot} serves the new build`);

    // The source moves on without a deploy: a replacement must still load what the others run.
    await writeBuild(remoteDir, 3);
    const victim = (await clusterInfo(host)).workers.find((w) => w.slot === 1)!;
    process.kill(victim.pid, 'SIGKILL');
    await replacementOf(host, 1, victim.pid);
    const served = await fromSlot(1, create);
    assert.equal(served.status, 201);
    assert.equal(served.body.build, 2, 'the replacement serves the deployed build');
    for (const [slot, created] of await fromBothWorkers(create)) assert.equal(created.body.build, 2, `worker ${slot} serves the deployed build`);
  });

  it('stops on SIGTERM: the primary stops its workers and exits 0', async () => {
    const { workers } = await clusterInfo(host);
    assert.equal(await host.stop(), 0);
    for (const worker of workers) assert.throws(() => process.kill(worker.pid, 0), /ESRCH/, `worker ${worker.slot} is gone`);
  });
});
