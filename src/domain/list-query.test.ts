import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileFieldSchema } from './field-schema.js';
import { MicrolibError } from './errors.js';
import { checkListQuery, OPEN_FIELDS } from './list-query.js';

const schema = compileFieldSchema(
  { name: { type: 'string' }, qty: { type: 'integer' }, price: { type: 'number' }, paid: { type: 'boolean' }, tags: { type: 'array', items: { type: 'string' } } },
  false,
);
const limits = { defaultPageSize: 20, maxPageSize: 100 };
const parse = (search: string) => checkListQuery(new URLSearchParams(search), schema, limits);
const fails = (search: string, field: string) =>
  assert.throws(() => parse(search), (e: unknown) => e instanceof MicrolibError && e.code === 'MLB_ERR_BAD_QUERY' && e.field === field, search);

describe('checkListQuery', () => {
  it('defaults', () => {
    assert.deepEqual(parse(''), { filter: {}, sort: [], limit: 20, offset: 0, count: false });
  });

  it('coerces filter values by field type and reads paging, sort and count', () => {
    const query = parse('name=x&qty=3&price=2.5&paid=false&limit=5&offset=10&sort=-price,name&count');
    assert.deepEqual(query.filter, { name: 'x', qty: 3, price: 2.5, paid: false });
    assert.deepEqual(query.sort, [{ field: 'price', direction: -1 }, { field: 'name', direction: 1 }]);
    assert.equal(query.limit, 5);
    assert.equal(query.offset, 10);
    assert.equal(query.count, true);
  });

  it('rejects unknown operators, unknown or non-scalar fields, bad values and repeats', () => {
    fails('qty[$where]=1', 'qty[$where]');
    fails('$where=1', '$where');
    fails('a.b=1', 'a.b');
    fails('nope=1', 'nope');
    fails('tags=x', 'tags');
    fails('qty=1.5', 'qty');
    fails('price=abc', 'price');
    fails('paid=yes', 'paid');
    fails('limit=0', 'limit');
    fails('limit=101', 'limit');
    fails('offset=-1', 'offset');
    fails('sort=tags', 'sort');
    fails('name=a&name=b', 'name');
    fails('cursor=abc&offset=1', 'cursor');
    fails('count=maybe', 'count');
    fails('qty=0x10', 'qty');
    fails('price=Infinity', 'price');
    fails('limit=0x10', 'limit');
    fails('createdAt=%00', 'createdAt');
  });

  it('never takes prototype names as fields, even when the model declares none', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      assert.throws(() => checkListQuery([[key, 'x']], OPEN_FIELDS, limits), (e: unknown) => e instanceof MicrolibError && e.field === key);
      assert.throws(() => checkListQuery([['sort', `-${key}`]], OPEN_FIELDS, limits), (e: unknown) => e instanceof MicrolibError && e.field === 'sort');
    }
    assert.deepEqual(parse('createdAt=2024-05-01T12:00:00.000Z').filter, { createdAt: '2024-05-01T12:00:00.000Z' });
  });

  it('takes any plain field name of a model another host serves, with its value as written', () => {
    assert.deepEqual(checkListQuery([['sku', '0x10'], ['sort', '-price']], OPEN_FIELDS, limits), {
      filter: { sku: '0x10' },
      sort: [{ field: 'price', direction: -1 }],
      limit: 20,
      offset: 0,
      count: false,
    });
  });
});
