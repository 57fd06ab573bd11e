// Cluster read replicas (CLUSTER_ENABLED=true, CLUSTER_WORKERS=2, file datasource in the primary):
// each worker answers reads from its own replica, fed by the primary's change stream. A client
// reads its own writes through its connection's worker; writes through one worker show on the
// other within a bounded time; a killed worker's replacement catches up (snapshot + stream) and
// serves every record without a single read crossing to the primary; If-Match is still decided
// by the primary across workers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { exampleRemoteDist } from './support/host-process.js';
import { requestJson, type JsonResponse } from './support/json-request.js';
import { plainRequest } from './support/plain-http.js';
import { until } from './support/until.js';
import { withHost, type HostFixture } from './support/with-host.js';

const CUSTOMERS = '/microlib/api/models/customers';

const workerOf = (response: JsonResponse) => Number(response.headers['x-microlib-worker']);

/** A client on one kept-alive connection, so every request reaches the same worker. */
interface PinnedClient {
  slot: number;
  send(path: string, init?: { method?: string; body?: unknown; headers?: http.OutgoingHttpHeaders }): Promise<JsonResponse>;
  close(): void;
}

function pinnedClient(host: HostFixture, agent: http.Agent, slot: number): PinnedClient {
  return {
    slot,
    async send(path, init = {}) {
      const response = await requestJson(`${host.url}${path}`, { ...init, agent, timeoutMs: 15_000 });
      // Tight loops keep the connection busy: a new one (after the server's keep-alive timeout) would spoil the test.
      assert.equal(workerOf(response), slot, `the connection moved from worker ${slot}`);
      return response;
    },
    close: () => agent.destroy(),
  };
}

/** One pinned client per slot (new connections until both workers answered); bounded. */
async function clientsOfBothWorkers(host: HostFixture): Promise<Map<number, PinnedClient>> {
  const clients = new Map<number, PinnedClient>();
  for (let i = 0; i < 40 && clients.size < 2; i++) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const slot = workerOf(await requestJson(`${host.url}/microlib/health`, { agent }));
    if (clients.has(slot)) agent.destroy();
    else clients.set(slot, pinnedClient(host, agent, slot));
  }
  assert.deepEqual([...clients.keys()].sort(), [1, 2], 'both workers answered');
  return clients;
}

/** A client pinned to `slot` (after a replacement, its one live worker); bounded. */
async function clientOf(host: HostFixture, slot: number): Promise<PinnedClient> {
  for (let i = 0; i < 40; i++) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const answer = await requestJson(`${host.url}/microlib/health`, { agent }).catch(() => undefined);
    if (answer && workerOf(answer) === slot) return pinnedClient(host, agent, slot);
    agent.destroy();
  }
  throw new Error(`worker ${slot} never answered`);
}

/** The datasource calls a worker has sent to the primary, by call, from its /metrics. */
async function primaryCalls(client: PinnedClient): Promise<Record<string, number>> {
  const metrics = await client.send('/metrics');
  assert.equal(metrics.status, 200);
  const calls: Record<string, number> = {};
  for (const match of String(metrics.body).matchAll(/^microlib_cluster_primary_calls_total\{call="([^"]+)"\} (\d+)$/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

const customer = (tag: string) => ({ firstName: 'R', lastName: tag, email: `${tag}@example.com` });

describe('cluster read replicas', () => {
  const host = withHost({
    remotes: [{ name: 'orderService', kind: 'local', path: exampleRemoteDist }],
    env: { CLUSTER_ENABLED: 'true', CLUSTER_WORKERS: '2', MICROLIB_DEV_MODE: 'true' },
    startTimeoutMs: 60_000,
  });

  it("a client reads its own writes through its worker, every time, while the other worker writes too", async () => {
    const clients = await clientsOfBothWorkers(host);
    try {
      await Promise.all(
        [...clients.values()].map(async (client) => {
          for (let i = 0; i < 60; i++) {
            const tag = `ryw-${client.slot}-${i}`;
            const created = await client.send(CUSTOMERS, { method: 'POST', body: customer(tag) });
            assert.equal(created.status, 201, JSON.stringify(created.body));
            const id = created.body.id as string;
            assert.deepEqual((await client.send(`${CUSTOMERS}/${id}`)).body, created.body, `worker ${client.slot} reads its create ${i}`);
            const listed = await client.send(`${CUSTOMERS}?lastName=${tag}&count`);
            assert.equal(listed.body.total, 1, `worker ${client.slot} lists its create ${i}`);
            const patched = await client.send(`${CUSTOMERS}/${id}`, { method: 'PATCH', body: { tier: 'gold' }, headers: { 'if-match': `"${created.body.revision}"` } });
            assert.equal(patched.status, 200, JSON.stringify(patched.body));
            const read = await client.send(`${CUSTOMERS}/${id}`);
            assert.equal(read.body.tier, 'gold', `worker ${client.slot} reads its patch ${i}`);
            assert.equal(read.body.revision, patched.body.revision);
            if (i % 4 === 0) {
              assert.equal((await client.send(`${CUSTOMERS}/${id}`, { method: 'DELETE' })).status, 204);
              assert.equal((await client.send(`${CUSTOMERS}/${id}`)).status, 404, `worker ${client.slot} reads its delete ${i}`);
            }
          }
        }),
      );
    } finally {
      for (const client of clients.values()) client.close();
    }
  });

  it("shows one worker's writes on the other within a bounded time", async () => {
    const clients = await clientsOfBothWorkers(host);
    const [one, two] = [clients.get(1)!, clients.get(2)!];
    let slowestMs = 0;
    try {
      for (let i = 0; i < 30; i++) {
        const [writer, reader] = i % 2 === 0 ? [one, two] : [two, one];
        const created = await writer.send(CUSTOMERS, { method: 'POST', body: customer(`vis-${i}`) });
        assert.equal(created.status, 201);
        const started = Date.now();
        const seen = await until(async () => {
          const read = await reader.send(`${CUSTOMERS}/${created.body.id}`);
          return read.status === 200 ? read : undefined;
        }, `worker ${reader.slot} to show a record created through worker ${writer.slot}`, 2_000);
        assert.deepEqual(seen.body, created.body);
        slowestMs = Math.max(slowestMs, Date.now() - started);
      }
      assert.ok(slowestMs < 2_000, `slowest visibility ${slowestMs} ms`);
      const totals = await Promise.all([one, two].map(async (client) => (await client.send(`${CUSTOMERS}?count&limit=1`)).body.total as number));
      assert.equal(totals[0], totals[1], 'both workers count the same records');
    } finally {
      one.close();
      two.close();
    }
  });

  it("replaces a killed worker with one that serves every record (snapshot + stream), answering GETs without asking the primary", async () => {
    const clients = await clientsOfBothWorkers(host);
    const writer = clients.get(1)!;
    clients.get(2)!.close();
    const expected = new Map<string, unknown>();
    const write = async (i: number) => {
      const created = await writer.send(CUSTOMERS, { method: 'POST', body: customer(`kill-${i}`) });
      assert.equal(created.status, 201);
      expected.set(created.body.id as string, created.body);
      if (i % 3 === 0) {
        const patched = await writer.send(`${CUSTOMERS}/${created.body.id}`, { method: 'PATCH', body: { tier: 'gold' } });
        expected.set(created.body.id as string, patched.body);
      }
    };
    try {
      for (let i = 0; i < 100; i++) await write(i);
      const cluster = await writer.send('/microlib/api/cluster');
      const victim = (cluster.body.workers as Array<{ slot: number; pid: number }>).find((w) => w.slot === 2)!;
      process.kill(victim.pid, 'SIGKILL');
      // Writes go on while the replacement starts and takes its snapshot.
      let i = 100;
      const replacement = until(async () => {
        await write(i++);
        const info = await writer.send('/microlib/api/cluster');
        return (info.body.workers as Array<{ slot: number; pid: number; listening: boolean }>).find((w) => w.slot === 2 && w.pid !== victim.pid && w.listening);
      }, 'a replacement worker in slot 2', 60_000);
      await replacement;
      for (let more = 0; more < 20; more++) await write(i++);

      const fresh = await clientOf(host, 2);
      try {
        await until(async () => (await fresh.send(`${CUSTOMERS}?count&limit=1`)).body.total >= expected.size, 'the replacement to hold every record', 5_000);
        const before = await primaryCalls(fresh);
        assert.ok(before['ds.sync'] !== undefined && before['ds.sync'] >= 1, `the replacement took a snapshot: ${JSON.stringify(before)}`);
        for (const [id, record] of expected) {
          const read = await fresh.send(`${CUSTOMERS}/${id}`);
          assert.equal(read.status, 200, `record ${id} on the replacement`);
          assert.deepEqual(read.body, record, `record ${id} on the replacement`);
        }
        const page = await fresh.send(`${CUSTOMERS}?limit=50&sort=lastName`);
        assert.equal(page.status, 200);
        assert.deepEqual(await primaryCalls(fresh), before, `${expected.size} GETs and a list sent nothing to the primary`);
      } finally {
        fresh.close();
      }
    } finally {
      writer.close();
    }
  });

  it('still lets the primary decide If-Match across workers: the current revision passes anywhere, a stale one answers 412', async () => {
    const clients = await clientsOfBothWorkers(host);
    const [one, two] = [clients.get(1)!, clients.get(2)!];
    try {
      for (let i = 0; i < 10; i++) {
        const created = await one.send(CUSTOMERS, { method: 'POST', body: customer(`cas-${i}`) });
        const path = `${CUSTOMERS}/${created.body.id}`;
        // At once through the other worker: its If-Match check reads what the primary has.
        const passed = await two.send(path, { method: 'PATCH', body: { tier: 'gold' }, headers: { 'if-match': `"${created.body.revision}"` } });
        assert.equal(passed.status, 200, JSON.stringify(passed.body));
        const stale = await one.send(path, { method: 'PATCH', body: { tier: 'standard' }, headers: { 'if-match': `"${created.body.revision}"` } });
        assert.equal(stale.status, 412, JSON.stringify(stale.body));
        assert.equal((await one.send(path)).body.revision, passed.body.revision, 'after a 412 the worker reads the revision that won');
        // Both workers race one revision: exactly one wins.
        const race = await Promise.all([one, two].map((client) => client.send(path, { method: 'PATCH', body: { lastName: `race-${client.slot}` }, headers: { 'if-match': `"${passed.body.revision}"` } })));
        assert.deepEqual(race.map((r) => r.status).sort(), [200, 412], JSON.stringify(race.map((r) => r.body)));
        const removedStale = await two.send(path, { method: 'DELETE', headers: { 'if-match': `"${passed.body.revision}"` } });
        assert.equal(removedStale.status, 412);
      }
    } finally {
      one.close();
      two.close();
    }
    // A fresh connection per request (any worker) sees the same records too.
    const listed = await plainRequest(`${host.url}${CUSTOMERS}?email=cas-0%40example.com&count`);
    assert.equal(listed.body.total, 1);
  });
});
