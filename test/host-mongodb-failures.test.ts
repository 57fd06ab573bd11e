// A host on MongoDB when MongoDB misbehaves: a server error reaches the client only as a
// generic 500 naming the request id (the log has the server's words); an outage is logged
// once when it starts and once when it ends, shows in /metrics, and, with
// READY_REQUIRES_DATASOURCES=true, in /microlib/ready, while /microlib/health stays 200.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Collection, MongoServerError } from 'mongodb';
import { localModelsRemote } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';
import { restartableMongo, type RestartableMongo } from './support/mongo-server.js';
import { until } from './support/until.js';

const models = `[{
  modelName: 'thing', endpoint: 'things', factory: () => (x) => ({ ...x }),
  fields: { name: { type: 'string' } },
  datasource: { adapter: 'mongodb', serverSelectionTimeoutMS: 500 },
}]`;
const api = '/microlib/api/models/things';

/** What a MongoDB-compatible server written in Java once answered an insert with. */
const SERVER_WORDS = 'java.lang.ClassCastException: class org.bson.BsonString cannot be cast to class org.bson.BsonDocument';

describe('a host on MongoDB when MongoDB fails', () => {
  let mongo: RestartableMongo;
  let running: InProcessHost;
  let remoteDir: string;

  before(async () => {
    mongo = await restartableMongo();
    remoteDir = await mkdtemp(path.join(os.tmpdir(), 'microlib-mongo-failures-'));
    running = await startInProcessHost({
      remotes: [await localModelsRemote(remoteDir, models)],
      env: { MONGODB_URL: mongo.url, MONGODB_DATABASE: `failures_${process.pid}_${Date.now()}`, READY_REQUIRES_DATASOURCES: 'true' },
    });
  });
  after(async () => {
    await running?.stop();
    await mongo?.close();
    await rm(remoteDir, { recursive: true, force: true });
  });

  const logged = (message: string) => running.logs.filter((line) => line['msg'] === message);
  const metric = async (name: string) => {
    const text = (await running.inject('/metrics')).body;
    const line = text.split('\n').find((l) => l.startsWith(`${name}{model="thing",adapter="mongodb"}`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };

  it('answers a server error with a generic 500 naming the request id, and logs what the server said under that id', async (t) => {
    // The server's answer, as the driver hands it to the datasource: injected at the driver's
    // own API, since the test server answers every insert the host sends.
    const insertOne = Collection.prototype.insertOne;
    t.after(() => {
      Collection.prototype.insertOne = insertOne;
    });
    Collection.prototype.insertOne = function failingInsert() {
      return Promise.reject(new MongoServerError({ ok: 0, code: 1, codeName: 'InternalError', errmsg: SERVER_WORDS }));
    };
    const failed = await running.inject({ method: 'POST', url: api, body: { name: 'odd' } });
    const requestId = String(failed.headers['x-request-id']);
    assert.equal(failed.status, 500, failed.body);
    const error = failed.json<{ error: { code: string; message: string } }>().error;
    assert.equal(error.code, 'MLB_ERR_INTERNAL');
    assert.ok(error.message.includes(requestId), `the client can quote request id ${requestId}: ${error.message}`);
    assert.ok(!/ClassCast|BsonString|java/.test(failed.body), `the server's words stay out of the answer: ${failed.body}`);
    const line = running.logs.find((entry) => entry['requestId'] === requestId && entry['level'] === 50);
    assert.ok(line, 'an error line carries the request id');
    assert.match(String((line['err'] as { message?: string }).message), /ClassCastException/);
  });

  it('logs an outage once when it starts and once when it ends, counts it in /metrics and holds readiness back meanwhile', async () => {
    assert.equal((await running.inject({ method: 'POST', url: api, body: { name: 'before' } })).status, 201);
    assert.equal((await running.inject('/microlib/ready')).status, 200);
    assert.deepEqual([await metric('microlib_datasource_up'), await metric('microlib_datasource_outages_total')], [1, 0]);

    await mongo.stop();
    for (let i = 0; i < 2; i++) assert.equal((await running.inject({ method: 'POST', url: api, body: { name: 'during' } })).status, 503);
    assert.equal((await running.inject(`${api}?limit=1`)).status, 503);
    const down = logged('MongoDB unreachable');
    assert.equal(down.length, 1, 'one warning for the whole outage');
    assert.equal(down[0]!['level'], 40);
    assert.equal(down[0]!['mongodb'], `127.0.0.1:${mongo.port}`);
    assert.deepEqual(down[0]!['models'], ['thing']);
    const ready = await running.inject('/microlib/ready');
    assert.equal(ready.status, 503, ready.body);
    assert.deepEqual(
      ready.json<{ ready: boolean; datasourcesDown: Array<{ model: string; datasource: string }> }>().datasourcesDown.map(({ model, datasource }) => ({ model, datasource })),
      [{ model: 'thing', datasource: 'mongodb' }],
    );
    assert.equal((await running.inject('/microlib/health')).status, 200, 'the host itself is alive');
    assert.deepEqual([await metric('microlib_datasource_up'), await metric('microlib_datasource_outages_total')], [0, 1]);

    await mongo.start();
    // No request comes meanwhile (an orchestrator would send none): the host sees the end by itself.
    await until(async () => (await running.inject('/microlib/ready')).status === 200, 'readiness once MongoDB is back', 15_000);
    const back = logged('MongoDB reachable again');
    assert.equal(back.length, 1);
    assert.equal(typeof back[0]!['outageMs'], 'number');
    assert.equal(logged('MongoDB unreachable').length, 1);
    assert.deepEqual([await metric('microlib_datasource_up'), await metric('microlib_datasource_outages_total')], [1, 1]);
    assert.equal((await running.inject({ method: 'POST', url: api, body: { name: 'after' } })).status, 201);
    assert.equal(logged('MongoDB reachable again').length, 1, 'a success after the end logs nothing more');
  });
});
