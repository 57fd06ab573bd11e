// Declared indexes spare the scan: each case counts the records a list query
// examines (the collection's own counter) and checks the page against the same
// query on an unindexed collection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ListQuery, Page } from '../../../domain/datasource.js';
import type { Json, StoredRecord } from '../../../domain/model-spec.js';
import { listQuery, makeRecord } from '../../../testing/index.js';
import { InMemoryCollection } from './in-memory-collection.js';
import { readIndexDeclarations } from './index-declarations.js';

const RECORDS = 20_000;
const STATUSES = ['new', 'paid', 'shipped', 'cancelled'];

/** Orders with a spread of totals, a status, a name and a creation time one second apart. */
function order(i: number): StoredRecord {
  const time = new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString();
  return {
    ...makeRecord(`o${String((i * 7919) % RECORDS).padStart(5, '0')}-${i}`, { total: (i * 37) % 1000, status: STATUSES[i % 4] as string, name: `name${i % 500}` }),
    createdAt: time,
    updatedAt: time,
  };
}

function filled(indexes: unknown, count = RECORDS): InMemoryCollection {
  const collection = new InMemoryCollection(readIndexDeclarations(indexes));
  for (let i = 0; i < count; i++) collection.insert(order(i), collection.allocateSeq());
  return collection;
}

const plain = filled(undefined);
const ids = (page: Page) => page.records.map((record) => record.id);

/** The page and how many records it examined. */
function measured(collection: InMemoryCollection, query: ListQuery): { page: Page; examined: number } {
  const before = collection.examined;
  const page = collection.list(query);
  return { page, examined: collection.examined - before };
}

/** Asserts the indexed answer equals the unindexed one and examined at most `most` records. */
function assertServed(collection: InMemoryCollection, query: ListQuery, most: number, against = plain): Page {
  const { page, examined } = measured(collection, query);
  assert.deepEqual(page, against.list(query), JSON.stringify(query));
  assert.ok(examined <= most, `examined ${examined} records (at most ${most} expected) for ${JSON.stringify(query)}`);
  return page;
}

describe('in-memory indexes', () => {
  const sorted = filled([{ fields: { total: 1 } }, { fields: { status: 1, createdAt: -1 } }, { fields: { name: 1 } }, { fields: { createdAt: 1 } }]);

  it('walks a sorted index for a range sorted by its field, and resumes at the cursor', () => {
    const query = listQuery({ where: [{ field: 'total', op: 'gte', value: 500 }], sort: [{ field: 'total', direction: 1 }], limit: 20 });
    const first = assertServed(sorted, query, 21);
    assert.equal(first.records[0]?.['total'], 500);
    // Resuming re-reads the cursor record's ties (20 records share each total): the index orders them by creation, pages by id.
    const second = assertServed(sorted, { ...query, cursor: first.nextCursor as string }, 21 + 20);
    assert.equal(second.records.length, 20);
    // Against the index's direction: walked from the other end.
    assertServed(sorted, { ...query, where: [{ field: 'total', op: 'lt', value: 500 }], sort: [{ field: 'total', direction: -1 }] }, 21);
    // The unindexed collection examines every record for the same page.
    assert.equal(measured(plain, query).examined, RECORDS);
  });

  it('walks a sorted index for a sort alone, with offset and cursor', () => {
    const query = listQuery({ sort: [{ field: 'total', direction: -1 }], limit: 20 });
    const first = assertServed(sorted, query, 21);
    assertServed(sorted, { ...query, cursor: first.nextCursor as string }, 21 + 20);
    assertServed(sorted, { ...query, offset: 100 }, 121);
  });

  it('counts the matches of a range from the range alone', () => {
    const query = listQuery({ where: [{ field: 'total', op: 'gte', value: 990 }, { field: 'total', op: 'lt', value: 995 }], count: true, limit: 5 });
    const page = assertServed(sorted, query, 5 * (RECORDS / 1000));
    assert.equal(page.total, 5 * (RECORDS / 1000));
  });

  it('uses a compound index for equality on its first field and a sort on its second', () => {
    const query = listQuery({ filter: { status: 'paid' }, sort: [{ field: 'createdAt', direction: -1 }], limit: 20 });
    const first = assertServed(sorted, query, 21);
    assertServed(sorted, { ...query, cursor: first.nextCursor as string }, 22);
    // The same with $eq and a range on the second field, ascending (walked backwards).
    assertServed(
      sorted,
      listQuery({
        where: [
          { field: 'status', op: 'eq', value: 'new' },
          { field: 'createdAt', op: 'gte', value: '2024-01-01T02:00:00.000Z' },
        ],
        sort: [{ field: 'createdAt', direction: 1 }],
        limit: 20,
      }),
      21,
    );
    // The first field alone, in creation order: every record of that status is a candidate, no other.
    assertServed(sorted, listQuery({ filter: { status: 'shipped' }, count: true }), RECORDS / 4);
  });

  it('serves a prefix and an $in list from a sorted index', () => {
    assertServed(sorted, listQuery({ where: [{ field: 'name', op: 'prefix', value: 'name49' }], count: true }), 11 * (RECORDS / 500));
    assertServed(sorted, listQuery({ where: [{ field: 'total', op: 'in', value: [3, 999, 4, 'x', null] }], limit: 20 }), 21);
  });

  it('compares date-times as instants through an index of stored ISO texts, and stops using it for texts that do not sort as instants', () => {
    const collection = filled([{ fields: { createdAt: 1 } }], 2_000);
    const control = filled(undefined, 2_000);
    const query = listQuery({ where: [{ field: 'createdAt', op: 'gt', value: '2024-01-01T00:30:00+00:30', instant: true }], sort: [{ field: 'createdAt', direction: 1 }], limit: 10 });
    const page = assertServed(collection, query, 11, control);
    assert.equal(page.records[0]?.createdAt, '2024-01-01T00:00:01.000Z');
    // Within the first second, as instants: nothing yet.
    const window = listQuery({
      where: [
        { field: 'createdAt', op: 'gt', value: '2024-01-01T00:00:00Z', instant: true },
        { field: 'createdAt', op: 'lt', value: '2024-01-01T00:00:01Z', instant: true },
      ],
    });
    assert.deepEqual(assertServed(collection, window, 1, control).records, []);
    // Half a second in, written at +01:00: as text it sorts an hour later, so the index no longer answers instant ranges.
    const odd = { ...makeRecord('odd'), createdAt: '2024-01-01T01:00:00.500+01:00' };
    for (const target of [collection, control]) target.insert(structuredClone(odd), target.allocateSeq());
    assert.deepEqual(ids(assertServed(collection, window, 2_001, control)), ['odd']);
    for (const target of [collection, control]) target.remove('odd');
    assertServed(collection, window, 1, control);
    assertServed(collection, query, 11, control);
  });

  it('keeps a hash index for equality and $in, in creation order', () => {
    const hashed = filled([{ fields: { status: 'hashed' } }, { fields: { name: 'hashed' } }]);
    const first = assertServed(hashed, listQuery({ where: [{ field: 'status', op: 'eq', value: 'cancelled' }], limit: 20 }), 21);
    assertServed(hashed, listQuery({ where: [{ field: 'status', op: 'eq', value: 'cancelled' }], limit: 20, cursor: first.nextCursor as string }), 21);
    assertServed(hashed, listQuery({ where: [{ field: 'status', op: 'in', value: ['new', 'paid', 'gone'] }], limit: 20 }), 21);
    assertServed(hashed, listQuery({ filter: { name: 'name7' }, sort: [{ field: 'total', direction: 1 }], count: true }), RECORDS / 500);
    assertServed(hashed, listQuery({ filter: { name: 'nobody' }, count: true }), 0);
  });

  it('follows creates, updates and deletes', () => {
    const collection = filled([{ fields: { total: 1 } }, { fields: { status: 'hashed' } }], 1_000);
    const control = filled(undefined, 1_000);
    const both = (change: (target: InMemoryCollection) => void) => [collection, control].forEach(change);
    const moved = { ...(control.get(control.inCreationOrder().next().value!.record.id) as StoredRecord), total: 5000, status: 'lost' };
    both((target) => target.replace(structuredClone(moved)));
    const top = listQuery({ sort: [{ field: 'total', direction: -1 }], limit: 3 });
    assert.equal(assertServed(collection, top, 4, control).records[0]?.id, moved.id);
    assert.equal(assertServed(collection, listQuery({ filter: { status: 'lost' } }), 1, control).records[0]?.id, moved.id);
    both((target) => target.remove(moved.id));
    both((target) => target.insert(structuredClone({ ...order(5000), total: 4000 }), target.allocateSeq()));
    assert.equal(assertServed(collection, top, 4, control).records[0]?.['total'], 4000);
    assert.equal(assertServed(collection, listQuery({ filter: { status: 'lost' }, count: true }), 0, control).total, 0);
  });

  it('leaves queries no index serves to the scan, with the same answers', () => {
    const query = listQuery({ where: [{ field: 'total', op: 'ne', value: 3 }], sort: [{ field: 'name', direction: 1 }, { field: 'id', direction: -1 }], limit: 7, count: true });
    assertServed(sorted, query, RECORDS);
  });
});

describe('index declarations', () => {
  it('take the mongodb datasource shape, with names made of the fields', () => {
    assert.deepEqual(readIndexDeclarations([{ fields: { status: 1, createdAt: -1 } }, { fields: { email: 'hashed' }, name: 'by_email' }]), [
      { name: 'status_1_createdAt_-1', fields: [{ field: 'status', direction: 1 }, { field: 'createdAt', direction: -1 }], hashed: false },
      { name: 'by_email', fields: [{ field: 'email', direction: 1 }], hashed: true },
    ]);
    assert.deepEqual(readIndexDeclarations(undefined), []);
  });

  it('refuse what they cannot serve, naming the entry', () => {
    const cases: [unknown, RegExp][] = [
      [{ fields: { a: 1 } }, /array/],
      [[{}], /entry 0 needs "fields"/],
      [[{ fields: { 'a.b': 1 } }], /top-level/],
      [[{ fields: { __proto__x: 1, $where: 1 } }], /entry 0: "\$where"/],
      [[{ fields: { a: 2 } }], /1, -1 or "hashed"/],
      [[{ fields: { a: 'hashed', b: 1 } }], /one field/],
      [[{ fields: { a: 1 }, unique: true }], /unique/],
      [[{ fields: { a: 1 } }, { fields: { a: 1 } }], /repeats/],
      [[{ fields: { a: 1 }, name: 'x' }, { fields: { b: 1 }, name: 'x' }], /already named/],
      [Array.from({ length: 33 }, (_, i) => ({ fields: { [`f${i}`]: 1 } })), /at most 32/],
    ];
    for (const [value, message] of cases) {
      assert.throws(() => readIndexDeclarations(value as Json), (error: unknown) => {
        const { code, field, message: text } = error as { code?: string; field?: string; message: string };
        return code === 'MLB_ERR_VALIDATION' && field === 'indexes' && message.test(text);
      }, JSON.stringify(value));
    }
  });
});
