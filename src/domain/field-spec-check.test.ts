import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFieldSchema } from './field-schema.js';
import type { FieldSpec } from './model-spec.js';

const refused = (fields: Record<string, unknown>, message: RegExp) =>
  assert.throws(() => compileFieldSchema(fields as Record<string, FieldSpec>, false), (error: Error) => {
    assert.match(error.message, /^invalid field schema: /);
    assert.match(error.message, message);
    return true;
  });

test('a field spec that cannot become a schema is refused, naming the field and the keyword', () => {
  refused({ name: { type: 'strnig' } }, /field "name": type must be one of string, number/);
  refused({ name: null }, /field "name": must be an object/);
  refused({ name: { type: 'string', minLength: -1 } }, /field "name": minLength must be a whole number/);
  refused({ name: { type: 'string', maxLength: '5' } }, /field "name": maxLength must be a whole number/);
  refused({ total: { type: 'number', minimum: 'zero' } }, /field "total": minimum must be a finite number/);
  refused({ code: { type: 'string', pattern: '([a-z' } }, /field "code": pattern is not a valid regular expression/);
  refused({ code: { type: 'string', pattern: 5 } }, /field "code": pattern must be a regular expression as text/);
  refused({ kind: { type: 'string', enum: 'a,b' } }, /field "kind": enum must be an array/);
  refused({ email: { type: 'string', format: 1 } }, /field "email": format must be the name of a format/);
  refused({ address: { type: 'object', properties: { zip: { type: 'string', maxLength: -2 } } } }, /field "address\.zip": maxLength/);
  refused({ tags: { type: 'array', items: { type: 'list' } } }, /field "tags\[\]": type must be one of/);
});

test('valid specs compile and validate as before', () => {
  const schema = compileFieldSchema(
    {
      code: { type: 'string', pattern: '^[A-Z]{3}$', minLength: 3, maxLength: 3 },
      qty: { type: 'integer', minimum: 0, maximum: 10 },
      kind: { type: 'string', enum: ['a', 'b'] },
      tags: { type: 'array', items: { type: 'string', maxLength: 5 } },
      address: { type: 'object', properties: { zip: { type: 'string', pattern: '^[0-9]{5}$' } } },
    },
    false,
  );
  schema.checkCreate({ code: 'ABC', qty: 3, kind: 'a', tags: ['x'], address: { zip: '12345' } });
  assert.throws(() => schema.checkCreate({ code: 'abc' }), (error: Error & { field?: string }) => error.field === 'code');
  assert.throws(() => schema.checkCreate({ qty: 11 }), (error: Error & { field?: string }) => error.field === 'qty');
  assert.throws(() => schema.checkCreate({ address: { zip: '1' } }), (error: Error & { field?: string }) => error.field === 'address.zip');
  assert.throws(() => schema.checkCreate({ tags: ['toolong'] }), (error: Error & { field?: string }) => error.field === 'tags[0]');
});
