/**
 * Equality, ordering and copying of JSON values, shared by every in-process
 * query engine so all datasources agree on what "equal" and "before" mean.
 */
import type { Json } from '../../../domain/model-spec.js';

/** A JSON value as read from a record field: `undefined` when the field is missing. */
export type FieldValue = Json | undefined;

/**
 * Rank of a value's type in the MongoDB-like sort order:
 * missing/null < numbers < strings < objects < arrays < booleans.
 */
export function typeRank(value: FieldValue): number {
  if (value === undefined || value === null) return 0;
  switch (typeof value) {
    case 'number':
      return 1;
    case 'string':
      return 2;
    case 'boolean':
      return 5;
    default:
      return Array.isArray(value) ? 4 : 3;
  }
}

/**
 * Total order over JSON values (missing equals null). Strings compare by UTF-16
 * code unit, never by locale, so every datasource and every host sorts alike.
 */
export function compareJson(a: FieldValue, b: FieldValue): number {
  // Fast path for the common case of two numbers or two strings.
  if (typeof a === typeof b && (typeof a === 'number' || typeof a === 'string')) return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return rankA - rankB;
  switch (rankA) {
    case 0:
      return 0;
    case 1:
    case 2:
    case 5:
      // Same primitive type: JS relational operators give numeric, code-unit and false<true order.
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 4:
      return compareArrays(a as Json[], b as Json[]);
    default:
      return compareObjects(a as { [key: string]: Json }, b as { [key: string]: Json });
  }
}

function compareArrays(a: readonly Json[], b: readonly Json[]): number {
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    const order = compareJson(a[i], b[i]);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

/** Objects compare field by field in insertion order: name first, then value (as MongoDB does). */
function compareObjects(a: { [key: string]: Json }, b: { [key: string]: Json }): number {
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  const shared = Math.min(keysA.length, keysB.length);
  for (let i = 0; i < shared; i++) {
    const keyA = keysA[i] as string;
    const keyB = keysB[i] as string;
    if (keyA !== keyB) return keyA < keyB ? -1 : 1;
    const order = compareJson(a[keyA], b[keyB]);
    if (order !== 0) return order;
  }
  return keysA.length - keysB.length;
}

/** Deep equality of JSON values; object key order does not matter. */
export function jsonEquals(a: FieldValue, b: FieldValue): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  for (const key of keysA) {
    if (!Object.hasOwn(b, key) || !jsonEquals(a[key], b[key])) return false;
  }
  return true;
}

/** Deep copy of a JSON value; faster than structuredClone or a stringify round trip for plain data. */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  const copy: { [key: string]: Json } = {};
  for (const key of Object.keys(value)) {
    const item = (value as { [key: string]: Json })[key];
    if (item === undefined) continue;
    // JSON.parse makes "__proto__" an own field; plain assignment would set the prototype instead.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: cloneJson(item), enumerable: true, writable: true, configurable: true });
    else copy[key] = cloneJson(item);
  }
  return copy as T;
}

/**
 * Copies any value into the plain JSON value `JSON.parse(JSON.stringify(value))`
 * would give (functions and undefined dropped, or null inside arrays; `toJSON`
 * applied, so dates become ISO strings; non-finite numbers become null), in one
 * pass and without the parse. Returns undefined where JSON would omit the value.
 */
export function toPlainJson(value: unknown): Json | undefined {
  return copyPlain(value);
}

/**
 * Set by copyPlain when the copy differs from the value it was made from in
 * anything but identity: a dropped or converted value, a `toJSON`, a prototype
 * other than the plain one, a `__proto__` key.
 */
let altered = false;

/**
 * {@link toPlainJson}, and whether `value` already was exactly that plain JSON
 * (its own enumerable data read once): a caller that owns `value` may then
 * use it as a second copy instead of cloning the first.
 */
export function toPlainJsonNoting(value: unknown): { json: Json | undefined; alreadyPlain: boolean } {
  altered = false;
  const json = copyPlain(value);
  return { json, alreadyPlain: !altered && json !== undefined };
}

function copyPlain(value: unknown): Json | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      altered = true;
      return null;
    case 'object': {
      if (value === null) return null;
      const withToJson = value as { toJSON?: unknown };
      if (typeof withToJson.toJSON === 'function') {
        altered = true;
        return copyPlain((withToJson.toJSON as () => unknown).call(value));
      }
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) altered = true;
        const copy: Json[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const item = copyPlain(value[i]);
          if (item === undefined) altered = true;
          copy[i] = item ?? null;
        }
        return copy;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) altered = true;
      const copy: { [key: string]: Json } = {};
      for (const key of Object.keys(value)) {
        const item = copyPlain((value as Record<string, unknown>)[key]);
        if (item === undefined) {
          altered = true;
          continue;
        }
        if (key === '__proto__') {
          altered = true;
          Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
        } else copy[key] = item;
      }
      return copy;
    }
    case 'bigint':
      // JSON.stringify throws on a bigint; so does this, with the same kind of error.
      throw new TypeError('Do not know how to serialize a BigInt');
    default:
      return undefined;
  }
}
