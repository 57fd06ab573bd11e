// The generated API on the mongodb datasource (DATASOURCE_ADAPTER=mongodb), against a
// MongoDB-protocol server: CRUD and queries in the database, 503 while MongoDB is
// unreachable, recovery without a restart, and no acknowledged write lost.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { localModelsRemote } from './support/fixture-remotes.js';
import { restartableMongo, type RestartableMongo } from './support/mongo-server.js';
import { until } from './support/until.js';
import { withHost } from './support/with-host.js';

const models = `[{
  modelName: 'thing', endpoint: 'things', factory: () => (x) => ({ ...x }),
  fields: { name: { type: 'string' }, n: { type: 'integer' } },
  datasource: { adapter: 'mongodb', serverSelectionTimeoutMS: 1000, indexes: [{ fields: { n: 1 }, name: 'by_n' }] },
}]`;

describe('generated API on MongoDB', () => {
  let mongo: RestartableMongo;
  const api = '/microlib/api/models/things';
  const host = withHost(async ({ workDir, defer }) => {
    mongo = await restartableMongo();
    defer(() => mongo.close());
    return {
      remotes: [await localModelsRemote(workDir, models)],
      env: { MONGODB_URL: mongo.url, MONGODB_DATABASE: `host_${process.pid}_${Date.now()}` },
    };
  });

  it('creates, reads, filters, sorts, pages and deletes in the database', async () => {
    for (let n = 1; n <= 5; n++) assert.equal((await host.request(api, { method: 'POST', body: { name: `t${n}`, n } })).status, 201);
    const page = await host.request(`${api}?sort=-n&limit=2&count`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    assert.deepEqual(page.body.data.map((t: { n: number }) => t.n), [5, 4]);
    assert.equal(page.body.total, 5);
    const next = await host.request(`${api}?sort=-n&limit=2&cursor=${encodeURIComponent(page.body.nextCursor)}`);
    assert.deepEqual(next.body.data.map((t: { n: number }) => t.n), [3, 2]);
    const three = await host.request(`${api}?n=3`);
    assert.deepEqual(three.body.data.map((t: { name: string }) => t.name), ['t3']);
    const id = three.body.data[0].id as string;
    const patched = await host.request(`${api}/${id}`, { method: 'PATCH', body: { name: 'three' }, headers: { 'if-match': '"1"' } });
    assert.equal(patched.status, 200);
    assert.equal((await host.request(`${api}/${id}`, { method: 'PATCH', body: { name: 'x' }, headers: { 'if-match': '"1"' } })).status, 412);
    assert.equal((await host.request(`${api}/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await host.request(`${api}/${id}`)).status, 404);
    const range = await host.request(`${api}?n[$gte]=2&n[$lt]=5&sort=-n&count`);
    assert.equal(range.status, 200, JSON.stringify(range.body));
    assert.deepEqual([range.body.data.map((t: { n: number }) => t.n), range.body.total], [[4, 2], 2], 'a range runs in the database');
    const either = await host.request(`${api}?$or[0][n]=1&$or[1][name][$prefix]=t5&sort=n`);
    assert.deepEqual(either.body.data.map((t: { name: string }) => t.name), ['t1', 't5']);
    assert.deepEqual((await host.request(`${api}?name[$in]=t1,t4&n[$nin]=1`)).body.data.map((t: { name: string }) => t.name), ['t4']);
    const operator = await host.request(`${api}?n[$where]=1`);
    assert.equal(operator.status, 400, 'unknown operators never reach the database');
    assert.equal(operator.body.error.code, 'MLB_ERR_BAD_QUERY');
    const config = await host.request('/microlib/api/config');
    assert.equal(config.body.models[0].datasource, 'mongodb');
  });

  it('answers 503 while MongoDB is unreachable and recovers without a restart, losing no acknowledged write', async () => {
    const acknowledged: string[] = [];
    for (let i = 0; i < 10; i++) {
      const created = await host.request(api, { method: 'POST', body: { name: `before-${i}` } });
      assert.equal(created.status, 201);
      acknowledged.push(created.body.id);
    }
    await mongo.stop();
    const started = Date.now();
    const down = await host.request(api, { method: 'POST', body: { name: 'during' } });
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal(down.body.error.code, 'MLB_ERR_UNAVAILABLE');
    assert.match(down.body.error.message, /MongoDB at 127\.0\.0\.1:\d+ is unreachable/);
    assert.ok(!/mongodb:\/\/[^@]*@/.test(down.body.error.message), 'no credentials in the message');
    assert.ok(Date.now() - started < 5_000, 'fails fast');
    assert.equal((await host.request(`${api}?limit=1`)).status, 503);
    assert.equal((await host.request('/microlib/health')).status, 200, 'the host itself stays up');

    await mongo.start();
    await until(async () => (await host.request(api, { method: 'POST', body: { name: 'after' } })).status === 201, 'a write to succeed once MongoDB is back', 15_000);
    for (const id of acknowledged) assert.equal((await host.request(`${api}/${id}`)).status, 200, `acknowledged ${id} is still there`);
  });
});
