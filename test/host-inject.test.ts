// A host answers in-process, without a socket, exactly as it answers a client:
// the generated API, the admin app, errors and readiness all go through inject.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleRemoteDist } from './support/host-process.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';

describe('answering requests in-process (host.inject)', () => {
  let running: InProcessHost;
  before(async () => {
    running = await startInProcessHost({ remotes: [{ name: 'orderService', kind: 'local', path: exampleRemoteDist }], env: { DATASOURCE_ADAPTER: 'memory' } });
  });
  after(() => running?.stop());

  it('creates and reads a record through the generated API, with the headers a client sees', async () => {
    const created = await running.inject({
      method: 'POST',
      url: '/microlib/api/models/customers',
      body: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' },
    });
    assert.equal(created.status, 201, created.body);
    const record = created.json() as { id: string; firstName: string; revision: number };
    assert.equal(record.firstName, 'Ada');
    assert.equal(created.headers.location, `/microlib/api/models/customers/${record.id}`);
    assert.match(String(created.headers['x-microlib-version']), /^orderService@/);
    assert.ok(created.headers['x-request-id'], 'every answer names its request id');

    const read = await running.inject(`/microlib/api/models/customers/${record.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.headers.etag, `"${record.revision}"`);
    assert.deepEqual(read.json(), record);
  });

  it('answers errors in the API shape: a 400 naming the field, a 404 for an unknown model', async () => {
    const bad = await running.inject({ method: 'POST', url: '/microlib/api/models/customers', headers: { 'content-type': 'application/json' }, body: '{"firstName": 42}' });
    assert.equal(bad.status, 400);
    const error = (bad.json() as { error: { code: string; field?: string } }).error;
    assert.equal(error.code, 'MLB_ERR_VALIDATION');
    assert.ok(error.field, 'the error names a field');
    const unknown = await running.inject('/microlib/api/models/nothing-here');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.json() as { error: { code: string } }).error.code, 'MLB_ERR_NOT_FOUND');
  });

  it('names the request id on every kind of answer of the generated API, and echoes a caller\'s own', async () => {
    const created = await running.inject({ method: 'POST', url: '/microlib/api/models/customers', body: { firstName: 'Id', lastName: 'Check', email: 'id@example.com' } });
    const { id, revision } = created.json() as { id: string; revision: number };
    const url = `/microlib/api/models/customers/${id}`;
    const answers = {
      created,
      read: await running.inject(url),
      notModified: await running.inject({ url, headers: { 'if-none-match': `"${revision}"` } }),
      list: await running.inject('/microlib/api/models/customers?limit=2'),
      msgpack: await running.inject({ url, headers: { accept: 'application/msgpack' } }),
      badQuery: await running.inject('/microlib/api/models/customers?limit=x'),
      unknownModel: await running.inject('/microlib/api/models/nothing-here'),
      deleted: await running.inject({ method: 'DELETE', url }),
    };
    assert.deepEqual(
      Object.fromEntries(Object.entries(answers).map(([name, answer]) => [name, answer.status])),
      { created: 201, read: 200, notModified: 304, list: 200, msgpack: 200, badQuery: 400, unknownModel: 404, deleted: 204 },
    );
    const ids = new Set<string>();
    for (const [name, answer] of Object.entries(answers)) {
      const requestId = answer.headers['x-request-id'];
      assert.ok(typeof requestId === 'string' && requestId.length > 0, `${name} names its request id`);
      ids.add(requestId);
    }
    assert.equal(ids.size, Object.keys(answers).length, 'each request has its own id');
    const echoed = await running.inject({ url: '/microlib/api/models/customers?limit=1', headers: { 'x-request-id': 'gateway-42' } });
    assert.equal(echoed.headers['x-request-id'], 'gateway-42');
  });

  it('serves the admin app too: readiness and the loaded models', async () => {
    const ready = await running.inject('/microlib/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json(), { ready: true });
    const config = await running.inject('/microlib/api/config');
    const names = (config.json() as { models: Array<{ name: string }> }).models.map((m) => m.name);
    assert.ok(names.includes('customer') && names.includes('order'), names.join(', '));
  });
});
