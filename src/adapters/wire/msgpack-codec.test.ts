import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encode, ExtData } from '@msgpack/msgpack';
import { decodeMsgpackBody, decodeMsgpackObject, encodeMsgpack } from './msgpack-codec.js';
import { MicrolibError } from '../../domain/errors.js';
import type { FieldSpec } from '../../domain/model-spec.js';

const bytes = (...parts: Array<number | string | Uint8Array>) =>
  Buffer.concat(parts.map((part) => (typeof part === 'number' ? Buffer.from([part]) : typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));
const packed = (value: unknown) => Buffer.from(encode(value, { useBigInt64: true }));

/** `{ a: <value> }` with the value's bytes as given. */
const inA = (...value: Array<number | string | Uint8Array>) => bytes(0x81, 0xa1, 'a', ...value);

function refused(body: Buffer, code: string, message: RegExp, field?: string, fields?: Record<string, FieldSpec>) {
  assert.throws(
    () => decodeMsgpackObject(body, 64, fields),
    (error: unknown) => {
      assert.ok(error instanceof MicrolibError, String(error));
      assert.equal(error.code, code);
      assert.match(error.message, message);
      if (field !== undefined) assert.equal(error.field, field);
      return true;
    },
  );
}

describe('MessagePack bodies', () => {
  it('decode a map of JSON values as JSON.parse would give them', () => {
    const value = { name: 'Ada ✓ 🚀', n: -3, big: 2 ** 40, f: 1.5, ok: true, none: null, list: [1, 'two', { three: [] }] };
    assert.deepEqual(decodeMsgpackObject(packed(value), 64), value);
  });

  it('decode an array at the top only where the body may be a batch, checking each item against the fields', () => {
    const items = [{ amount: 2n ** 60n }, { amount: 3n, note: 'x' }];
    const fields: Record<string, FieldSpec> = { amount: { type: 'bigint' }, note: { type: 'string' } };
    assert.deepEqual(decodeMsgpackBody(packed(items), 64, fields, 'array'), [{ amount: 2n ** 60n }, { amount: 3n, note: 'x' }]);
    assert.deepEqual(decodeMsgpackBody(packed({ note: 'one' }), 64, fields, 'map-or-array'), { note: 'one' });
    assert.throws(() => decodeMsgpackBody(packed({ note: 'one' }), 64, fields, 'array'), /must be a MessagePack array/);
    refused(packed(items), 'MLB_ERR_BAD_JSON', /must be a MessagePack map \(an object\)$/);
    assert.throws(
      () => decodeMsgpackBody(packed([{ note: 'ok' }, { note: 2n ** 60n }]), 64, fields, 'array'),
      (error: unknown) => error instanceof MicrolibError && error.code === 'MLB_ERR_VALIDATION' && error.field === '[1].note',
    );
  });

  it('refuse nesting deeper than the JSON limit, before decoding it', () => {
    refused(inA(...Array(100).fill(0x91), 0xc0), 'MLB_ERR_BAD_JSON', /deeper than 64 levels/);
    assert.ok(decodeMsgpackObject(inA(...Array(63).fill(0x91), 0xc0), 64), '64 levels in all pass');
  });

  it('refuse keys that reach a prototype, as JSON bodies do', () => {
    refused(packed(JSON.parse('{"__proto__": {"admin": true}}')), 'MLB_ERR_VALIDATION', /"__proto__" is not allowed/, '__proto__');
    refused(packed({ a: { constructor: 1 } }), 'MLB_ERR_VALIDATION', /"constructor"/, 'constructor');
    refused(packed({ prototype: 1 }), 'MLB_ERR_VALIDATION', /"prototype"/, 'prototype');
  });

  it('refuse binary data, extension types and non-string keys, naming where', () => {
    refused(packed({ photo: new Uint8Array([1, 2, 3]) }), 'MLB_ERR_BAD_JSON', /binary data is not accepted.* at "photo"/, 'photo');
    refused(packed({ items: [{ x: new ExtData(5, new Uint8Array([1])) }] }), 'MLB_ERR_BAD_JSON', /extension type 5 .* at "items\[0\]\.x"/, 'items[0].x');
    refused(bytes(0x81, 0x01, 0x01), 'MLB_ERR_BAD_JSON', /map key is not a string/);
    refused(inA(0x81, 0xc0, 0x01), 'MLB_ERR_BAD_JSON', /map key is not a string.* at "a"/, 'a');
  });

  it('refuse invalid UTF-8, non-finite numbers, bytes MessagePack never uses', () => {
    refused(inA(0xa2, 0xff, 0xfe), 'MLB_ERR_BAD_JSON', /not valid UTF-8/, 'a');
    refused(inA(0xa3, 0xed, 0xa0, 0x80), 'MLB_ERR_BAD_JSON', /not valid UTF-8/, 'a');
    refused(bytes(0x81, 0xa2, 0xff, 0xfe, 0x01), 'MLB_ERR_BAD_JSON', /not valid UTF-8/);
    refused(packed({ x: Number.NaN }), 'MLB_ERR_BAD_JSON', /not finite/, 'x');
    refused(packed({ x: Number.POSITIVE_INFINITY }), 'MLB_ERR_BAD_JSON', /not finite/, 'x');
    refused(inA(0xc1), 'MLB_ERR_BAD_JSON', /0xc1/);
  });

  it('refuse a map or array announcing more items than the body holds, without allocating them', () => {
    refused(inA(0xdd, 0xff, 0xff, 0xff, 0xff), 'MLB_ERR_BAD_JSON', /announces 4294967295 items/);
    refused(bytes(0xdf, 0xff, 0xff, 0xff, 0xff), 'MLB_ERR_BAD_JSON', /announces 4294967295 items/);
    refused(inA(0xdb, 0xff, 0xff, 0xff, 0xff), 'MLB_ERR_BAD_JSON', /ends in the middle/);
  });

  it('refuse what is not one map: an array, a scalar, nothing, bytes after it, a body cut short', () => {
    refused(packed([1, 2]), 'MLB_ERR_BAD_JSON', /must be a MessagePack map/);
    refused(packed('text'), 'MLB_ERR_BAD_JSON', /must be a MessagePack map/);
    refused(Buffer.alloc(0), 'MLB_ERR_BAD_JSON', /empty/);
    refused(Buffer.concat([packed({ a: 1 }), Buffer.from([0xc0])]), 'MLB_ERR_BAD_JSON', /1 bytes follow/);
    refused(packed({ a: 'long text' }).subarray(0, 8), 'MLB_ERR_BAD_JSON', /ends in the middle/);
  });

  it('take 64-bit integers and timestamps only where a bigint or date field is declared', () => {
    const fields: Record<string, FieldSpec> = { amount: { type: 'bigint' }, due: { type: 'date' } };
    const due = new Date(Date.UTC(2024, 4, 1));
    assert.deepEqual(decodeMsgpackObject(packed({ amount: 2n ** 63n - 1n, due, small: 7n }), 64, fields), { amount: 2n ** 63n - 1n, due, small: 7 });
    refused(packed({ count: 2n ** 60n }), 'MLB_ERR_VALIDATION', /64-bit integer beyond 2\^53/, 'count', fields);
    refused(packed({ when: due }), 'MLB_ERR_VALIDATION', /timestamp, which only a date field takes/, 'when', fields);
    refused(packed({ amount: 2n ** 60n }), 'MLB_ERR_VALIDATION', /only a bigint field/, 'amount');
  });

  it('refuse a timestamp with impossible nanoseconds instead of failing inside the decoder', () => {
    const ext = Buffer.alloc(12);
    ext.writeUInt32BE(1_000_000_000, 0);
    refused(inA(0xc7, 12, 0xff, ext), 'MLB_ERR_BAD_JSON', /nanoseconds/);
  });
});

describe('MessagePack answers', () => {
  it('encode BigInt as a 64-bit integer and leave undefined properties out, as JSON does', () => {
    const out = Buffer.from(encodeMsgpack({ amount: 9007199254740993n, gone: undefined }));
    assert.deepEqual(out, packed({ amount: 9007199254740993n }));
  });
});
