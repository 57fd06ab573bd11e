import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageJsonText } from './page-json.js';

const record = (id: string, extra: Record<string, unknown> = {}) => ({ id, name: `n"${id}`, nested: { list: [1, 'two', null] }, ...extra });

test('the page text equals JSON.stringify of the page', () => {
  const records = [record('a'), record('b', { note: 'é\u2028' })];
  const figures = { limit: 20, offset: 0, total: 2, nextCursor: 'eyJ9' };
  assert.equal(pageJsonText(records.map((r) => JSON.stringify(r)), figures), JSON.stringify({ data: records, ...figures }));
});

test('an empty page, and figures JSON leaves out', () => {
  const figures = { limit: 5, offset: undefined, total: 0 };
  assert.equal(pageJsonText([], figures), JSON.stringify({ data: [], ...figures }));
});

test('a cursor page (no offset) with a cursor that needs escaping, and numbers JSON cannot hold', () => {
  const figures = { limit: 1e21, nextCursor: 'a"b\\c\u2028' };
  assert.equal(pageJsonText([JSON.stringify(record('x'))], figures), JSON.stringify({ data: [record('x')], ...figures }));
  assert.equal(pageJsonText([], { limit: Number.NaN, total: Infinity }), JSON.stringify({ data: [], limit: Number.NaN, total: Infinity }));
});
