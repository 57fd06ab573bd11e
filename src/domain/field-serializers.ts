/**
 * Per-field serializers: the field types whose values JSON cannot hold as they
 * are (`bigint`, `decimal`) or holds only as text (`date`). Every datasource
 * stores one canonical, JSON form of them, and every wire format converts from
 * and to it here, so memory, file and MongoDB keep the same values and a JSON
 * client and a MessagePack client read the same record:
 *
 * | type | stored (and sent in JSON) | MessagePack answers | accepted on input |
 * |---|---|---|---|
 * | `bigint` | decimal string, e.g. `"9007199254740993"` | int64 / uint64 | that string, a BigInt, a safe integer number |
 * | `decimal` | the decimal string as written, e.g. `"12.50"` | the same string | that string only (a number may already have lost digits) |
 * | `date` | the ISO-8601 string as written | the same string | that string, a MessagePack timestamp (stored as `toISOString()`) |
 *
 * A `bigint` is a signed 64-bit integer (−2^63 to 2^63−1): what databases call
 * BIGINT and what MessagePack's int64 holds. A `decimal` has at most
 * {@link MAX_DECIMAL_DIGITS} digits. Model code sees the stored form (strings);
 * it may return a BigInt or a Date for such a field, which is stored converted.
 */
import { validationError } from './errors.js';
import type { FieldSpec } from './model-spec.js';

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
/** Digits a `decimal` value may have, both sides of the point together. */
export const MAX_DECIMAL_DIGITS = 64;

/** An integer as text: no sign but `-`, no leading zeros, at most 19 digits (int64 has 19). */
const INTEGER_TEXT = /^-?(?:0|[1-9][0-9]{0,18})$/;
/** A decimal as text: an integer part, an optional fraction; no exponent, no `+`, no leading zeros. */
const DECIMAL_TEXT = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

type Leaf = 'bigint' | 'decimal' | 'date';
/** Where, in a record, values of a serialized type sit. */
type Plan = { kind: Leaf } | { kind: 'object'; fields: ReadonlyMap<string, Plan> } | { kind: 'array'; items: Plan };

const isLeaf = (type: string): type is Leaf => type === 'bigint' || type === 'decimal' || type === 'date';
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

function planOf(field: FieldSpec, only?: Leaf): Plan | undefined {
  if (isLeaf(field.type)) return only === undefined || field.type === only ? { kind: field.type } : undefined;
  if (field.type === 'array' && field.items) {
    const items = planOf(field.items, only);
    return items && { kind: 'array', items };
  }
  if (field.type === 'object' && field.properties) {
    const fields = fieldsPlan(field.properties, only);
    return fields && { kind: 'object', fields };
  }
  return undefined;
}

function fieldsPlan(fields: Record<string, FieldSpec>, only?: Leaf): Map<string, Plan> | undefined {
  const plans = new Map<string, Plan>();
  for (const [name, field] of Object.entries(fields)) {
    const plan = planOf(field, only);
    if (plan) plans.set(name, plan);
  }
  return plans.size > 0 ? plans : undefined;
}

const join = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/** The stored text of a `bigint` value; undefined when `value` is not one. */
export function bigintText(value: unknown): string | undefined {
  if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX ? value.toString() : undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : undefined;
  if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    const n = BigInt(value);
    // `-0` is stored as `0`: one value, one text.
    return n >= INT64_MIN && n <= INT64_MAX ? n.toString() : undefined;
  }
  return undefined;
}

/** Whether `value` is the text of a `decimal` value. */
export function isDecimalText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_DECIMAL_DIGITS + 2 && DECIMAL_TEXT.test(value) && value.replace(/[-.]/g, '').length <= MAX_DECIMAL_DIGITS;
}

const BIGINT_RULE = 'a 64-bit integer: a string of digits such as "9007199254740993" (from -9223372036854775808 to 9223372036854775807), or a number up to 2^53';
const DECIMAL_RULE = `a decimal string such as "12.50" (digits, an optional "-" and ".", at most ${MAX_DECIMAL_DIGITS} digits), never a number, which may already have lost digits`;

/**
 * The stored form of one value of a serialized type. `strict` (a client's
 * input) refuses anything but the accepted forms; otherwise (model code's
 * output) only values that would lose digits or cannot be stored are refused.
 */
function stored(kind: Leaf, value: unknown, path: string, strict: boolean): unknown {
  if (value === null || value === undefined) return value;
  switch (kind) {
    case 'bigint': {
      if (!strict && typeof value === 'string') return value;
      const text = bigintText(value);
      if (text === undefined) throw validationError(`"${path}" must be ${BIGINT_RULE}`, path);
      return text;
    }
    case 'decimal':
      if (typeof value === 'string' ? !strict || isDecimalText(value) : false) return value;
      throw validationError(`"${path}" must be ${DECIMAL_RULE}`, path);
    case 'date':
      if (!(value instanceof Date)) return value;
      if (Number.isNaN(value.getTime())) throw validationError(`"${path}" is not a valid date`, path);
      return value.toISOString();
  }
}

function toStored(target: Record<string, unknown> | unknown[], key: string | number, plan: Plan, path: string, strict: boolean): void {
  const value = (target as Record<string | number, unknown>)[key];
  if (plan.kind === 'object') {
    if (isPlainObject(value)) for (const [name, inner] of plan.fields) if (Object.hasOwn(value, name)) toStored(value, name, inner, join(path, name), strict);
  } else if (plan.kind === 'array') {
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) toStored(value, i, plan.items, join(path, i), strict);
  } else {
    (target as Record<string | number, unknown>)[key] = stored(plan.kind, value, path, strict);
  }
}

/** A copy of `value` with the bigint texts of `plan` as BigInt; `value` itself when nothing changes. */
function toWire(value: unknown, plan: Plan): unknown {
  if (plan.kind === 'bigint') {
    // Only what input() stores: other text (encrypted, written before the field was a bigint) goes as it is.
    if (typeof value !== 'string' || !INTEGER_TEXT.test(value)) return value;
    const n = BigInt(value);
    return n >= INT64_MIN && n <= INT64_MAX ? n : value;
  }
  if (plan.kind === 'array') return Array.isArray(value) ? value.map((item) => toWire(item, plan.items)) : value;
  return isPlainObject(value) ? fieldsToWire(value, (plan as { fields: ReadonlyMap<string, Plan> }).fields) : value;
}

function fieldsToWire(record: Record<string, unknown>, plans: ReadonlyMap<string, Plan>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const [name, plan] of plans) {
    if (!Object.hasOwn(record, name)) continue;
    const value = toWire(record[name], plan);
    if (value === record[name]) continue;
    copy ??= Object.assign({}, record);
    copy[name] = value;
  }
  return copy ?? record;
}

/** The serializers of one model's fields: made once per loaded version. */
export interface FieldSerializers {
  /**
   * Puts the serialized fields of a client's body (create or patch) into their
   * stored form, in place. Throws MLB_ERR_VALIDATION naming the field.
   */
  input(body: Record<string, unknown>): void;
  /**
   * Puts the serialized fields of a record model code built into their stored
   * form, in place: a BigInt, a Date or a safe integer become text; a value
   * that would lose digits (a float in a bigint or decimal field) is refused.
   */
  output(record: Record<string, unknown>): void;
  /**
   * The record as a binary wire format sends it: `bigint` fields as BigInt.
   * Undefined when the model has no `bigint` field (records go as stored).
   */
  readonly toWire: ((record: Record<string, unknown>) => Record<string, unknown>) | undefined;
}

/**
 * The serializers of a model's declared fields, or undefined when none is of a
 * serialized type (the common case, which then costs nothing).
 * @throws Error describing a bad spec (a `default` not in the stored form).
 */
export function compileFieldSerializers(fields: Record<string, FieldSpec> | undefined): FieldSerializers | undefined {
  const plans = fields && fieldsPlan(fields);
  if (!plans) return undefined;
  checkDefaults(fields!, '');
  const wirePlans = fieldsPlan(fields!, 'bigint');
  const run = (record: Record<string, unknown>, strict: boolean) => {
    for (const [name, plan] of plans) if (Object.hasOwn(record, name)) toStored(record, name, plan, name, strict);
  };
  return {
    input: (body) => run(body, true),
    output: (record) => run(record, false),
    toWire: wirePlans && ((record) => fieldsToWire(record, wirePlans)),
  };
}

/** A default is inserted as it is written: it must already be in the stored form. */
function checkDefaults(fields: Record<string, FieldSpec>, path: string): void {
  for (const [name, field] of Object.entries(fields)) {
    const at = join(path, name);
    if (field.default !== undefined && field.default !== null) {
      if (field.type === 'bigint' && (typeof field.default !== 'string' || bigintText(field.default) !== field.default)) {
        throw new Error(`field "${at}": the default of a bigint field must be its decimal string, e.g. "0"`);
      }
      if (field.type === 'decimal' && !isDecimalText(field.default)) throw new Error(`field "${at}": the default of a decimal field must be a decimal string, e.g. "0.00"`);
    }
    if (field.type === 'object' && field.properties) checkDefaults(field.properties, at);
  }
}

/**
 * Checks the values of a decoded binary body that JSON has no type for (a
 * BigInt of a 64-bit integer, a Date of a timestamp) before anything else
 * reads it: each must sit in a field of the matching type (`bigint`, `date`)
 * of `fields`; a BigInt a number holds exactly elsewhere becomes that number.
 * `fields` is undefined for a body no field schema describes (a command's
 * input, a model without declared fields). Changes `body` in place.
 * @throws MicrolibError MLB_ERR_VALIDATION naming the field.
 */
export function checkWireValues(body: Record<string, unknown>, fields: Record<string, FieldSpec> | undefined): void {
  checkObject(body, fields, '');
}

/** As {@link checkWireValues}, for a batch body: each item is a body `fields` describes; paths start with its index (`[2].amount`). */
export function checkWireItems(items: unknown[], fields: Record<string, FieldSpec> | undefined): void {
  const item: FieldSpec | undefined = fields ? { type: 'object', properties: fields } : undefined;
  for (let i = 0; i < items.length; i++) items[i] = checkValue(items[i], item, join('', i));
}

function checkObject(object: Record<string, unknown>, fields: Record<string, FieldSpec> | undefined, path: string): void {
  for (const key of Object.keys(object)) {
    const spec = fields && Object.hasOwn(fields, key) ? fields[key] : undefined;
    object[key] = checkValue(object[key], spec, join(path, key));
  }
}

function checkValue(value: unknown, spec: FieldSpec | undefined, path: string): unknown {
  if (typeof value === 'bigint') {
    if (spec?.type === 'bigint') return value;
    if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
    throw validationError(`"${path}" holds a 64-bit integer beyond 2^53, which only a bigint field takes`, path);
  }
  if (value instanceof Date) {
    if (spec?.type === 'date') return value;
    throw validationError(`"${path}" holds a MessagePack timestamp, which only a date field takes`, path);
  }
  if (Array.isArray(value)) {
    const items = spec?.type === 'array' ? spec.items : undefined;
    for (let i = 0; i < value.length; i++) value[i] = checkValue(value[i], items, join(path, i));
  } else if (typeof value === 'object' && value !== null) {
    // A field with declared properties holds only those; one without is free-form.
    checkObject(value as Record<string, unknown>, spec?.type === 'object' ? spec.properties : undefined, path);
  }
  return value;
}
