// The generated REST API of the example remote, driven over HTTP against a host child process.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleRemoteDist } from './support/host-process.js';
import { requestJson } from './support/json-request.js';
import { withHost } from './support/with-host.js';

describe('generated CRUD API (example remote from a local folder)', () => {
  const host = withHost({ remotes: [{ name: 'orderService', kind: 'local', path: exampleRemoteDist }] });
  const api = '/microlib/api/models';

  const newCustomer = async (email = 'ada@example.com') => {
    const created = await host.request(`${api}/customers`, { method: 'POST', body: { firstName: 'Ada', lastName: 'Lovelace', email } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body as { id: string };
  };

  it('logs the remotes, models and routes it serves', () => {
    const serving = host.logs.filter((l) => l.msg === 'serving model').map((l) => l.route).sort();
    assert.deepEqual(serving, ['/microlib/api/models/customers', '/microlib/api/models/orders', '/microlib/api/models/products']);
    const listening = host.logs.find((l) => String(l.msg).startsWith('listening')) as { remotes: Array<{ name: string; status: string }> };
    assert.deepEqual(listening.remotes.map((r) => [r.name, r.status]), [['orderService', 'ready']]);
  });

  it('lists the loaded models in /microlib/api/config', async () => {
    const { status, body } = await host.request(`/microlib/api/config`);
    assert.equal(status, 200);
    const order = body.models.find((m: { name: string }) => m.name === 'order');
    assert.equal(order.endpoint, 'orders');
    assert.equal(order.remote, 'orderService');
    assert.match(order.version, /^sha256-/);
    assert.equal(order.datasource, 'file');
    assert.deepEqual(order.relations.customer, { type: 'manyToOne', modelName: 'customer', foreignKey: 'customerId' });
    assert.deepEqual(order.commands, ['approve', 'submit']);
  });

  it('creates, reads, updates and deletes a record', async () => {
    const customer = await newCustomer();
    const created = await host.request(`${api}/orders`, {
      method: 'POST',
      body: { customerId: customer.id, items: [{ sku: 'A1', quantity: 2, price: 2.5 }, { sku: 'B2', quantity: 1, price: 10 }] },
    });
    assert.equal(created.status, 201);
    const order = created.body;
    assert.equal(created.headers.get('location'), `/microlib/api/models/orders/${order.id}`);
    assert.equal(created.headers.get('etag'), '"1"');
    assert.equal(order.total, 15, 'the factory computes the total');
    assert.equal(order.status, 'pending', 'the field default applies');
    assert.equal(order.revision, 1);
    assert.ok(Date.parse(order.createdAt));

    const read = await host.request(`${api}/orders/${order.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, order);

    const patched = await host.request(`${api}/orders/${order.id}`, { method: 'PATCH', body: { items: [{ sku: 'A1', quantity: 4, price: 2.5 }] } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.total, 10, 'validate() recomputes the total from the new items');
    assert.equal(patched.body.customerId, customer.id);
    assert.equal(patched.body.revision, 2);
    assert.equal(patched.body.createdAt, order.createdAt);

    const deleted = await host.request(`${api}/orders/${order.id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal((await host.request(`${api}/orders/${order.id}`)).status, 404);
  });

  it('lists with paging, filters, sort, count and a cursor', async () => {
    const customers = [];
    for (let i = 0; i < 7; i++) customers.push(await newCustomer(`p${i}@example.com`));
    const owner = customers[0]!.id;
    for (let i = 0; i < 5; i++) {
      const res = await host.request(`${api}/orders`, { method: 'POST', body: { customerId: owner, items: [{ sku: `S${i}`, quantity: i + 1, price: 1 }] } });
      assert.equal(res.status, 201);
    }
    const page = await host.request(`${api}/orders?customerId=${owner}&sort=-total&limit=2&count`);
    assert.equal(page.status, 200);
    assert.equal(page.body.total, 5);
    assert.equal(page.headers.get('x-total-count'), '5');
    assert.deepEqual(page.body.data.map((o: { total: number }) => o.total), [5, 4]);
    assert.equal(page.body.limit, 2);

    const offset = await host.request(`${api}/orders?customerId=${owner}&sort=total&limit=2&offset=2`);
    assert.deepEqual(offset.body.data.map((o: { total: number }) => o.total), [3, 4]);

    const seen: number[] = [];
    let cursor: string | undefined;
    for (let round = 0; round < 10; round++) {
      const res = await host.request(`${api}/orders?customerId=${owner}&sort=total&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(res.status, 200);
      seen.push(...res.body.data.map((o: { total: number }) => o.total));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);

    const numeric = await host.request(`${api}/orders?customerId=${owner}&total=3`);
    assert.deepEqual(numeric.body.data.map((o: { total: number }) => o.total), [3], 'numeric filter values are coerced by field type');
  });

  it('filters lists and counts with query operators, on relation pages too', async () => {
    const customer = await newCustomer('ops@example.com');
    const orders: Array<{ id: string; total: number; createdAt: string }> = [];
    for (let i = 1; i <= 5; i++) {
      const body = { customerId: customer.id, items: [{ sku: `Q${i}`, quantity: i, price: 1 }], ...(i % 2 === 0 ? { note: `gift ${i}, wrapped` } : {}) };
      const res = await host.request(`${api}/orders`, { method: 'POST', body });
      assert.equal(res.status, 201);
      orders.push(res.body);
    }
    const mine = `${api}/orders?customerId=${customer.id}`;
    const totals = async (query: string) => {
      const res = await host.request(`${mine}&${query}`);
      assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
      return res.body.data.map((o: { total: number }) => o.total);
    };
    const range = await host.request(`${mine}&total[$gte]=2&total[$lt]=5&count`);
    assert.deepEqual([range.body.data.map((o: { total: number }) => o.total), range.body.total, range.headers.get('x-total-count')], [[2, 3, 4], 3, '3']);
    assert.deepEqual(await totals('total[$in]=1,5'), [1, 5]);
    assert.deepEqual(await totals('total[$in]=1&total[$in]=5'), [1, 5], 'a repeated $in adds values');
    assert.deepEqual(await totals('total[$nin]=1,5&sort=-total'), [4, 3, 2]);
    assert.deepEqual(await totals('total[$ne]=3'), [1, 2, 4, 5]);
    assert.deepEqual(await totals('note[$exists]=false'), [1, 3, 5]);
    assert.deepEqual(await totals(`note[$in]=${encodeURIComponent('gift 2\\, wrapped')}`), [2], 'a comma inside a $in value');
    assert.deepEqual(await totals('note[$prefix]=gift%204'), [4]);
    assert.deepEqual(await totals('status[$in]=pending,approved'), [1, 2, 3, 4, 5]);
    assert.deepEqual(await totals('items[$exists]=true&total[$lte]=1'), [1]);
    const since = orders[3]!.createdAt;
    const later = orders.filter((o) => Date.parse(o.createdAt) >= Date.parse(since)).map((o) => o.total);
    assert.deepEqual(await totals(`createdAt[$gte]=${encodeURIComponent(since)}`), later, 'a date range compares instants');
    assert.deepEqual(await totals('$or[0][total]=1&$or[1][total][$gt]=4&$or[1][note][$exists]=false'), [1, 5]);
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let round = 0; round < 10; round++) {
      const res = await host.request(`${mine}&total[$gt]=1&sort=-total&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...res.body.data.map((o: { total: number }) => o.total));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, [5, 4, 3, 2], 'cursor paging keeps the filter');
    const related = await host.request(`${api}/customers/${customer.id}/orders?total[$gt]=3&count&sort=total`);
    assert.equal(related.status, 200, JSON.stringify(related.body));
    assert.deepEqual([related.body.data.map((o: { total: number }) => o.total), related.body.total], [[4, 5], 2]);

    for (const [query, field, message] of [
      ['total[$gt]=abc', 'total[$gt]', /must be a number/],
      ['status[$in]=pending,bogus', 'status[$in]', /must be one of/],
      ['total[$prefix]=1', 'total[$prefix]', /\$prefix does not apply to "total"/],
      ['items[$gt]=1', 'items[$gt]', /cannot filter by "items"/],
      ['$or[0][$or][0][total]=1', '$or[0][$or][0][total]', /\$or/],
      ['$or[10][total]=1', '$or[10][total]', /at most 10 branches/],
      ['createdAt[$gt]=yesterday', 'createdAt[$gt]', /date-time/],
    ] as const) {
      const res = await host.request(`${mine}&${query}`);
      assert.equal(res.status, 400, query);
      assert.deepEqual([res.body.error.code, res.body.error.field], ['MLB_ERR_BAD_QUERY', field], query);
      assert.match(res.body.error.message, message, query);
    }
  });

  it('answers schema violations with 400 naming the field', async () => {
    const missing = await host.request(`${api}/customers`, { method: 'POST', body: { firstName: 'A', lastName: 'B' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'MLB_ERR_VALIDATION');
    assert.equal(missing.body.error.field, 'email');

    const nested = await host.request(`${api}/orders`, { method: 'POST', body: { customerId: 'c1', items: [{ sku: 'A', quantity: 0, price: 1 }] } });
    assert.equal(nested.status, 400);
    assert.equal(nested.body.error.field, 'items[0].quantity');

    const unknown = await host.request(`${api}/customers`, { method: 'POST', body: { firstName: 'A', lastName: 'B', email: 'a@b.co', shoeSize: 44 } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.field, 'shoeSize');

    const badEnum = await host.request(`${api}/customers`, { method: 'POST', body: { firstName: 'A', lastName: 'B', email: 'a@b.co', tier: 'platinum' } });
    assert.equal(badEnum.body.error.field, 'tier');

    const customer = await newCustomer('ro@example.com');
    const order = (await host.request(`${api}/orders`, { method: 'POST', body: { customerId: customer.id, items: [{ sku: 'A', quantity: 1, price: 1 }] } })).body;
    const readOnly = await host.request(`${api}/orders/${order.id}`, { method: 'PATCH', body: { customerId: 'someone-else' } });
    assert.equal(readOnly.status, 400);
    assert.equal(readOnly.body.error.field, 'customerId');

    const hostField = await host.request(`${api}/orders/${order.id}`, { method: 'PATCH', body: { revision: 99 } });
    assert.equal(hostField.status, 400);
    assert.equal(hostField.body.error.field, 'revision');

    const rule = await host.request(`${api}/orders`, { method: 'POST', body: { customerId: customer.id, items: [] } });
    assert.equal(rule.status, 400);
    assert.match(rule.body.error.message, /at least one item/, "the spec's validate() message reaches the client");

    const proto = await host.request(`${api}/customers`, { method: 'POST', rawBody: '{"firstName":"A","lastName":"B","email":"a@b.co","__proto__":{"admin":true}}', headers: { 'content-type': 'application/json' } });
    assert.equal(proto.status, 400);
    assert.equal(proto.body.error.field, '__proto__');
  });

  it('answers bad requests with the documented error codes', async () => {
    const notFound = await host.request(`${api}/orders/does-not-exist`);
    assert.equal(notFound.status, 404);
    assert.equal(notFound.body.error.code, 'MLB_ERR_NOT_FOUND');

    const noModel = await host.request(`${api}/invoices`);
    assert.equal(noModel.status, 404);

    const method = await host.request(`${api}/orders`, { method: 'PUT', body: {} });
    assert.equal(method.status, 405);
    assert.equal(method.headers.get('allow'), 'GET, HEAD, POST, PATCH, DELETE');

    const itemMethod = await host.request(`${api}/orders/x1`, { method: 'POST', body: {} });
    assert.equal(itemMethod.status, 405);

    const text = await host.request(`${api}/customers`, { method: 'POST', rawBody: 'firstName=A', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, 'MLB_ERR_UNSUPPORTED_MEDIA_TYPE');

    const syntax = await host.request(`${api}/customers`, { method: 'POST', rawBody: '{"firstName":', headers: { 'content-type': 'application/json' } });
    assert.equal(syntax.status, 400);
    assert.equal(syntax.body.error.code, 'MLB_ERR_BAD_JSON');

    // An array is a batch: items that are not objects are refused one by one.
    const array = await host.request(`${api}/customers`, { method: 'POST', body: [1, 2] });
    assert.equal(array.status, 207);
    assert.deepEqual(
      array.body.results.map((r: { status: number; error: { code: string } }) => [r.status, r.error.code]),
      [
        [400, 'MLB_ERR_VALIDATION'],
        [400, 'MLB_ERR_VALIDATION'],
      ],
    );

    // Refused by its declared length before a byte of it is read. (Sent whole, the host's reset of
    // the unread rest can reach the client before the answer; hostile-input sends such bodies paced.)
    const huge = await requestJson(`${host.url}${api}/customers`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 2_000_000 } });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'MLB_ERR_PAYLOAD_TOO_LARGE');

    const dup = await newCustomer('dup@example.com');
    const conflict = await host.request(`${api}/customers`, { method: 'POST', body: { id: dup.id, firstName: 'A', lastName: 'B', email: 'a@b.co' } });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error.code, 'MLB_ERR_CONFLICT');

    const operator = await host.request(`${api}/orders?total[$regex]=5`);
    assert.equal(operator.status, 400);
    assert.equal(operator.body.error.code, 'MLB_ERR_BAD_QUERY');
    assert.equal(operator.body.error.field, 'total[$regex]');
    assert.match(operator.body.error.message, /unknown query operator "\$regex" on "total"/);
    const mongoish = await host.request(`${api}/orders?$where=1`);
    assert.equal(mongoish.status, 400);
    const unknownField = await host.request(`${api}/orders?shoeSize=4`);
    assert.equal(unknownField.status, 400);
    assert.equal(unknownField.body.error.field, 'shoeSize');
    const badLimit = await host.request(`${api}/orders?limit=100000`);
    assert.equal(badLimit.status, 400);
    assert.equal(badLimit.body.error.field, 'limit');
    const badType = await host.request(`${api}/orders?total=abc`);
    assert.equal(badType.status, 400);
    const badSort = await host.request(`${api}/orders?sort=items`);
    assert.equal(badSort.status, 400);
    const badCursor = await host.request(`${api}/orders?cursor=not-a-cursor`);
    assert.equal(badCursor.status, 400);
    assert.equal(badCursor.body.error.field, 'cursor');
    const badId = await host.request(`${api}/orders/${encodeURIComponent('../../etc/passwd')}`);
    assert.equal(badId.status, 400);
  });

  it('refuses a delete the spec forbids with 409 and keeps the record', async () => {
    const customer = await newCustomer('ship@example.com');
    const order = (await host.request(`${api}/orders`, { method: 'POST', body: { customerId: customer.id, items: [{ sku: 'A', quantity: 1, price: 1 }] } })).body;
    const shipped = await host.request(`${api}/orders/${order.id}`, { method: 'PATCH', body: { status: 'shipped' } });
    assert.equal(shipped.status, 200);
    const refused = await host.request(`${api}/orders/${order.id}`, { method: 'DELETE' });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /shipped order cannot be deleted/);
    assert.equal((await host.request(`${api}/orders/${order.id}`)).status, 200);
  });

  it("applies the spec's mixins (a completed order's note is frozen)", async () => {
    const customer = await newCustomer('mixin@example.com');
    const order = (await host.request(`${api}/orders`, { method: 'POST', body: { customerId: customer.id, items: [{ sku: 'M', quantity: 1, price: 1 }], note: 'leave at door' } })).body;
    assert.equal((await host.request(`${api}/orders/${order.id}`, { method: 'PATCH', body: { note: 'ring twice' } })).status, 200);
    assert.equal((await host.request(`${api}/orders/${order.id}`, { method: 'PATCH', body: { status: 'completed' } })).status, 200);
    const frozen = await host.request(`${api}/orders/${order.id}`, { method: 'PATCH', body: { note: 'too late' } });
    assert.equal(frozen.status, 400);
    assert.match(frozen.body.error.message, /"note" cannot be changed/);
  });

  it('checks If-Match against the revision (412 when stale)', async () => {
    const customer = await newCustomer('etag@example.com');
    const stale = await host.request(`${api}/customers/${customer.id}`, { method: 'PATCH', body: { tier: 'gold' }, headers: { 'if-match': '"7"' } });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error.code, 'MLB_ERR_PRECONDITION_FAILED');
    const fresh = await host.request(`${api}/customers/${customer.id}`, { method: 'PATCH', body: { tier: 'gold' }, headers: { 'if-match': '"1"' } });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers.get('etag'), '"2"');
    const notModified = await fetch(`${host.url}${api}/customers/${customer.id}`, { headers: { 'if-none-match': '"2"' } });
    assert.equal(notModified.status, 304);
  });

  it('follows relations across models, both ways', async () => {
    const customer = await newCustomer('rel@example.com');
    const orders = [];
    for (let i = 1; i <= 3; i++) {
      orders.push((await host.request(`${api}/orders`, { method: 'POST', body: { customerId: customer.id, items: [{ sku: `R${i}`, quantity: i, price: 1 }] } })).body);
    }
    const owner = await host.request(`${api}/orders/${orders[0].id}/customer`);
    assert.equal(owner.status, 200);
    assert.equal(owner.body.id, customer.id);
    const byQuery = await host.request(`${api}/orders/${orders[0].id}?relation=customer`);
    assert.equal(byQuery.status, 200);
    assert.equal(byQuery.body.id, customer.id, '?relation= is the same as the relation path');
    const many = await host.request(`${api}/customers/${customer.id}/orders?limit=2&count&sort=createdAt`);
    assert.equal(many.status, 200);
    assert.equal(many.body.total, 3);
    assert.equal(many.body.data.length, 2);
    assert.ok(many.body.data.every((o: { customerId: string }) => o.customerId === customer.id));
    assert.equal((await host.request(`${api}/orders/${orders[0].id}/nope`)).status, 404);
    const dangling = (await host.request(`${api}/orders`, { method: 'POST', body: { customerId: 'gone', items: [{ sku: 'D', quantity: 1, price: 1 }] } })).body;
    const none = await host.request(`${api}/orders/${dangling.id}/customer`);
    assert.equal(none.status, 404);
    assert.match(none.body.error.message, /has no customer/);
    assert.equal((await host.request(`${api}/orders/${orders[0].id}/customer`, { method: 'DELETE' })).status, 405);
  });

  it('runs a model command, with the rules of its code', async () => {
    const customer = await newCustomer('cmd@example.com');
    const order = (await host.request(`${api}/orders`, { method: 'POST', body: { customerId: customer.id, items: [{ sku: 'C', quantity: 1, price: 5 }] } })).body;
    const approved = await host.request(`${api}/orders/${order.id}/commands/approve`, { method: 'POST' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, 'approved');
    assert.equal(approved.body.revision, 2);
    assert.equal(approved.headers.get('etag'), '"2"');
    const again = await host.request(`${api}/orders/${order.id}/commands/approve`, { method: 'POST' });
    assert.equal(again.status, 400);
    assert.match(again.body.error.message, /only a pending order can be approved/);
    assert.equal((await host.request(`${api}/orders/${order.id}/commands/explode`, { method: 'POST' })).status, 404);
    const other = (await host.request(`${api}/orders`, { method: 'POST', body: { customerId: customer.id, items: [{ sku: 'P', quantity: 1, price: 1 }] } })).body;
    const patched = await host.request(`${api}/orders/${other.id}/approve`, { method: 'PATCH' });
    assert.equal(patched.status, 200, 'PATCH /:id/<command> runs the command too');
    assert.equal(patched.body.status, 'approved');
    const get = await host.request(`${api}/orders/${order.id}/commands/approve`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
  });

  it('answers unknown host routes with a JSON 404', async () => {
    const res = await host.request(`/microlib/nothing-here`);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'MLB_ERR_NOT_FOUND');
  });
});
