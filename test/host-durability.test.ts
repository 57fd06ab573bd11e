// The file datasource through the whole host: data survives a restart, every write the host
// acknowledged survives `kill -9` in the middle of a burst, and a log emptied while the host was
// down is refused (the model is not served, readiness says why) until FILE_ACCEPT_DATA_LOSS=1.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { truncate } from 'node:fs/promises';
import path from 'node:path';
import { exampleRemoteDist } from './support/host-process.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { hostFor } from './support/with-host.js';

const remotes = [{ name: 'orderService', kind: 'local', path: exampleRemoteDist }];

describe('file datasource durability through the host', () => {
  it('finds its data after a restart', async (t) => {
    const host = await hostFor(t, { remotes });
    const created = await host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: 'R', lastName: 'S', email: 'r@s.io' } });
    assert.equal(created.status, 201);
    const patched = await host.request(`/microlib/api/models/customers/${created.body.id}`, { method: 'PATCH', body: { tier: 'gold' } });
    assert.equal(patched.status, 200);
    await host.restart();
    const read = await host.request(`/microlib/api/models/customers/${created.body.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, patched.body);
  });

  it('keeps every acknowledged write when killed with SIGKILL during a burst', async (t) => {
    const host = await hostFor(t, { remotes });
    const acknowledged: string[] = [];
    let stop = false;
    const deadline = Date.now() + 20_000;
    // 20 concurrent writers; the host is killed after 300 acknowledgements.
    const writer = async (n: number) => {
      for (let i = 0; !stop && Date.now() < deadline && i < 10_000; i++) {
        try {
          const res = await host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: `W${n}`, lastName: `N${i}`, email: `w${n}.${i}@example.com` } });
          if (res.status === 201) acknowledged.push(res.body.id);
        } catch {
          return; // connection cut by the kill: the write was not acknowledged
        }
        if (acknowledged.length >= 300 && !stop) {
          stop = true;
          await host.kill();
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, n) => writer(n)));
    assert.ok(acknowledged.length >= 300, `only ${acknowledged.length} writes acknowledged`);

    await host.restart();
    // The killed host left its lock on DATA_DIR behind: the new one takes it over, saying so.
    assert.ok(host.logs.some((entry) => /locked by process \d+, which is gone/.test(String(entry.msg))), 'the stale lock was taken over');
    const missing: string[] = [];
    for (const id of acknowledged) {
      const res = await host.request(`/microlib/api/models/customers/${id}`);
      if (res.status !== 200) missing.push(id);
    }
    assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged writes lost`);
    const count = await host.request('/microlib/api/models/customers?count&limit=1');
    assert.ok(count.body.total >= acknowledged.length);
    const more = await host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: 'After', lastName: 'Crash', email: 'a@c.io' } });
    assert.equal(more.status, 201, 'the store is writable after recovery');
  });

  it('refuses a log emptied while the host was down, until FILE_ACCEPT_DATA_LOSS=1 accepts the loss', async (t) => {
    const things = `[{ modelName: 'thing', endpoint: 'things', datasource: 'file', factory: () => (x) => ({ ...x }) }]`;
    const host = await hostFor(t, async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, things)] }));
    for (const name of ['one', 'two']) assert.equal((await host.request('/microlib/api/models/things', { method: 'POST', body: { name } })).status, 201);
    assert.equal(await host.stop(), 0);
    await truncate(path.join(host.workDir, 'data', 'thing.log'), 0);

    await host.restart();
    const ready = await host.request('/microlib/ready');
    assert.equal(ready.status, 503);
    assert.match(ready.body.reason, /remote "kit" has not loaded: .*thing\.log holds 0 records, fewer than acknowledged.*FILE_ACCEPT_DATA_LOSS=1/);
    assert.equal((await host.request('/microlib/api/models/things')).status, 404, 'nothing is served from the emptied log');

    await host.restart((last) => ({ ...last, env: { ...last.env, FILE_ACCEPT_DATA_LOSS: '1' } }));
    assert.equal((await host.request('/microlib/ready')).status, 200);
    assert.equal((await host.request('/microlib/api/models/things?count&limit=1')).body.total, 0);
    assert.ok(host.logs.some((entry) => /DATA LOSS ACCEPTED/.test(String(entry.msg))), 'the accepted loss is logged');
  });
});
