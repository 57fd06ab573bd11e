import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Model } from '../../domain/model.js';
import { ModelService, type PortMachinery } from '../../domain/model-service.js';
import { MicrolibError } from '../../domain/errors.js';
import type { ListQuery } from '../../domain/datasource.js';
import type { RecordMethods, ModelSpecification, StoredRecord } from '../../domain/model-spec.js';
import { Catalog, type ServedModel } from '../../catalog/catalog.js';
import { createMemoryDatasource } from '../persistence/memory/memory-datasource.js';
import { createModelRouter } from './model-router.js';
import { buildOpenApiDocument } from './openapi.js';
import { MODELS_PREFIX } from './models-prefix.js';
import { assignRequestId, requestIdOf } from './request-id.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers and the document

const orderSpec: ModelSpecification = {
  modelName: 'order',
  endpoint: 'orders',
  factory: () => (input) => ({ ...input }),
  fields: { status: { type: 'string' }, customerId: { type: 'string' } },
  relations: {
    customer: { type: 'manyToOne', modelName: 'customer', foreignKey: 'customerId' },
    lines: { type: 'oneToMany', modelName: 'line', foreignKey: 'orderId' },
    invoices: { type: 'oneToMany', modelName: 'invoice', foreignKey: 'orderId' },
  },
  commands: { approve: { command: () => ({ status: 'approved' }) }, ship: { command: 'dispatch' } },
  ports: { cancel: { type: 'inbound' }, dispatch: { type: 'outbound', adapter: 'carrier' }, paused: { type: 'inbound', disabled: true } },
};
const customerSpec: ModelSpecification = { modelName: 'customer', endpoint: 'customers', factory: () => (input) => ({ ...input }) };
const lineSpec: ModelSpecification = { modelName: 'line', endpoint: 'lines', factory: () => (input) => ({ ...input }), fields: { orderId: { type: 'string' }, qty: { type: 'integer' } } };

const clock = { now: () => new Date().toISOString(), newId: (() => ((n) => () => `r${++n}`)(0))() };

/** Flows stand-in: a port step answers with the record, or refuses as the flow runner does for a disabled port. */
const methods: PortMachinery = {
  objectOf: (_service, record) => record as StoredRecord & RecordMethods,
  async startPort(service, id, port) {
    if (service.model.ports.get(port)?.disabled) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `port ${service.model.name}.${port} is disabled`);
    return service.get(id);
  },
};

function serve(spec: ModelSpecification): ServedModel {
  const model = new Model(spec, { remote: 'shop', version: 'v1' });
  return { model, service: new ModelService(model, createMemoryDatasource({ collection: spec.modelName, dataDir: '' }), clock, undefined, methods), servedBy: 'shop@v1' };
}

const served = [serve(orderSpec), serve(customerSpec), serve(lineSpec)];
const [orders, customers, lines] = served.map((s) => s.service) as [ModelService, ModelService, ModelService];
const catalog = new Catalog(new Map(served.map((s) => [s.model.endpoint, s])), { adapters: new Map(), services: new Map() }, new Map());
/** Queries the other host's `invoice` model was asked. */
const invoiceQueries: ListQuery[] = [];
const invoices = {
  get: (id: string) => Promise.reject(new MicrolibError('MLB_ERR_NOT_FOUND', `invoice ${id} not found`)),
  list: async (query: ListQuery) => (invoiceQueries.push(query), { records: [] }),
};

describe('model router', () => {
  let server: Server;
  let base: string;

  before(async () => {
    await Promise.all(served.map((s) => s.service.datasource.open()));
    const router = createModelRouter(
      { current: catalog },
      { bodyLimitBytes: 10_000, defaultPageSize: 20, maxPageSize: 50, remoteModel: (name) => (name === 'invoice' ? invoices : undefined), onInternalError: (error) => assert.fail(String(error)) },
    );
    server = createServer((req, res) => void router(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${MODELS_PREFIX}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function send(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
    const withBody = options.body !== undefined;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(withBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
      ...(withBody ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Obj };
  }

  /** A fresh order with a customer and a line. */
  async function newOrder(): Promise<StoredRecord> {
    const customer = await customers.create({});
    const order = await orders.create({ status: 'new', customerId: customer.id });
    await lines.create({ orderId: order.id, qty: 2 });
    return order;
  }

  it('answers exactly the operations of its OpenAPI document', async () => {
    const doc = buildOpenApiDocument([...catalog.models()], { title: 't', version: '1', authEnabled: false }) as Obj;
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Obj)) {
      for (const method of ['get', 'post', 'patch', 'delete', 'put', 'head']) {
        if (!(method in item)) continue;
        documented.add(`${method.toUpperCase()} ${path.slice(MODELS_PREFIX.length)}`);
        // HTTP implies HEAD wherever GET is.
        if (method === 'get') documented.add(`HEAD ${path.slice(MODELS_PREFIX.length)}`);
      }
    }
    const names = ['customer', 'lines', 'invoices', 'approve', 'ship', 'cancel', 'dispatch', 'paused', 'nope', 'commands', 'ports'];
    const candidates = [
      'orders',
      'orders/{id}',
      ...names.flatMap((name) => [`orders/{id}/${name}`, `orders/{id}/commands/${name}`, `orders/{id}/ports/${name}`]),
      'orders/{id}/a/b',
      'orders/{id}/commands/approve/again',
      ...['customers', 'lines'].flatMap((endpoint) => [endpoint, `${endpoint}/{id}`, `${endpoint}/{id}/customer`, `${endpoint}/{id}/commands/approve`]),
    ];
    const answered = new Set<string>();
    for (const path of candidates) {
      for (const method of ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'PUT']) {
        const order = await newOrder();
        const ids: Record<string, string> = { orders: order.id, customers: order.customerId as string, lines: (await lines.create({ orderId: order.id })).id };
        const target = path.replace('{id}', ids[path.split('/')[0]!]!);
        // On a collection, PATCH and DELETE take a batch naming records.
        const collection = !path.includes('/');
        const body = collection && method === 'PATCH' ? [{ id: ids[path] }] : ['POST', 'PATCH', 'PUT'].includes(method) ? {} : undefined;
        const res = await send(method, collection && method === 'DELETE' ? `${target}?ids=${ids[path]}` : target, body === undefined ? {} : { body });
        if (res.status < 300) answered.add(`${method} ${path}`);
        else assert.ok([403, 404, 405, 503].includes(res.status), `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    assert.deepEqual([...answered].sort(), [...documented].sort());
  });

  it('names the methods of a path in Allow when it does not take the one asked', async () => {
    const { id } = await newOrder();
    const cases: Array<[string, string, string]> = [
      ['PUT', 'orders', 'GET, HEAD, POST, PATCH, DELETE'],
      ['POST', `orders/${id}`, 'GET, HEAD, PATCH, DELETE'],
      ['POST', `orders/${id}/customer`, 'GET, HEAD'],
      ['GET', `orders/${id}/commands/approve`, 'POST'],
      ['PUT', `orders/${id}/ports/cancel`, 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await send(method, path, method === 'GET' ? {} : { body: {} });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get('allow'), allow);
      assert.equal(res.body.error.message, `${method} is not allowed here; use ${allow}`);
    }
    assert.equal((await send('GET', `orders/${id}/a/b`)).body.error.message, `no route ${MODELS_PREFIX}orders/${id}/a/b`);
  });

  it("checks a port's If-Match against the record's revision", async () => {
    const { id } = await newOrder();
    const stale = await send('POST', `orders/${id}/ports/cancel`, { headers: { 'if-match': '"7"' } });
    assert.equal(stale.status, 412);
    assert.deepEqual(stale.body.error, { code: 'MLB_ERR_PRECONDITION_FAILED', message: `order ${id} was changed by another request (current revision 1)`, field: 'If-Match' });
    const fresh = await send('POST', `orders/${id}/ports/cancel`, { headers: { 'if-match': 'W/"1"' } });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers.get('etag'), '"1"');
    assert.equal((await send('POST', `orders/${id}/ports/cancel`, { headers: { 'if-match': '1' } })).body.error.field, 'If-Match');
  });

  it('refuses a port it cannot call before reading the body', async () => {
    const { id } = await newOrder();
    const unknown = await send('POST', `orders/${id}/ports/nope`, { body: '{not json' });
    assert.deepEqual([unknown.status, unknown.body.error.message], [404, 'order has no port "nope"']);
    const outbound = await send('POST', `orders/${id}/ports/dispatch`, { body: '{not json' });
    assert.deepEqual([outbound.status, outbound.body.error.message], [403, 'port "dispatch" of order is outbound: only inbound ports can be called over HTTP']);
    assert.equal((await send('POST', `orders/${id}/ports/cancel`, { body: '{not json' })).status, 400);
  });

  it('checks list queries against the model, and related pages against the related model when served here', async () => {
    const { id } = await newOrder();
    const unknown = await send('GET', 'orders?nope=1');
    assert.deepEqual([unknown.status, unknown.body.error], [400, { code: 'MLB_ERR_BAD_QUERY', message: 'cannot filter by "nope": not a filterable field of this model', field: 'nope' }]);
    assert.equal((await send('GET', 'orders?limit=51')).body.error.message, '"limit" must be an integer from 1 to 50');
    const page = await send('GET', 'orders?limit=1&count');
    assert.deepEqual([page.status, page.body.limit, page.body.offset, page.headers.get('x-total-count')], [200, 1, 0, String(page.body.total)]);

    const badLine = await send('GET', `orders/${id}/lines?qty=two`);
    assert.deepEqual([badLine.status, badLine.body.error.field], [400, 'qty']);
    assert.equal((await send('GET', `orders/${id}/lines?status=new`)).body.error.message, 'cannot filter by "status": not a filterable field of this model');
    const related = await send('GET', `orders/${id}?relation=lines&qty=2`);
    assert.deepEqual([related.status, related.body.data.length, related.body.data[0].orderId], [200, 1, id]);

    // The other host checks its own fields: any plain name passes, its value as written.
    const remote = await send('GET', `orders/${id}/invoices?sku=0x10&limit=3`);
    assert.equal(remote.status, 200);
    assert.deepEqual(invoiceQueries.at(-1)?.filter, { sku: '0x10', orderId: id });
    assert.equal((await send('GET', `orders/${id}/invoices?a.b=1`)).body.error.field, 'a.b');
  });
});

describe('model router, when a datasource fails in a way the client did not cause', () => {
  // What a datasource's MLB_ERR_INTERNAL carries (here a server's own words) is for the log only.
  const serverWords = 'java.lang.ClassCastException: class org.bson.BsonString cannot be cast to class org.bson.BsonDocument';
  const failing = createMemoryDatasource({ collection: 'thing', dataDir: '' });
  const readFailure = () => new MicrolibError('MLB_ERR_INTERNAL', `the database could not read a record: ${serverWords}`);
  failing.get = () => Promise.reject(readFailure());
  // The read route asks getNow first: it throws where get rejects.
  failing.getNow = () => {
    throw readFailure();
  };
  failing.list = () => Promise.reject(new TypeError(`not a datasource error at all: ${serverWords}`));
  const model = new Model({ modelName: 'thing', endpoint: 'things', factory: () => (input) => ({ ...input }) }, { remote: 'shop', version: 'v1' });
  const thing: ServedModel = { model, service: new ModelService(model, failing, clock), servedBy: 'shop@v1' };
  const logged: Array<{ error: unknown; requestId: string }> = [];
  let server: Server;
  let base: string;

  before(async () => {
    await failing.open();
    const router = createModelRouter(
      { current: new Catalog(new Map([['things', thing]]), { adapters: new Map(), services: new Map() }, new Map()) },
      { bodyLimitBytes: 10_000, defaultPageSize: 20, maxPageSize: 50, onInternalError: (error, req) => logged.push({ error, requestId: requestIdOf(req) }) },
    );
    server = createServer((req, res) => {
      assignRequestId(req, res);
      void router(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${MODELS_PREFIX}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers a generic 500 naming the request id, and hands the detail to the log under that id', async () => {
    for (const path of ['things/t1', 'things']) {
      const res = await fetch(`${base}${path}`);
      const body = (await res.json()) as Obj;
      const requestId = res.headers.get('x-request-id') ?? '';
      assert.equal(res.status, 500, path);
      assert.equal(body.error.code, 'MLB_ERR_INTERNAL');
      assert.ok(requestId && body.error.message.includes(requestId), `${path}: the message names request id ${requestId}: ${body.error.message}`);
      assert.ok(!JSON.stringify(body).includes('ClassCastException'), `${path}: the server's words stay out of the answer: ${JSON.stringify(body)}`);
      const entry = logged.find((line) => line.requestId === requestId);
      assert.ok(entry && String((entry.error as Error).message).includes('ClassCastException'), `${path}: the log has the detail under the same id`);
    }
  });
});
