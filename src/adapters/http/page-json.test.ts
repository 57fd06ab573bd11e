import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageJsonText } from './page-json.js';

const record = (id: string, extra: Record<string, unknown> = {}) => ({ id, name: `n"${id}`, nested: { list: [1, 'two', null] }, ...extra });

test('the page text equals JSON.stringify of the page', () => {
  const records = [record('a'), record('b', { note: 'é\u2028' })];
  const rest = { limit: 20, offset: 0, total: 2, nextCursor: 'eyJ9' };
  assert.equal(pageJsonText(records.map((r) => JSON.stringify(r)), rest), JSON.stringify({ data: records, ...rest }));
});

test('an empty page, and keys JSON leaves out', () => {
  const rest = { limit: 5, offset: undefined, total: 0 };
  assert.equal(pageJsonText([], rest), JSON.stringify({ data: [], ...rest }));
});
