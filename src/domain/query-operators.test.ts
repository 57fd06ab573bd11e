import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileFieldSchema } from './field-schema.js';
import { MicrolibError } from './errors.js';
import { checkListQuery, OPEN_FIELDS } from './list-query.js';
import { conditionParameter, joinList, MAX_LIST_VALUES, splitList } from './query-operators.js';

const schema = compileFieldSchema(
  {
    name: { type: 'string' },
    qty: { type: 'integer' },
    price: { type: 'number' },
    paid: { type: 'boolean' },
    due: { type: 'date' },
    status: { type: 'string', enum: ['open', 'paid', 'void'] },
    tags: { type: 'array', items: { type: 'string' } },
    address: { type: 'object' },
  },
  false,
);
const limits = { defaultPageSize: 20, maxPageSize: 100 };
const parse = (search: string) => checkListQuery(new URLSearchParams(search), schema, limits);
/** Asserts MLB_ERR_BAD_QUERY on `field`, with a message matching every pattern given. */
const fails = (search: string, field: string, ...messages: RegExp[]) =>
  assert.throws(
    () => parse(search),
    (e: unknown) => {
      assert.ok(e instanceof MicrolibError && e.code === 'MLB_ERR_BAD_QUERY', `${search}: ${String(e)}`);
      assert.equal(e.field, field, search);
      for (const message of messages) assert.match(e.message, message, search);
      return true;
    },
  );

describe('query operators in list requests', () => {
  it('reads each comparison by the field type, leaving equality in the filter', () => {
    const query = parse('qty[$gte]=10&qty[$lt]=20&price[$gt]=2.5&name[$lte]=m&paid[$ne]=true&name=x');
    assert.deepEqual(query.filter, { name: 'x' });
    assert.deepEqual(query.where, [
      { field: 'qty', op: 'gte', value: 10 },
      { field: 'qty', op: 'lt', value: 20 },
      { field: 'price', op: 'gt', value: 2.5 },
      { field: 'name', op: 'lte', value: 'm' },
      { field: 'paid', op: 'ne', value: true },
    ]);
    assert.equal(query.anyOf, undefined);
  });

  it('reads a date range as an instant, in UTC when no offset is given', () => {
    assert.deepEqual(parse('due[$gte]=2024-05-01T12:00:00%2B02:00').where, [{ field: 'due', op: 'gte', value: '2024-05-01T10:00:00.000Z', instant: true }]);
    assert.deepEqual(parse('createdAt[$lt]=2024-05-01').where, [{ field: 'createdAt', op: 'lt', value: '2024-05-01T00:00:00.000Z', instant: true }]);
    assert.deepEqual(parse('updatedAt[$gt]=2024-05-01T12:30').where, [{ field: 'updatedAt', op: 'gt', value: '2024-05-01T12:30:00.000Z', instant: true }]);
    assert.deepEqual(parse('due[$ne]=2024-05-01T12:00:00Z').where, [{ field: 'due', op: 'ne', value: '2024-05-01T12:00:00Z' }], '$ne compares text, as equality does');
    fails('due[$gt]=yesterday', 'due[$gt]', /date-time/);
    fails('due[$gt]=2024-13-01', 'due[$gt]', /date-time/);
  });

  it('reads $in and $nin lists split at commas, repeated or not, with \\, for a comma', () => {
    assert.deepEqual(parse('qty[$in]=1,2,3').where, [{ field: 'qty', op: 'in', value: [1, 2, 3] }]);
    assert.deepEqual(parse('qty[$in]=1&name=a&qty[$in]=2,3').where, [{ field: 'qty', op: 'in', value: [1, 2, 3] }]);
    assert.deepEqual(parse('name[$nin]=a\\,b,c\\\\d,').where, [{ field: 'name', op: 'nin', value: ['a,b', 'c\\d', ''] }]);
    assert.deepEqual(parse('status[$in]=open,paid').where, [{ field: 'status', op: 'in', value: ['open', 'paid'] }]);
    fails('name[$in]=a\\b', 'name[$in]', /backslash/);
    fails('qty[$in]=1,x', 'qty[$in]', /integer/);
    fails(`qty[$in]=${Array.from({ length: MAX_LIST_VALUES + 1 }, (_, i) => i).join(',')}`, 'qty[$in]', /more than 100/);
    fails(`qty[$in]=${Array.from({ length: 60 }, (_, i) => i).join(',')}&qty[$in]=${Array.from({ length: 60 }, (_, i) => i).join(',')}`, 'qty[$in]', /more than 100/);
    for (const items of [['a,b', 'c\\d', ''], ['plain'], ['\\,', ',']]) assert.deepEqual(splitList(joinList(items), 'x'), items);
  });

  it('reads $exists and $prefix', () => {
    assert.deepEqual(parse('name[$exists]=false&qty[$exists]=true').where, [
      { field: 'name', op: 'exists', value: false },
      { field: 'qty', op: 'exists', value: true },
    ]);
    assert.deepEqual(parse('tags[$exists]=true&address[$exists]=false').where?.length, 2, '$exists also applies to object and array fields');
    assert.deepEqual(parse('name[$prefix]=Jo.*').where, [{ field: 'name', op: 'prefix', value: 'Jo.*' }]);
    fails('name[$exists]=yes', 'name[$exists]', /true or false/);
    fails('name[$prefix]=', 'name[$prefix]', /at least one character/);
    fails('name[$prefix]=a%00', 'name[$prefix]', /NUL/);
  });

  it('reads an $or of branches, each an AND of its conditions, in branch order', () => {
    const query = parse('$or[1][qty][$gt]=100&$or[0][status]=open&$or[1][paid]=true&name=x');
    assert.deepEqual(query.filter, { name: 'x' });
    assert.equal(query.where, undefined);
    assert.deepEqual(query.anyOf, [
      [{ field: 'status', op: 'eq', value: 'open' }],
      [
        { field: 'qty', op: 'gt', value: 100 },
        { field: 'paid', op: 'eq', value: true },
      ],
    ]);
    fails('$or[0][$or][0][qty]=1', '$or[0][$or][0][qty]', /\$or/);
    fails('$or[0][$or][0]=1', '$or[0][$or][0]', /cannot hold another \$or/);
    fails('$or[10][qty]=1', '$or[10][qty]', /at most 10 branches/);
    fails('$or[01][qty]=1', '$or[01][qty]', /branches/);
    fails('$or[x][qty]=1', '$or[x][qty]', /branches/);
    fails('$or=1', '$or', /\$or/);
    fails('$or[0]=1', '$or[0]', /\$or/);
    fails('$or[0][nope]=1', '$or[0][nope]', /nope/);
    fails('$or[0][qty][$regex]=1', '$or[0][qty][$regex]', /\$regex/);
    fails(`${'$or[0]'.repeat(20)}[qty]=1`, `${'$or[0]'.repeat(20)}[qty]`, /\$or/);
  });

  it('refuses unknown operators, operators a field type does not take and wrong-typed values, naming field and operator', () => {
    fails('qty[$where]=1', 'qty[$where]', /unknown query operator "\$where" on "qty"/);
    fails('name[$regex]=.*', 'name[$regex]', /\$regex/, /name/);
    fails('name[gt]=1', 'name[gt]', /unknown query operator "gt"/);
    fails('name[]=a', 'name[]', /unknown query operator/);
    fails('qty[$in][]=1', 'qty[$in][]', /not a filter/);
    fails('$where=1', '$where', /\$where/);
    fails('$and[0][qty]=1', '$and[0][qty]', /not a filter/);
    fails('paid[$gt]=true', 'paid[$gt]', /\$gt does not apply to "paid", a boolean field/);
    fails('qty[$prefix]=1', 'qty[$prefix]', /\$prefix does not apply to "qty", an integer field: it takes \$ne, \$gt/);
    fails('due[$prefix]=2024', 'due[$prefix]', /\$prefix/);
    fails('tags[$gt]=a', 'tags[$gt]', /cannot filter by "tags"/);
    fails('nope[$gt]=1', 'nope[$gt]', /cannot filter by "nope"/);
    fails('qty[$gt]=1.5', 'qty[$gt]', /integer/);
    fails('price[$lt]=abc', 'price[$lt]', /number/);
    fails('paid[$ne]=yes', 'paid[$ne]', /true or false/);
    fails('status[$in]=open,bogus', 'status[$in]', /one of/);
    fails('status=bogus', 'status', /one of/);
    fails('qty[$gt]=1&qty[$gt]=2', 'qty[$gt]', /more than once/);
    fails('__proto__[$gt]=1', '__proto__[$gt]', /cannot filter/);
    fails('a.b[$gt]=1', 'a.b[$gt]', /plain names/);
    fails('flow[$exists]=true', 'flow[$exists]', /cannot filter/);
  });

  it('bounds the filters of one request', () => {
    // Distinct names: each a field of a model without declared fields.
    assert.throws(() => checkListQuery(Array.from({ length: 51 }, (_, i) => [`f${i}[$gt]`, '1'] as const), OPEN_FIELDS, limits), /at most 50 filters/);
    assert.equal(checkListQuery(Array.from({ length: 50 }, (_, i) => [`f${i}`, '1'] as const), OPEN_FIELDS, limits).filter.f49, '1');
  });

  it('keeps values as strings on a model without declared fields', () => {
    const query = checkListQuery(new URLSearchParams('total[$gt]=10&flag[$in]=true,1&$or[0][x]=5'), OPEN_FIELDS, limits);
    assert.deepEqual(query.where, [
      { field: 'total', op: 'gt', value: '10' },
      { field: 'flag', op: 'in', value: ['true', '1'] },
    ]);
    assert.deepEqual(query.anyOf, [[{ field: 'x', op: 'eq', value: '5' }]]);
    assert.throws(() => checkListQuery([['constructor[$ne]', 'x']], OPEN_FIELDS, limits), /cannot filter/);
  });

  it('writes each condition back as the parameter it was read from', () => {
    const search = 'qty[$gte]=10&name[$in]=a\\,b,c&name[$exists]=false&name[$prefix]=Jo&$or[0][status]=open&$or[1][qty][$lt]=3';
    const query = parse(search);
    const written = [...(query.where ?? []).map((c) => conditionParameter(c)), ...(query.anyOf ?? []).flatMap((branch, i) => branch.map((c) => conditionParameter(c, i)))];
    assert.deepEqual(parse(new URLSearchParams(written).toString()), query);
  });
});
