import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { crc32, crc32Fallback } from './crc32.js';

describe('crc32', () => {
  it('computes the same CRC-32 with its fallback as zlib', () => {
    const samples = ['', 'a', 'hello world', '{"s":1,"r":{"id":"é😀"}}', 'x'.repeat(1000)];
    for (const sample of samples) {
      assert.equal(crc32Fallback(sample), crc32(sample));
      assert.equal(crc32Fallback(Buffer.from(sample)), crc32(Buffer.from(sample)));
    }
    if (typeof (zlib as { crc32?: unknown }).crc32 === 'function') assert.equal(crc32('123456789'), 0xcbf43926);
  });
});
