import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldCondition } from '../../../domain/datasource.js';
import { MicrolibError } from '../../../domain/errors.js';
import { listQuery } from '../../../testing/datasource-fixtures.js';
import { translateListQuery } from './mongodb-query.js';

/** Every operator name (a key starting with `$`) anywhere in a MongoDB document. */
function operatorsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) operatorsIn(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key.startsWith('$')) found.add(key);
      operatorsIn(inner, found);
    }
  }
  return found;
}

const where = (...conditions: FieldCondition[]) => translateListQuery(listQuery({ where: conditions })).filter;

describe('MongoDB translation of list conditions', () => {
  it('escapes a prefix, so it is matched as text', () => {
    assert.deepEqual(where({ field: 'name', op: 'prefix', value: 'a.b*(c)[d]{e}|^$\\+?' }), {
      name: { $regex: '^a\\.b\\*\\(c\\)\\[d\\]\\{e\\}\\|\\^\\$\\\\\\+\\?', $not: { $type: 'array' } },
    });
  });

  it('keeps operator-shaped strings as data behind the operators it chose', () => {
    const filter = where(
      { field: 'name', op: 'eq', value: '{"$where":"sleep(1000)"}' },
      { field: 'name', op: 'in', value: ['$where', '$gt'] },
      { field: 'name', op: 'gt', value: '$ne' },
    );
    const allowed = new Set(['$and', '$eq', '$not', '$type', '$in', '$gt']);
    for (const operator of operatorsIn(filter)) assert.ok(allowed.has(operator), `unexpected ${operator}`);
    assert.deepEqual((filter.$and as unknown[])[1], { name: { $in: ['$where', '$gt'], $not: { $type: 'array' } } });
  });

  it('refuses field names that are not plain names, and condition shapes it does not know', () => {
    const bad = (condition: unknown) =>
      assert.throws(() => where(condition as FieldCondition), (error: unknown) => error instanceof MicrolibError && error.code === 'MLB_ERR_BAD_QUERY');
    bad({ field: '$where', op: 'eq', value: 1 });
    bad({ field: 'a.b', op: 'gt', value: 1 });
    bad({ field: '_mlbSeq', op: 'gt', value: 1 });
    bad({ field: 'name', op: 'where', value: 'sleep(1)' });
    bad({ field: 'name', op: 'eq', value: { $gt: '' } });
    bad({ field: 'name', op: 'in', value: [{ $gt: '' }] });
  });

  it('puts an "or" of branches beside the other conditions, and counts with it', () => {
    const translated = translateListQuery(listQuery({ filter: { b: true }, anyOf: [[{ field: 'n', op: 'gt', value: 1 }], []] }));
    assert.deepEqual(translated.filter, {
      $and: [{ b: { $eq: true, $not: { $type: 'array' } } }, { $or: [{ n: { $gt: 1, $type: 'number', $not: { $type: 'array' } } }, {}] }],
    });
    assert.deepEqual(translateListQuery(listQuery({ anyOf: [] })).filter, { _id: { $in: [] } });
  });
});
