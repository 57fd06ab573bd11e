import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonOf, withJson } from './record-json.js';

describe('record JSON text', () => {
  it('is kept on the record it was attached to and on no copy of it', () => {
    const record = withJson({ id: 'a', n: 1 }, '{"id":"a","n":1}');
    assert.equal(jsonOf(record), '{"id":"a","n":1}');
    assert.equal(jsonOf({ ...record }), undefined);
    assert.equal(jsonOf(Object.assign({}, record)), undefined);
    assert.equal(jsonOf(structuredClone(record)), undefined);
    assert.equal(jsonOf(JSON.parse(JSON.stringify(record)) as object), undefined);
  });

  it('is not a property anything can see', () => {
    const record = withJson({ id: 'a' }, '{"id":"a"}');
    assert.deepEqual(Reflect.ownKeys(record), ['id']);
    assert.equal(JSON.stringify(record), '{"id":"a"}');
  });

  it('is replaced when the same record is given a new text', () => {
    const record = withJson({ id: 'a', n: 1 }, '{"id":"a","n":1}');
    record.n = 2;
    withJson(record, '{"id":"a","n":2}');
    assert.equal(jsonOf(record), '{"id":"a","n":2}');
  });

  it('is absent from records that never had one', () => {
    assert.equal(jsonOf({ id: 'a' }), undefined);
    assert.equal(jsonOf([]), undefined);
  });
});
