/**
 * Values across the isolation boundary. A message between the host and a
 * remote's worker is structured-cloned, which refuses functions and loses
 * prototypes, errors' codes and AbortSignals. `encode` turns those into tagged
 * plain objects and `decode` turns them back on the other side:
 *
 * - a function becomes a handle the other side calls back through the channel;
 * - an object with methods (a record's port and relation methods, a service
 *   instance) keeps its data and gets its methods as handles, not enumerable;
 * - an AbortSignal becomes a signal the sender aborts with a message;
 * - an error keeps its name, message, code, field and stack.
 *
 * Handles of one side are only ever called by the worker the value was sent to.
 */

/** The key of a tagged value; a NUL-led name no JSON body a client sends is expected to use. */
export const TAG = '\u0000mlb';

export type Tagged =
  | { [TAG]: 'fn'; id: string }
  | { [TAG]: 'ref'; id: string }
  | { [TAG]: 'signal'; id: string; aborted: boolean }
  | { [TAG]: 'error'; name: string; message: string; stack?: string; code?: unknown; field?: unknown; status?: unknown }
  | { [TAG]: 'obj'; id?: string; data: Record<string, unknown>; methods: Record<string, Tagged>; hidden: string[] }
  /** Data that itself has the tag key (a client's body): its keys are data, never a tag. */
  | { [TAG]: 'lit'; data: Record<string, unknown> };

/** How one side registers what it sends. */
export interface EncodeContext {
  /** Registers a function the other side may call; returns its handle id. */
  fn(fn: (...args: unknown[]) => unknown, self: unknown): string;
  /** Registers an AbortSignal the other side mirrors; returns its id. */
  signal?(signal: AbortSignal): string;
  /** The id under which the receiving side already knows this object or function (its own value coming back). */
  known?(value: object): string | undefined;
  /** Registers an object with methods so it can come back as a `ref`; returns its id. */
  object?(value: object): string;
}

/** How one side rebuilds what it received. */
export interface DecodeContext {
  /** A function that calls handle `id` on the other side. */
  fn(id: string): (...args: unknown[]) => unknown;
  /** The local value of a `ref` the other side sent back. */
  ref(id: string): unknown;
  /** A signal mirroring the other side's signal `id`. */
  signal(id: string, aborted: boolean): AbortSignal;
  /** Rebuilds an error (the host turns MLB_ERR_* codes back into its own errors). */
  error(tagged: Extract<Tagged, { [TAG]: 'error' }>): Error;
  /** Notes a decoded object that has an id, so it can be sent back as a `ref`. */
  object?(value: object, id: string): void;
}

const MAX_DEPTH = 64;

function isPlainPrototype(proto: unknown): boolean {
  return proto === Object.prototype || proto === null;
}

/** Methods of a class instance, from its prototype chain (not Object's own). */
function prototypeMethods(value: object): Array<[string, (...args: unknown[]) => unknown]> {
  const found: Array<[string, (...args: unknown[]) => unknown]> = [];
  const seen = new Set<string>();
  for (let proto = Object.getPrototypeOf(value); proto && !isPlainPrototype(proto); proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || seen.has(key)) continue;
      seen.add(key);
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (descriptor && typeof descriptor.value === 'function') found.push([key, descriptor.value as (...args: unknown[]) => unknown]);
    }
  }
  return found;
}

/** What structured clone already carries as it is. */
function clonesAsIs(value: object): boolean {
  return value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Map || value instanceof Set;
}

export function encode(value: unknown, context: EncodeContext): unknown {
  const seen = new Map<object, unknown>();
  const walk = (current: unknown, depth: number): unknown => {
    if (current === null) return null;
    const type = typeof current;
    if (type === 'function') {
      const known = context.known?.(current as object);
      if (known !== undefined) return { [TAG]: 'ref', id: known };
      return { [TAG]: 'fn', id: context.fn(current as (...args: unknown[]) => unknown, undefined) };
    }
    if (type !== 'object') return type === 'symbol' ? undefined : current;
    const object = current as object;
    if (seen.has(object)) return seen.get(object);
    if (depth > MAX_DEPTH) throw new TypeError(`a value sent across the isolation boundary is nested deeper than ${MAX_DEPTH} levels`);
    const known = context.known?.(object);
    if (known !== undefined) return { [TAG]: 'ref', id: known };
    if (clonesAsIs(object)) return object;
    if (object instanceof Error) return encodeError(object);
    if (typeof AbortSignal !== 'undefined' && object instanceof AbortSignal) {
      if (!context.signal) return undefined;
      return { [TAG]: 'signal', id: context.signal(object), aborted: object.aborted };
    }
    if (Array.isArray(object)) {
      const out: unknown[] = [];
      seen.set(object, out);
      for (let i = 0; i < object.length; i++) out.push(walk(object[i], depth + 1));
      return out;
    }
    if (typeof (object as { then?: unknown }).then === 'function') return undefined;
    const data: Record<string, unknown> = {};
    seen.set(object, data);
    const methods: Record<string, Tagged> = {};
    const hidden: string[] = [];
    let hasMethods = false;
    for (const key of Object.keys(object)) {
      const field = (object as Record<string, unknown>)[key];
      if (typeof field === 'function') {
        // Called as a method of this object on the other side: `this` is kept.
        const known = context.known?.(field);
        methods[key] = known !== undefined ? { [TAG]: 'ref', id: known } : { [TAG]: 'fn', id: context.fn(field as (...args: unknown[]) => unknown, object) };
        hasMethods = true;
      } else data[key] = walk(field, depth + 1);
    }
    // Methods that are not enumerable: a record's port and relation methods.
    for (const key of Object.getOwnPropertyNames(object)) {
      if (key in data || key in methods) continue;
      const descriptor = Object.getOwnPropertyDescriptor(object, key);
      if (descriptor && typeof descriptor.value === 'function') {
        methods[key] = { [TAG]: 'fn', id: context.fn(descriptor.value as (...args: unknown[]) => unknown, object) };
        hidden.push(key);
        hasMethods = true;
      }
    }
    if (!isPlainPrototype(Object.getPrototypeOf(object))) {
      for (const [key, method] of prototypeMethods(object)) {
        if (key in methods || key in data) continue;
        methods[key] = { [TAG]: 'fn', id: context.fn(method, object) };
        hidden.push(key);
        hasMethods = true;
      }
    }
    if (!hasMethods) return Object.hasOwn(data, TAG) ? { [TAG]: 'lit', data } : data;
    const tagged: Tagged = { [TAG]: 'obj', data, methods, hidden };
    if (context.object) tagged.id = context.object(object);
    seen.set(object, tagged);
    return tagged;
  };
  return walk(value, 0);
}

export function encodeError(error: Error): Tagged {
  const extra = error as Error & { code?: unknown; field?: unknown; status?: unknown };
  return {
    [TAG]: 'error',
    name: String(error.name),
    message: String(error.message),
    ...(typeof error.stack === 'string' ? { stack: error.stack } : {}),
    ...(typeof extra.code === 'string' || typeof extra.code === 'number' ? { code: extra.code } : {}),
    ...(typeof extra.field === 'string' ? { field: extra.field } : {}),
    ...(typeof extra.status === 'number' ? { status: extra.status } : {}),
  };
}

function isTagged(value: object): value is Tagged {
  return Object.hasOwn(value, TAG);
}

/** Rebuilds in place: a received message is the receiver's own copy. */
export function decode(value: unknown, context: DecodeContext): unknown {
  const done = new Set<object>();
  const walk = (current: unknown): unknown => {
    if (current === null || typeof current !== 'object') return current;
    const object = current as Record<string, unknown>;
    if (done.has(object)) return object;
    if (isTagged(object)) {
      const tagged = object as Tagged;
      switch (tagged[TAG]) {
        case 'fn':
          return context.fn(tagged.id);
        case 'ref':
          return context.ref(tagged.id);
        case 'signal':
          return context.signal(tagged.id, tagged.aborted);
        case 'error':
          return context.error(tagged);
        case 'obj': {
          // Keys of data are data even when one is the tag key.
          const data = tagged.data;
          done.add(data);
          for (const key of Object.keys(data)) data[key] = walk(data[key]);
          for (const [key, method] of Object.entries(tagged.methods)) {
            Object.defineProperty(data, key, { value: walk(method), enumerable: !tagged.hidden.includes(key), configurable: true, writable: true });
          }
          if (tagged.id !== undefined) context.object?.(data, tagged.id);
          return data;
        }
        case 'lit': {
          const data = tagged.data;
          done.add(data);
          for (const key of Object.keys(data)) data[key] = walk(data[key]);
          return data;
        }
      }
    }
    if (clonesAsIs(object)) return object;
    done.add(object);
    if (Array.isArray(object)) {
      for (let i = 0; i < object.length; i++) object[i] = walk(object[i]);
      return object;
    }
    for (const key of Object.keys(object)) object[key] = walk(object[key]);
    return object;
  };
  return walk(value);
}

/** A cheap check that lets plain JSON-like data skip the encoder's copy. */
export function isPlainData(value: unknown, depth = 0): boolean {
  if (value === null) return true;
  const type = typeof value;
  // A BigInt (a bigint field's value model code returns) is structured-cloned as it is.
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'undefined' || type === 'bigint') return true;
  if (type !== 'object' || depth > 8) return false;
  if (Array.isArray(value)) return value.every((item) => isPlainData(item, depth + 1));
  if (!isPlainPrototype(Object.getPrototypeOf(value))) return false;
  if (Object.hasOwn(value as object, TAG)) return false;
  for (const key of Object.getOwnPropertyNames(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    if (!descriptor.enumerable || descriptor.get || !isPlainData(descriptor.value, depth + 1)) return false;
  }
  return true;
}
