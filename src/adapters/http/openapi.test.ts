import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ModelSpecification } from '../../domain/model-spec.js';
import { buildOpenApiDocument, type OpenApiRoute } from './openapi.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM (as in field-schema.ts).
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking a JSON document

const SECRET = 'sk-do-not-leak';

const orderSpec: ModelSpecification = {
  modelName: 'order',
  endpoint: 'orders',
  factory: () => (input) => ({ ...input }),
  dependencies: { apiKey: SECRET },
  validate: () => undefined,
  fields: {
    customerId: { type: 'string', required: true, description: 'Who ordered.' },
    total: { type: 'number', minimum: 0 },
    status: { type: 'string', enum: ['new', 'paid'], default: 'new' },
    placedAt: { type: 'date', readOnly: true },
    items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string', required: true }, qty: { type: 'integer', minimum: 1 } } } },
    email: { type: 'string', format: 'email', sensitive: true, lookup: true },
  },
  relations: {
    customer: { type: 'manyToOne', modelName: 'customer', foreignKey: 'customerId', description: 'The buyer.' },
    lines: { type: 'oneToMany', modelName: 'line', foreignKey: 'orderId' },
  },
  commands: {
    approve: { command: (model) => ({ status: 'paid', id: model.id }), acl: ['order:approve'], description: 'Approves.' },
    submit: { command: 'authorizePayment' },
  },
  ports: {
    cancelOrder: { type: 'inbound', description: 'A cancellation from outside.', callback: () => ({ status: 'new' }) },
    authorizePayment: { type: 'outbound', adapter: 'paymentAdapter', service: 'stripe' },
  },
};

// A model without fields: any JSON object is accepted.
const customerSpec: ModelSpecification = { modelName: 'customer', endpoint: 'customers', factory: () => (input) => input };

const routes: OpenApiRoute[] = [
  {
    model: {
      name: 'order',
      endpoint: 'orders',
      spec: orderSpec,
      ports: new Map([
        ['cancelOrder', { type: 'inbound' as const, disabled: false }],
        ['authorizePayment', { type: 'outbound' as const, disabled: false }],
      ]),
    },
    servedBy: 'shop@abc123',
  },
  { model: { name: 'customer', endpoint: 'customers', spec: customerSpec, ports: new Map() }, servedBy: 'crm@def456' },
];

const P = '/microlib/api/models';
const build = (authEnabled: boolean) => buildOpenApiDocument(routes, { title: 'microlib', version: '1.2.3', serverUrl: 'https://api.example', authEnabled }) as Obj;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function operations(doc: Obj): Array<{ path: string; method: string; op: Obj }> {
  return Object.entries(doc.paths as Obj).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((method) => ({ path, method, op: item[method] as Obj })),
  );
}

/** Follows a local JSON pointer (`#/a/b`) in the document. */
function resolve(doc: Obj, pointer: string): unknown {
  assert.ok(pointer.startsWith('#/'), `local ref: ${pointer}`);
  return pointer
    .slice(2)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' && Object.hasOwn(node, key) ? (node as Obj)[key] : undefined), doc);
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const v of node) collectRefs(v, out);
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

/**
 * A compact subset of the OpenAPI 3.1 schema: the rules below, not the whole
 * official meta-schema (which is not installed and must not be downloaded).
 */
const OAS_SUBSET = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+(-.+)?$' },
    info: { type: 'object', required: ['title', 'version'], properties: { title: { type: 'string' }, version: { type: 'string' } } },
    servers: { type: 'array', items: { type: 'object', required: ['url'], properties: { url: { type: 'string' } } } },
    security: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
    tags: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
    paths: { type: 'object', propertyNames: { pattern: '^/' }, additionalProperties: { $ref: '#/$defs/pathItem' } },
    components: {
      type: 'object',
      properties: {
        schemas: { type: 'object', propertyNames: { pattern: '^[a-zA-Z0-9._-]+$' }, additionalProperties: { type: ['object', 'boolean'] } },
        responses: { type: 'object', additionalProperties: { $ref: '#/$defs/response' } },
        parameters: { type: 'object', additionalProperties: { $ref: '#/$defs/parameter' } },
        headers: { type: 'object', additionalProperties: { type: 'object', required: ['schema'] } },
        securitySchemes: {
          type: 'object',
          additionalProperties: { type: 'object', required: ['type'], properties: { type: { enum: ['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'] } } },
        },
      },
    },
  },
  patternProperties: { '^x-': true },
  additionalProperties: false,
  $defs: {
    reference: { type: 'object', required: ['$ref'], properties: { $ref: { type: 'string', format: 'uri-reference' } } },
    pathItem: {
      type: 'object',
      properties: {
        parameters: { type: 'array', items: { $ref: '#/$defs/parameterOrRef' } },
        ...Object.fromEntries(METHODS.map((m) => [m, { $ref: '#/$defs/operation' }])),
      },
      patternProperties: { '^x-': true },
      additionalProperties: false,
    },
    operation: {
      type: 'object',
      required: ['responses'],
      properties: {
        operationId: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
        parameters: { type: 'array', items: { $ref: '#/$defs/parameterOrRef' } },
        requestBody: {
          if: { required: ['$ref'] },
          then: { $ref: '#/$defs/reference' },
          else: { type: 'object', required: ['content'], properties: { content: { $ref: '#/$defs/content' } } },
        },
        responses: {
          type: 'object',
          minProperties: 1,
          propertyNames: { pattern: '^([1-5](\\d\\d|XX)|default)$' },
          additionalProperties: { if: { required: ['$ref'] }, then: { $ref: '#/$defs/reference' }, else: { $ref: '#/$defs/response' } },
        },
      },
    },
    response: {
      type: 'object',
      required: ['description'],
      properties: { description: { type: 'string' }, content: { $ref: '#/$defs/content' }, headers: { type: 'object' } },
    },
    content: { type: 'object', additionalProperties: { type: 'object', properties: { schema: { type: ['object', 'boolean'] } } } },
    parameterOrRef: { if: { required: ['$ref'] }, then: { $ref: '#/$defs/reference' }, else: { $ref: '#/$defs/parameter' } },
    parameter: {
      type: 'object',
      required: ['name', 'in', 'schema'],
      properties: { name: { type: 'string' }, in: { enum: ['query', 'header', 'path', 'cookie'] }, required: { type: 'boolean' } },
      // Path parameters must say they are required.
      if: { properties: { in: { const: 'path' } } },
      then: { required: ['required'], properties: { required: { const: true } } },
    },
  },
};

function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

describe('buildOpenApiDocument', () => {
  const doc = build(false);
  const paths = doc.paths as Obj;
  const schemas = doc.components.schemas as Obj;

  it('is an OpenAPI 3.1.0 document with info, server and tags', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.info, { title: 'microlib', version: '1.2.3' });
    assert.deepEqual(doc.servers, [{ url: 'https://api.example' }]);
    assert.deepEqual(doc.tags, [{ name: 'order' }, { name: 'customer' }]);
    assert.equal(doc.security, undefined);
  });

  it('has every generated route with the right methods and ids', () => {
    const expected: Record<string, Record<string, string>> = {
      [`${P}/orders`]: { get: 'listOrders', post: 'createOrder', patch: 'updateOrders', delete: 'deleteOrders' },
      [`${P}/orders/{id}`]: { get: 'getOrder', patch: 'updateOrder', delete: 'deleteOrder' },
      [`${P}/orders/{id}/customer`]: { get: 'getOrderCustomer' },
      [`${P}/orders/{id}/lines`]: { get: 'getOrderLines' },
      [`${P}/orders/{id}/commands/approve`]: { post: 'runOrderApprove' },
      [`${P}/orders/{id}/commands/submit`]: { post: 'runOrderSubmit' },
      [`${P}/orders/{id}/commands/decrypt`]: { post: 'runOrderDecrypt' },
      [`${P}/orders/{id}/ports/cancelOrder`]: { post: 'callOrderCancelOrder' },
      // PATCH /:id/<command> runs the command too.
      [`${P}/orders/{id}/approve`]: { patch: 'patchOrderApprove' },
      [`${P}/orders/{id}/submit`]: { patch: 'patchOrderSubmit' },
      [`${P}/orders/{id}/decrypt`]: { patch: 'patchOrderDecrypt' },
      [`${P}/customers`]: { get: 'listCustomers', post: 'createCustomer', patch: 'updateCustomers', delete: 'deleteCustomers' },
      [`${P}/customers/{id}`]: { get: 'getCustomer', patch: 'updateCustomer', delete: 'deleteCustomer' },
    };
    assert.deepEqual(Object.keys(paths).sort(), Object.keys(expected).sort());
    for (const [path, methods] of Object.entries(expected)) {
      const item = paths[path] as Obj;
      assert.deepEqual(METHODS.filter((m) => m in item).sort(), Object.keys(methods).sort(), path);
      for (const [method, id] of Object.entries(methods)) assert.equal(item[method].operationId, id, `${method} ${path}`);
      assert.equal(item['x-microlib-served-by'], path.includes('/orders') ? 'shop@abc123' : 'crm@def456');
    }
  });

  it('documents statuses, headers and parameters of the CRUD routes', () => {
    const list = paths[`${P}/orders`].get;
    const names = list.parameters.map((p: Obj) => (p.$ref ? (resolve(doc, p.$ref) as Obj).name : p.name));
    for (const n of ['limit', 'offset', 'cursor', 'sort', 'count', 'customerId', 'total', 'status', 'placedAt', 'email', 'id']) assert.ok(names.includes(n), n);
    assert.ok(!names.includes('items'), 'non-scalar fields are not filters');
    const create = paths[`${P}/orders`].post.responses;
    assert.deepEqual(Object.keys(create['201'].headers).sort(), ['ETag', 'Location', 'x-microlib-version']);
    for (const s of ['400', '409', '413', '415']) assert.ok(create[s], s);
    const item = paths[`${P}/orders/{id}`];
    assert.ok(item.get.responses['304'] && item.get.responses['200'].headers.ETag);
    assert.ok(item.patch.responses['412']);
    assert.ok(item.patch.parameters.some((p: Obj) => p.$ref === '#/components/parameters/ifMatch'));
    assert.ok(item.delete.responses['204']);
    assert.equal(item.get.responses['401'], undefined, 'no auth answers when auth is off');
    const relation = item.get.parameters.find((p: Obj) => p.name === 'relation');
    assert.deepEqual([relation.in, relation.schema.enum], ['query', ['customer', 'lines']], '?relation=<name> answers as /:id/<name>');
    assert.ok(!paths[`${P}/customers/{id}`].get.parameters.some((p: Obj) => p.name === 'relation'), 'no relation parameter without relations');
    // Commands and ports take If-Match too.
    for (const run of [paths[`${P}/orders/{id}/commands/approve`].post, paths[`${P}/orders/{id}/ports/cancelOrder`].post, paths[`${P}/orders/{id}/approve`].patch]) {
      assert.deepEqual(run.parameters, [{ $ref: '#/components/parameters/ifMatch' }]);
      assert.ok(run.responses['412'] && run.responses['502'], run.operationId);
    }
    // Relations answer with the related model's schemas when it is served here.
    assert.equal(paths[`${P}/orders/{id}/customer`].get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/Customer');
    assert.equal(paths[`${P}/orders/{id}/lines`].get.responses['200'].content['application/json'].schema.properties.data.type, 'array');
    const error = schemas.Error;
    assert.deepEqual(error.properties.error.required, ['code', 'message']);
    assert.ok(error.properties.error.properties.field);
  });

  it('documents field selection on reads, lists and relation pages', () => {
    for (const operation of [paths[`${P}/orders`].get, paths[`${P}/orders/{id}`].get, paths[`${P}/orders/{id}/lines`].get, paths[`${P}/orders/{id}/customer`].get]) {
      assert.ok(operation.parameters.some((p: Obj) => p.$ref === '#/components/parameters/fields'), operation.operationId);
    }
    const fields = resolve(doc, '#/components/parameters/fields') as Obj;
    assert.equal(fields.in, 'query');
    assert.match(fields.description, /`id` always/);
    assert.equal(paths[`${P}/orders`].post.parameters, undefined, 'no selection on writes');
  });

  it('documents batches: an array on POST, PATCH and DELETE on the collection, 207 with one result per item', () => {
    const collection = paths[`${P}/orders`];
    const create = collection.post;
    const [one, many] = create.requestBody.content['application/json'].schema.oneOf;
    assert.deepEqual(one, { $ref: '#/components/schemas/OrderCreate' });
    assert.deepEqual([many.type, many.minItems, many.items], ['array', 1, { $ref: '#/components/schemas/OrderCreate' }]);
    assert.match(create.requestBody.description, /BATCH_MAX_ITEMS/);
    assert.deepEqual(create.responses['201'].content['application/json'].schema.oneOf, [{ $ref: '#/components/schemas/Order' }, { $ref: '#/components/schemas/OrderBatchResult' }]);
    for (const operation of [create, collection.patch, collection.delete]) {
      assert.equal(operation.responses['207'].content['application/json'].schema.$ref, '#/components/schemas/OrderBatchResult', operation.operationId);
      assert.ok(operation.responses['413'], operation.operationId);
    }
    assert.equal(collection.patch.requestBody.content['application/json'].schema.items.$ref, '#/components/schemas/OrderBatchPatch');
    assert.equal(collection.patch.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/OrderBatchResult');
    assert.equal(collection.delete.requestBody.required, false, 'a delete may name its ids in ?ids= instead');
    assert.ok(collection.delete.parameters.some((p: Obj) => p.$ref === '#/components/parameters/ids'));
    const patchItem = schemas.OrderBatchPatch;
    assert.deepEqual(patchItem.required, ['id']);
    assert.ok(patchItem.properties.ifMatch && patchItem.properties.total, 'an item is the patch with id and ifMatch');
    const result = schemas.OrderBatchResult.properties.results.items;
    assert.deepEqual(result.required, ['index', 'status']);
    assert.equal(result.properties.record.$ref, '#/components/schemas/Order');
  });

  it('has unique operation ids, tags on each operation and responses everywhere', () => {
    const ops = operations(doc);
    const ids = ops.map(({ op }) => op.operationId as string);
    assert.equal(new Set(ids).size, ids.length);
    for (const { path, method, op } of ops) {
      assert.ok(Object.keys(op.responses).length > 0, `${method} ${path}`);
      assert.deepEqual(op.tags, [path.includes('/orders') ? 'order' : 'customer']);
    }
    // Same input, same ids.
    assert.deepEqual(operations(build(false)).map(({ op }) => op.operationId), ids);
  });

  it('has record, create, patch and page schemas per model', () => {
    for (const name of ['Order', 'OrderCreate', 'OrderPatch', 'OrderPage', 'Customer', 'CustomerCreate', 'CustomerPatch', 'CustomerPage', 'Error']) {
      assert.ok(schemas[name], name);
    }
    const order = schemas.Order;
    for (const f of ['id', 'createdAt', 'updatedAt', 'revision', 'flow', 'customerId', 'items']) assert.ok(order.properties[f], f);
    assert.equal(order.properties.flow.type, 'object');
    assert.equal(order.properties.placedAt.readOnly, true);
    assert.equal(order.additionalProperties, false);
    const create = schemas.OrderCreate;
    assert.deepEqual(create.required, ['customerId']);
    assert.equal(create.additionalProperties, false);
    for (const f of ['createdAt', 'updatedAt', 'revision', 'flow']) assert.equal(create.properties[f], undefined, f);
    assert.deepEqual(create.properties.placedAt, { type: 'string', format: 'date-time' });
    assert.equal(create.properties.status.default, 'new');
    const patch = schemas.OrderPatch;
    assert.equal(patch.required, undefined);
    assert.equal(patch.properties.placedAt, undefined, 'read-only fields cannot be patched');
    assert.equal(patch.properties.id, undefined);
    assert.equal(patch.properties.status.default, undefined, 'no defaults in a patch');
    assert.ok(!JSON.stringify(patch).includes('"readOnly"'));
    // A model without fields accepts any object.
    assert.equal(schemas.Customer.additionalProperties, true);
    assert.equal(schemas.CustomerCreate.additionalProperties, true);
  });

  it('gives no path to outbound ports', () => {
    assert.ok(!Object.keys(paths).some((p) => p.includes('authorizePayment')));
  });

  it('is plain JSON without functions or secrets', () => {
    const text = JSON.stringify(doc);
    assert.ok(!text.includes('function'));
    assert.ok(!text.includes('=>'));
    assert.ok(!text.includes(SECRET));
    assert.ok(!text.includes('paymentAdapter') && !text.includes('stripe'));
    assert.deepEqual(JSON.parse(text), doc);
  });

  it('lists the query operators of each filterable field, with examples', () => {
    const list = paths[`${P}/orders`].get;
    const byName = new Map<string, Obj>(list.parameters.filter((p: Obj) => !p.$ref).map((p: Obj) => [p.name as string, p]));
    const names = [...byName.keys()];
    const operators = (field: string) => names.filter((n) => n.startsWith(`${field}[`)).map((n) => n.slice(field.length));
    assert.deepEqual(operators('total'), ['[$ne]', '[$gt]', '[$gte]', '[$lt]', '[$lte]', '[$in]', '[$nin]', '[$exists]']);
    assert.deepEqual(operators('customerId'), ['[$ne]', '[$gt]', '[$gte]', '[$lt]', '[$lte]', '[$in]', '[$nin]', '[$exists]', '[$prefix]']);
    assert.deepEqual(operators('items'), ['[$exists]'], 'an array field takes $exists only');
    assert.deepEqual(operators('email'), ['[$in]'], 'an encrypted lookup field takes = and $in only');
    assert.deepEqual(operators('revision').length, 8, 'host fields too');
    const gte = byName.get('total[$gte]')!;
    assert.deepEqual([gte.in, gte.required, (gte.schema as Obj).type, gte.example], ['query', false, 'number', 10]);
    assert.deepEqual(byName.get('status[$in]')!.example, 'new,paid', 'a list example from the enum');
    assert.match(String(byName.get('status[$in]')!.description), /comma/);
    assert.match(String(byName.get('placedAt[$lt]')!.description), /instants/);
    assert.deepEqual((byName.get('placedAt[$lt]')!.schema as Obj).format, 'date-time');
    assert.deepEqual(byName.get('customerId[$exists]')!.schema, { type: 'boolean' });
    const or = byName.get('$or')!;
    assert.match(String(or.description), /\$or\[0\]\[status\]=open/);
    assert.match(String(or.description), /At most 10 branches/);
    assert.equal(new Set(names).size, names.length, 'no parameter twice');
  });

  it("documents a relation page's filters (the related model's, with examples), paging, sort and field selection", () => {
    // `lines` of an order, with the line model served here too.
    const lineSpec: ModelSpecification = {
      modelName: 'line',
      endpoint: 'lines',
      factory: () => (input) => input,
      fields: { orderId: { type: 'string', required: true }, qty: { type: 'integer' }, sku: { type: 'string' } },
    };
    const withLines = buildOpenApiDocument([...routes, { model: { name: 'line', endpoint: 'lines', spec: lineSpec, ports: new Map() }, servedBy: 'shop@abc123' }], { title: 't', version: '1', authEnabled: false }) as Obj;
    const page = withLines.paths[`${P}/orders/{id}/lines`].get;
    const named = (operation: Obj) => new Map<string, Obj>(operation.parameters.map((p: Obj) => (p.$ref ? [(resolve(withLines, p.$ref) as Obj).name as string, p] : [p.name as string, p])));
    const byName = named(page);
    for (const n of ['limit', 'offset', 'cursor', 'sort', 'count', 'fields', 'qty', 'qty[$gte]', 'qty[$in]', 'sku[$prefix]', 'createdAt[$gt]', 'id[$in]', '$or']) assert.ok(byName.has(n), n);
    assert.ok(![...byName.keys()].some((n) => n === 'orderId' || n.startsWith('orderId[')), 'the foreign key is the relation\'s, not a filter');
    assert.deepEqual([byName.get('qty[$gte]')!.example, byName.get('qty[$in]')!.example, byName.get('sku[$prefix]')!.example], [10, '10,20', 'a']);
    assert.equal(byName.get('fields')!.$ref, '#/components/parameters/fields');
    // The line model's own list documents orderId as usual.
    assert.ok(named(withLines.paths[`${P}/lines`].get).has('orderId[$in]'));
    // A relation to a model another host serves: the host fields' filters (its own fields are checked there).
    const remote = named(paths[`${P}/orders/{id}/lines`].get);
    for (const n of ['limit', 'fields', 'createdAt[$gte]', 'revision[$lt]', '$or']) assert.ok(remote.has(n), n);
    assert.ok(!remote.has('qty'));
    // A one-record relation has no page, so no filters.
    assert.ok(!named(paths[`${P}/orders/{id}/customer`].get).has('createdAt[$gte]'));
    const validate = newAjv().compile(OAS_SUBSET);
    assert.ok(validate(withLines), JSON.stringify(validate.errors, null, 2));
  });

  it('documents batches in JSON and MessagePack, with examples of a delete', () => {
    const collection = paths[`${P}/orders`];
    for (const [what, content] of [
      ['create body', collection.post.requestBody.content],
      ['patch body', collection.patch.requestBody.content],
      ['delete body', collection.delete.requestBody.content],
      ['create answer', collection.post.responses['201'].content],
      ['207 answer', collection.post.responses['207'].content],
    ] as Array<[string, Obj]>) {
      assert.deepEqual(Object.keys(content), ['application/json', 'application/msgpack'], what);
    }
    assert.deepEqual(collection.delete.requestBody.content['application/msgpack'].example, [{ id: 'a1', ifMatch: 3 }, { id: 'b2' }]);
    const ids = resolve(doc, '#/components/parameters/ids') as Obj;
    assert.equal(ids.example, 'a1,b2');
    const ajv = newAjv();
    ajv.addSchema(doc, 'oas');
    const deletions = ajv.compile({ type: 'array', items: { $ref: 'oas#/components/schemas/BatchDeletion' } });
    assert.ok(deletions(collection.delete.requestBody.content['application/json'].example), 'the example is valid');
  });

  it('adds bearer security and auth answers when authentication is on', () => {
    const secured = build(true);
    assert.deepEqual(secured.security, [{ bearerAuth: [] }]);
    assert.deepEqual(secured.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer' });
    for (const { op } of operations(secured)) {
      assert.ok(op.responses['401'] && op.responses['403'], op.operationId);
    }
  });

  for (const authEnabled of [false, true]) {
    it(`is structurally valid (auth ${authEnabled ? 'on' : 'off'})`, () => {
      const d = build(authEnabled);
      const validate = newAjv().compile(OAS_SUBSET);
      assert.ok(validate(d), JSON.stringify(validate.errors, null, 2));
      // Every $ref resolves inside the document.
      const refs = collectRefs(d);
      assert.ok(refs.length > 0);
      for (const r of refs) assert.ok(resolve(d, r) !== undefined, `unresolved ${r}`);
      // Every `{param}` of a path template is declared as a path parameter.
      for (const [path, item] of Object.entries(d.paths as Obj)) {
        const declared = ((item as Obj).parameters ?? []).map((p: Obj) => (resolve(d, p.$ref) as Obj).name);
        for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) assert.ok(declared.includes(name), `${path} declares ${name}`);
      }
    });
  }

  it('has component schemas Ajv compiles and that match what the host accepts', () => {
    const ajv = newAjv();
    ajv.addSchema(doc, 'oas');
    const create = ajv.getSchema('oas#/components/schemas/OrderCreate')!;
    const patch = ajv.getSchema('oas#/components/schemas/OrderPatch')!;
    const record = ajv.getSchema('oas#/components/schemas/Order')!;
    const page = ajv.getSchema('oas#/components/schemas/OrderPage')!;
    assert.ok(create({ customerId: 'c1', items: [{ sku: 'a', qty: 2 }], placedAt: '2024-01-01T00:00:00Z' }), JSON.stringify(create.errors));
    assert.ok(create({ id: 'my-id', customerId: 'c1' }), 'the client may choose the id');
    assert.ok(!create({ total: 3 }), 'required field missing');
    assert.ok(!create({ customerId: 'c1', nope: 1 }), 'unknown field');
    assert.ok(!create({ customerId: 'c1', revision: 2 }), 'host field');
    assert.ok(!create({ customerId: 'c1', items: [{ qty: 1 }] }), 'nested required');
    assert.ok(patch({ total: 5 }));
    assert.ok(!patch({ placedAt: '2024-01-01T00:00:00Z' }), 'read-only field');
    const stored = { id: 'o1', createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-01-01T00:00:00Z', revision: 1, customerId: 'c1', email: { iv: 'x', data: 'y' } };
    assert.ok(record(stored), JSON.stringify(record.errors));
    assert.ok(page({ data: [stored], limit: 20, offset: 0, total: 1 }), JSON.stringify(page.errors));
    const customer = ajv.getSchema('oas#/components/schemas/CustomerCreate')!;
    assert.ok(customer({ anything: { goes: true } }));
  });

  it('keeps ids and schema names unique when names collide', () => {
    const twin: OpenApiRoute = { model: { name: 'Order', endpoint: 'orders2', spec: { ...customerSpec, modelName: 'Order', endpoint: 'orders2' }, ports: new Map() }, servedBy: 'x@1' };
    const err: OpenApiRoute = { model: { name: 'error', endpoint: 'errors', spec: { ...customerSpec, modelName: 'error', endpoint: 'errors' }, ports: new Map() }, servedBy: 'x@1' };
    const d = buildOpenApiDocument([...routes, twin, err], { title: 't', version: '1', authEnabled: false }) as Obj;
    const ids = operations(d).map(({ op }) => op.operationId as string);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.includes('getOrder2') && ids.includes('listOrder2s'));
    assert.ok(d.components.schemas.Order2 && d.components.schemas.Error2 && d.components.schemas.Error.properties.error);
  });
});
