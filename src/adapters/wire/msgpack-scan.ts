/**
 * Checks a MessagePack body before it is decoded, holding it to what a JSON
 * body may be: a map at the top (or, for a batch, an array), at most MAX_DEPTH levels of maps and arrays,
 * string keys only (none that reaches a prototype), valid UTF-8, finite
 * numbers, no binary data and no extension type but the timestamp (-1). Also
 * refuses what would make the decoder allocate more than the body holds (a map
 * or array announcing more items than bytes are left). One pass, no values
 * built; recursion is bounded by MAX_DEPTH.
 */
import { isUtf8 } from 'node:buffer';
import { MicrolibError } from '../../domain/errors.js';

/** What a body may hold at its top: a map (one record), an array (a batch), or either (a create). */
export type MsgpackTop = 'map' | 'array' | 'map-or-array';

const TOP_NAME: Record<MsgpackTop, string> = { map: 'a MessagePack map (an object)', array: 'a MessagePack array', 'map-or-array': 'a MessagePack map (an object) or an array of them' };

/** What the scan found that JSON has no type for: the decoder then produces BigInt and Date values. */
export interface MsgpackScan {
  /** A 64-bit integer outside ±(2^53−1): decoded as BigInt. */
  wideIntegers: boolean;
  /** A timestamp: decoded as Date. */
  timestamps: boolean;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const TIMESTAMP_TYPE = -1;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const malformed = (message: string, field?: string) => new MicrolibError('MLB_ERR_BAD_JSON', `request body is not accepted MessagePack: ${message}`, field);

/**
 * @throws MicrolibError MLB_ERR_BAD_JSON naming the problem (and the field, when
 * inside one), or MLB_ERR_VALIDATION for a forbidden key, as JSON bodies do.
 */
export function scanMsgpack(bytes: Buffer, maxDepth: number, top: MsgpackTop = 'map'): MsgpackScan {
  if (bytes.length === 0) throw new MicrolibError('MLB_ERR_BAD_JSON', `request body is empty; send ${TOP_NAME[top]}`);
  const found: MsgpackScan = { wideIntegers: false, timestamps: false };
  const path: Array<string | number> = [];
  let pos = 0;

  const where = () => path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${key}` : key), '');
  const fail = (message: string): never => {
    const field = where();
    throw malformed(field ? `${message} at "${field}"` : message, field || undefined);
  };
  const need = (count: number) => {
    if (pos + count > bytes.length) fail('the body ends in the middle of a value');
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), bytes.readUInt16BE(pos - 2));
  const u32 = () => (need(4), (pos += 4), bytes.readUInt32BE(pos - 4));

  const skipString = (length: number): [number, number] => {
    need(length);
    const start = pos;
    pos += length;
    if (!isUtf8(bytes.subarray(start, pos))) fail('a string is not valid UTF-8');
    return [start, pos];
  };
  const stringLength = (head: number): number | undefined => {
    if (head >= 0xa0 && head <= 0xbf) return head - 0xa0;
    if (head === 0xd9) return u8();
    if (head === 0xda) return u16();
    if (head === 0xdb) return u32();
    return undefined;
  };
  /** Each item takes at least one byte (two for a map entry): a larger count is a lie. */
  const checkCount = (count: number, perItem: number) => {
    if (count * perItem > bytes.length - pos) fail(`a ${perItem === 2 ? 'map' : 'array'} announces ${count} items but the body has ${bytes.length - pos} bytes left`);
  };

  const map = (count: number, depth: number) => {
    checkCount(count, 2);
    for (let i = 0; i < count; i++) {
      const length = stringLength(u8());
      if (length === undefined) fail('a map key is not a string (JSON objects have string keys only)');
      const [start, end] = skipString(length!);
      const key = bytes.toString('utf8', start, end);
      if (FORBIDDEN_KEYS.has(key)) throw new MicrolibError('MLB_ERR_VALIDATION', `"${key}" is not allowed as a field name`, key);
      path.push(key);
      value(depth);
      path.pop();
    }
  };
  const array = (count: number, depth: number) => {
    checkCount(count, 1);
    for (let i = 0; i < count; i++) {
      path.push(i);
      value(depth);
      path.pop();
    }
  };
  const extension = (size: number) => {
    need(1);
    const type = bytes.readInt8(pos++);
    if (type !== TIMESTAMP_TYPE) fail(`extension type ${type} is not accepted (only the timestamp, -1)`);
    if (size !== 4 && size !== 8 && size !== 12) fail(`a timestamp of ${size} bytes is not one (4, 8 or 12)`);
    need(size);
    // Nanoseconds above 999,999,999 are no time; the decoder would throw on them.
    const nanos = size === 8 ? bytes.readUInt32BE(pos) >>> 2 : size === 12 ? bytes.readUInt32BE(pos) : 0;
    if (nanos > 999_999_999) fail('a timestamp has more than 999,999,999 nanoseconds');
    pos += size;
    found.timestamps = true;
  };
  const wide = (value: bigint) => {
    if (value > SAFE || value < -SAFE) found.wideIntegers = true;
  };

  /** One value at nesting `depth` (the levels of maps and arrays around it). */
  function value(depth: number): void {
    const head = u8();
    if (head <= 0x7f || head >= 0xe0 || head === 0xc0 || head === 0xc2 || head === 0xc3) return;
    const isMap = head <= 0x8f || head === 0xde || head === 0xdf;
    if (isMap || head <= 0x9f || head === 0xdc || head === 0xdd) {
      if (depth + 1 > maxDepth) fail(`maps and arrays nest deeper than ${maxDepth} levels`);
      // Fixed sizes first (0x80–0x8f maps, 0x90–0x9f arrays), then 16- and 32-bit counts.
      const count = head <= 0x9f ? head & 0x0f : head === 0xde || head === 0xdc ? u16() : u32();
      return isMap ? map(count, depth + 1) : array(count, depth + 1);
    }
    const length = stringLength(head);
    if (length !== undefined) {
      skipString(length);
      return;
    }
    switch (head) {
      case 0xc4:
      case 0xc5:
      case 0xc6:
        return fail('binary data is not accepted (JSON has no bytes type; send text, e.g. base64)');
      case 0xc7:
        return extension(u8());
      case 0xc8:
        return extension(u16());
      case 0xc9:
        return extension(u32());
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        return extension(1 << (head - 0xd4));
      case 0xca:
        need(4);
        pos += 4;
        if (!Number.isFinite(bytes.readFloatBE(pos - 4))) fail('a number is not finite (NaN and Infinity are no JSON numbers)');
        return;
      case 0xcb:
        need(8);
        pos += 8;
        if (!Number.isFinite(bytes.readDoubleBE(pos - 8))) fail('a number is not finite (NaN and Infinity are no JSON numbers)');
        return;
      case 0xcc:
      case 0xd0:
        need(1);
        pos += 1;
        return;
      case 0xcd:
      case 0xd1:
        need(2);
        pos += 2;
        return;
      case 0xce:
      case 0xd2:
        need(4);
        pos += 4;
        return;
      case 0xcf:
        need(8);
        wide(bytes.readBigUInt64BE(pos));
        pos += 8;
        return;
      case 0xd3:
        need(8);
        wide(bytes.readBigInt64BE(pos));
        pos += 8;
        return;
      default:
        // 0xc1, the one byte MessagePack never uses.
        return fail(`byte 0x${head.toString(16)} starts no MessagePack value`);
    }
  }

  const head = bytes[0]!;
  const isMap = (head >= 0x80 && head <= 0x8f) || head === 0xde || head === 0xdf;
  const isArray = (head >= 0x90 && head <= 0x9f) || head === 0xdc || head === 0xdd;
  if (!(isMap ? top !== 'array' : isArray && top !== 'map')) throw new MicrolibError('MLB_ERR_BAD_JSON', `request body must be ${TOP_NAME[top]}`);
  value(0);
  if (pos !== bytes.length) fail(`${bytes.length - pos} bytes follow the body's ${isMap ? 'map' : 'array'}`);
  return found;
}
