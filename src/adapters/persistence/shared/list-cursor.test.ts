import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCursor, encodeCursor } from './list-cursor.js';

const payloadOf = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));

test('a creation-order cursor carries the sort, the sequence and the id, and reads back', () => {
  const id = 'ünïcode "quoted" \\ id';
  const cursor = encodeCursor([], [42], id);
  assert.deepEqual(payloadOf(cursor), { k: [], v: [42], i: id });
  assert.deepEqual(decodeCursor(cursor, [], 1), { values: [42], id });
});

test('a sorted cursor carries each sort value (null for a missing one) and reads back only for its sort', () => {
  const sort = [{ field: 'total', direction: -1 as const }, { field: 'name', direction: 1 as const }];
  const cursor = encodeCursor(sort, [9.5, undefined], 'r1');
  assert.deepEqual(payloadOf(cursor), { k: [['total', -1], ['name', 1]], v: [9.5, null], i: 'r1' });
  assert.deepEqual(decodeCursor(cursor, sort, 2), { values: [9.5, null], id: 'r1' });
  assert.throws(() => decodeCursor(cursor, [], 1), { code: 'MLB_ERR_BAD_QUERY', field: 'cursor' });
});
