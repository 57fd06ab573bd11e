// Field selection, ?fields=a,b: a record read, a list and a relation page carry only the
// named fields and the id; host fields may be named; an unknown name is a 400 naming it;
// the ETag stays the revision; paging, counting and operators work as without it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { localModelsRemote } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';

const API = '/microlib/api/models';

const models = `[
  { modelName: 'customer', endpoint: 'customers', datasource: 'memory', factory: () => (x) => ({ ...x }),
    fields: { name: { type: 'string', required: true }, city: { type: 'string' }, email: { type: 'string', sensitive: true } },
    relations: { orders: { type: 'oneToMany', modelName: 'order', foreignKey: 'customerId' } } },
  { modelName: 'order', endpoint: 'orders', datasource: 'memory', factory: () => (x) => ({ ...x }),
    fields: { customerId: { type: 'string' }, total: { type: 'number' }, note: { type: 'string' } },
    relations: { customer: { type: 'manyToOne', modelName: 'customer', foreignKey: 'customerId' } } },
  { modelName: 'bag', endpoint: 'bags', datasource: 'memory', factory: () => (x) => ({ ...x }) },
]`;

describe('field selection (?fields=)', () => {
  let running: InProcessHost;
  let workDir: string;
  let ada: Record<string, any>;
  const orders: Array<Record<string, any>> = [];
  const get = async (url: string, headers: Record<string, string> = {}) => {
    const answer = await running.inject({ url, headers });
    return { status: answer.status, headers: answer.headers, body: answer.body === '' ? undefined : (answer.json() as Record<string, any>) };
  };
  const post = async (url: string, body: unknown) => (await running.inject({ method: 'POST', url, body })).json() as Record<string, any>;

  before(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'microlib-fields-'));
    running = await startInProcessHost({ remotes: [await localModelsRemote(workDir, models)], env: { ENCRYPTION_PWD: 'a long enough test password' } });
    ada = await post(`${API}/customers`, { name: 'Ada', city: 'London', email: 'ada@example.com' });
    for (const [total, note] of [[10, 'small'], [250, 'big'], [40, undefined], [900, 'huge']] as const) {
      orders.push(await post(`${API}/orders`, { customerId: ada.id, total, ...(note ? { note } : {}) }));
    }
  });
  after(async () => {
    await running?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('answers a record read with the named fields and its id, keeping the ETag and If-None-Match', async () => {
    const full = await get(`${API}/customers/${ada.id}`);
    const selected = await get(`${API}/customers/${ada.id}?fields=name`);
    assert.equal(selected.status, 200);
    assert.deepEqual(selected.body, { id: ada.id, name: 'Ada' });
    assert.equal(selected.headers.etag, full.headers.etag, 'the ETag is the revision, whatever the selection');
    const notModified = await get(`${API}/customers/${ada.id}?fields=name`, { 'if-none-match': String(full.headers.etag) });
    assert.equal(notModified.status, 304);
    // Host fields may be named; id comes once, first or not.
    const host = await get(`${API}/customers/${ada.id}?fields=revision,createdAt,updatedAt,id,city`);
    assert.deepEqual(host.body, { id: ada.id, revision: 1, createdAt: ada.createdAt, updatedAt: ada.updatedAt, city: 'London' });
    // A sensitive field stays encrypted, as in the full record.
    const secret = await get(`${API}/customers/${ada.id}?fields=email`);
    assert.deepEqual(secret.body, { id: ada.id, email: full.body!.email });
    assert.notEqual(full.body!.email, 'ada@example.com');
  });

  it('refuses unknown names with a 400 naming each of them, on reads and lists', async () => {
    for (const url of [`${API}/customers/${ada.id}?fields=name,nope,alsoNope`, `${API}/customers?fields=name,nope,alsoNope`]) {
      const refused = await get(url);
      assert.equal(refused.status, 400, url);
      assert.equal(refused.body!.error.code, 'MLB_ERR_BAD_QUERY');
      assert.equal(refused.body!.error.field, 'fields');
      assert.match(refused.body!.error.message, /"nope", "alsoNope"/);
    }
    for (const query of ['fields=', 'fields=name,', 'fields=__proto__', 'fields=constructor', 'fields=name&fields=city', 'fields=email__hash']) {
      const refused = await get(`${API}/customers/${ada.id}?${query}`);
      assert.equal(refused.status, 400, query);
      assert.equal(refused.body!.error.code, 'MLB_ERR_BAD_QUERY', query);
    }
    // The record need not exist for the query to be wrong.
    assert.equal((await get(`${API}/customers/missing?fields=nope`)).status, 400);
    // A model without declared fields selects any plain name.
    const bag = await post(`${API}/bags`, { colour: 'red', size: 3 });
    assert.deepEqual((await get(`${API}/bags/${bag.id}?fields=colour,absent`)).body, { id: bag.id, colour: 'red' });
  });

  it('selects on lists, with filters, operators, sort, count and cursors unchanged', async () => {
    const first = await get(`${API}/orders?fields=total&total[$gte]=40&sort=-total&limit=2&count`);
    assert.equal(first.status, 200);
    assert.deepEqual(first.body!.data, [
      { id: orders[3]!.id, total: 900 },
      { id: orders[1]!.id, total: 250 },
    ]);
    assert.equal(first.body!.total, 3);
    assert.equal(first.headers['x-total-count'], '3');
    const next = await get(`${API}/orders?fields=total&total[$gte]=40&sort=-total&limit=2&cursor=${encodeURIComponent(first.body!.nextCursor)}`);
    assert.deepEqual(next.body!.data, [{ id: orders[2]!.id, total: 40 }]);
    // A field a record lacks is left out of it.
    const notes = await get(`${API}/orders?fields=note&sort=total`);
    assert.deepEqual(
      notes.body!.data.map((o: Record<string, unknown>) => Object.keys(o)),
      [['id', 'note'], ['id'], ['id', 'note'], ['id', 'note']],
    );
    // The filter may name a field the selection leaves out.
    const byCustomer = await get(`${API}/orders?fields=note&customerId=${ada.id}&note[$prefix]=h`);
    assert.deepEqual(byCustomer.body!.data, [{ id: orders[3]!.id, note: 'huge' }]);
  });

  it('selects on relation pages and related records, by the related model\'s fields', async () => {
    const page = await get(`${API}/customers/${ada.id}/orders?fields=total&sort=total&limit=2`);
    assert.equal(page.status, 200);
    assert.deepEqual(page.body!.data, [
      { id: orders[0]!.id, total: 10 },
      { id: orders[2]!.id, total: 40 },
    ]);
    const viaQuery = await get(`${API}/customers/${ada.id}?relation=orders&fields=note&sort=total&limit=1`);
    assert.deepEqual(viaQuery.body!.data, [{ id: orders[0]!.id, note: 'small' }]);
    const customer = await get(`${API}/orders/${orders[0]!.id}/customer?fields=city`);
    assert.deepEqual(customer.body, { id: ada.id, city: 'London' });
    // `city` is a customer's field, not an order's.
    const wrong = await get(`${API}/customers/${ada.id}/orders?fields=city`);
    assert.equal(wrong.status, 400);
    assert.match(wrong.body!.error.message, /"city"/);
  });
});
