/**
 * CRC-32 (IEEE, as zlib computes it) for log line checksums. Node's native
 * `zlib.crc32` exists from Node 20.15 / 22.2; older runtimes get a table-driven
 * fallback that gives the same numbers.
 */
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array | string) => number;

const native = (zlib as { crc32?: Crc32 }).crc32;

let table: Uint32Array | undefined;

function buildTable(): Uint32Array {
  const result = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    result[n] = c >>> 0;
  }
  return result;
}

/** Portable CRC-32 of bytes (strings are encoded as UTF-8, like `zlib.crc32`). */
export function crc32Fallback(data: Uint8Array | string): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  table ??= buildTable();
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = (table[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32 of bytes or of a string's UTF-8 encoding. */
export const crc32: Crc32 = typeof native === 'function' ? (data) => native(data) : crc32Fallback;
