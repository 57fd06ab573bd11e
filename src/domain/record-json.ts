/**
 * The JSON text a datasource already produced for a record it returns, so the
 * transport can send it without serialising the same object again. A hint
 * only: a record without one is serialised as usual.
 */
const texts = new WeakMap<object, string>();

/** Attaches `json` (which must be exactly `JSON.stringify(value)`) to `value`. */
export function withJson<T extends object>(value: T, json: string): T {
  texts.set(value, json);
  return value;
}

export function jsonOf(value: object): string | undefined {
  return texts.get(value);
}
