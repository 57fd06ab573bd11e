import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkWireValues, compileFieldSerializers } from './field-serializers.js';
import { MicrolibError } from './errors.js';
import type { FieldSpec } from './model-spec.js';

const fields: Record<string, FieldSpec> = {
  amount: { type: 'bigint' },
  price: { type: 'decimal' },
  due: { type: 'date' },
  name: { type: 'string' },
  lines: { type: 'array', items: { type: 'object', properties: { qty: { type: 'bigint' } } } },
};

const refusedNaming = (field: string) => (error: unknown) => error instanceof MicrolibError && error.code === 'MLB_ERR_VALIDATION' && error.field === field;

describe('field serializers', () => {
  const serializers = compileFieldSerializers(fields)!;

  it('costs nothing for a model without bigint, decimal or date fields', () => {
    assert.equal(compileFieldSerializers({ name: { type: 'string' }, n: { type: 'integer' } }), undefined);
    assert.equal(compileFieldSerializers(undefined), undefined);
  });

  it('stores a bigint as its decimal text, from a string, a BigInt or a safe integer, nested too', () => {
    const body: Record<string, unknown> = { amount: 9223372036854775807n, lines: [{ qty: '-9223372036854775808' }, { qty: 42 }, { qty: '-0' }] };
    serializers.input(body);
    assert.deepEqual(body, { amount: '9223372036854775807', lines: [{ qty: '-9223372036854775808' }, { qty: '42' }, { qty: '0' }] });
  });

  it('refuses what a bigint field cannot hold exactly, naming the field', () => {
    for (const amount of [2 ** 53, 1.5, '9223372036854775808', '1e3', '007', ' 1', 9223372036854775808n, true]) {
      assert.throws(() => serializers.input({ amount }), refusedNaming('amount'), String(amount));
    }
    assert.throws(() => serializers.input({ lines: [{ qty: 1 }, { qty: 0.5 }] }), refusedNaming('lines[1].qty'));
  });

  it('keeps a decimal as written and refuses numbers and other text', () => {
    const body: Record<string, unknown> = { price: '1234567890.1234567890' };
    serializers.input(body);
    assert.equal(body.price, '1234567890.1234567890');
    for (const price of [12.5, 12, '1e2', '.5', '01.5', '+1', '1.', 'NaN', '1'.repeat(65)]) {
      assert.throws(() => serializers.input({ price }), refusedNaming('price'), String(price));
    }
  });

  it('stores a Date in a date field as its ISO text, and keeps strings for the schema to check', () => {
    const body: Record<string, unknown> = { due: new Date(Date.UTC(2024, 4, 1, 12)) };
    serializers.input(body);
    assert.equal(body.due, '2024-05-01T12:00:00.000Z');
    assert.throws(() => serializers.input({ due: new Date(Number.NaN) }), refusedNaming('due'));
  });

  it("converts model code's BigInt and Date, but refuses a float in a bigint or decimal field", () => {
    const record: Record<string, unknown> = { amount: 2n ** 60n, due: new Date(0), price: '1.10' };
    serializers.output(record);
    assert.deepEqual(record, { amount: '1152921504606846976', due: '1970-01-01T00:00:00.000Z', price: '1.10' });
    assert.throws(() => serializers.output({ price: 0.1 + 0.2 }), refusedNaming('price'));
    assert.throws(() => serializers.output({ amount: 2 ** 60 }), refusedNaming('amount'));
  });

  it('sends bigint fields as BigInt in binary formats, leaving other text and the stored record alone', () => {
    const record = { id: 'a', amount: '9007199254740993', price: '1.5', lines: [{ qty: '3' }, { qty: 'sealed:xyz' }] };
    const wire = serializers.toWire!(record);
    assert.deepEqual(wire, { id: 'a', amount: 9007199254740993n, price: '1.5', lines: [{ qty: 3n }, { qty: 'sealed:xyz' }] });
    assert.equal(record.amount, '9007199254740993', 'the stored record is not changed');
    assert.equal(compileFieldSerializers({ price: { type: 'decimal' } })!.toWire, undefined, 'nothing to convert without a bigint field');
  });

  it('refuses a default not written in the stored form when the spec loads', () => {
    assert.throws(() => compileFieldSerializers({ amount: { type: 'bigint', default: 0 } }), /default of a bigint field/);
    assert.throws(() => compileFieldSerializers({ price: { type: 'decimal', default: '1e2' } }), /default of a decimal field/);
    assert.ok(compileFieldSerializers({ amount: { type: 'bigint', default: '0' }, price: { type: 'decimal', default: '0.00' } }));
  });
});

describe('values a binary body holds that JSON has no type for', () => {
  it('are accepted in bigint and date fields only; a BigInt a number holds becomes that number', () => {
    const body: Record<string, unknown> = { amount: 2n ** 62n, due: new Date(0), count: 5n, lines: [{ qty: 2n ** 62n }] };
    checkWireValues(body, fields);
    assert.deepEqual(body, { amount: 2n ** 62n, due: new Date(0), count: 5, lines: [{ qty: 2n ** 62n }] });
  });

  it('are refused anywhere else, naming the field', () => {
    assert.throws(() => checkWireValues({ name: 2n ** 62n }, fields), refusedNaming('name'));
    assert.throws(() => checkWireValues({ amount: new Date(0) }, fields), refusedNaming('amount'));
    assert.throws(() => checkWireValues({ extra: { deep: [new Date(0)] } }, fields), refusedNaming('extra.deep[0]'));
    assert.throws(() => checkWireValues({ amount: 2n ** 62n }, undefined), refusedNaming('amount'), 'a body no schema describes takes none');
  });
});
