/**
 * The JSON text a datasource already produced for a record it returns, so the
 * transport can send it without serialising the same object again. A hint
 * only: a record without one is serialised as usual.
 *
 * Kept in a non-enumerable symbol property: copies (spread, Object.assign,
 * JSON) never carry it over to an object it would not describe, and it is
 * several times cheaper than a WeakMap entry on this hot path.
 */
const JSON_TEXT = Symbol('microlib.json');

/** Attaches `json` (which must be exactly `JSON.stringify(value)`) to `value`. */
export function withJson<T extends object>(value: T, json: string): T {
  Object.defineProperty(value, JSON_TEXT, { value: json });
  return value;
}

export function jsonOf(value: object): string | undefined {
  return (value as { [JSON_TEXT]?: string })[JSON_TEXT];
}
