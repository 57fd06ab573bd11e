/**
 * The operators of list queries, Feathers-style: `total[$gte]=10`,
 * `status[$in]=open,paid`, `email[$exists]=false`, `name[$prefix]=Jo`, and an
 * "or" of conditions `$or[0][status]=open&$or[1][total][$gt]=100`. Each
 * parameter becomes a typed {@link FieldCondition}: the field must be one the
 * model lets clients filter on, the operator one that suits its type, and the
 * value is read by that type. Anything else is MLB_ERR_BAD_QUERY naming the
 * parameter, so no operator or value a client writes reaches a datasource as is.
 */
import type { FieldCondition, ScalarJson } from './datasource.js';
import { badQueryError } from './errors.js';
import type { FieldSchema } from './field-schema.js';
import { instantOf } from './instants.js';
import { bigintText, isDecimalText } from './field-serializers.js';

/** Values one `$in` or `$nin` may list (its repeats together). */
export const MAX_LIST_VALUES = 100;
/** Branches of `$or` (indexes 0 to 9). */
export const MAX_OR_BRANCHES = 10;
/** Filter parameters of one request: equalities, operators and `$or` parts together. */
export const MAX_CONDITIONS = 50;

/** Operators as clients write them, by the condition they make. */
export const QUERY_OPERATORS = {
  $ne: 'ne',
  $gt: 'gt',
  $gte: 'gte',
  $lt: 'lt',
  $lte: 'lte',
  $in: 'in',
  $nin: 'nin',
  $exists: 'exists',
  $prefix: 'prefix',
} as const;

export type QueryOperatorName = keyof typeof QUERY_OPERATORS;
type Op = FieldCondition['op'];

/** The type a filter reads a field's values by (a FieldSchema queryable type). */
export type FilterType = NonNullable<ReturnType<FieldSchema['queryableType']>>;

/** Operators by field type. A field that takes no filter (object, array) takes `$exists` only. */
const ALLOWED: Record<FilterType, ReadonlySet<Op>> = {
  string: new Set<Op>(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists', 'prefix']),
  any: new Set<Op>(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists', 'prefix']),
  number: new Set<Op>(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists']),
  integer: new Set<Op>(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists']),
  date: new Set<Op>(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists']),
  boolean: new Set<Op>(['eq', 'ne', 'in', 'nin', 'exists']),
  // Stored as text that does not order by value (see FieldType): no ranges.
  bigint: new Set<Op>(['eq', 'ne', 'in', 'nin', 'exists']),
  decimal: new Set<Op>(['eq', 'ne', 'in', 'nin', 'exists']),
};

/** The operators a field of `type` takes, as clients write them (for documentation). */
export function operatorsFor(type: FilterType | undefined): QueryOperatorName[] {
  const allowed = type ? ALLOWED[type] : new Set<Op>(['exists']);
  return (Object.keys(QUERY_OPERATORS) as QueryOperatorName[]).filter((name) => allowed.has(QUERY_OPERATORS[name]));
}

/** Names that reach an object's prototype: never fields. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
/** Plain decimal numbers only: Number() also takes "0x10", "0b1", " 5" and "Infinity". */
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** `field` or `field[$op]`. */
const TOP_KEY = /^([^[\]]*)(?:\[([^[\]]*)\])?$/;
/** `$or[i][field]` or `$or[i][field][$op]`. */
const OR_KEY = /^\$or\[([^[\]]*)\]\[([^[\]]*)\](?:\[([^[\]]*)\])?$/;

/** A filter parameter's name, taken apart. */
export interface FilterKey {
  /** The `$or` branch, when the parameter is part of one. */
  branch?: number;
  field: string;
  /** As written, e.g. `$gte`; absent for an equality. */
  operator?: string;
}

/**
 * Takes a filter parameter's name apart, or throws MLB_ERR_BAD_QUERY naming it
 * when it is neither `field`, `field[$op]`, `$or[i][field]` nor `$or[i][field][$op]`.
 */
export function parseFilterKey(key: string): FilterKey {
  if (key.startsWith('$or')) {
    const m = OR_KEY.exec(key);
    if (!m) throw badQueryError(`"${key}" is not an $or condition: write $or[<branch>][<field>]=value or $or[<branch>][<field>][<operator>]=value`, key);
    const [, index = '', field = '', operator] = m;
    if (!/^(?:0|[1-9]\d?)$/.test(index) || Number(index) >= MAX_OR_BRANCHES) {
      throw badQueryError(`"${key}": an $or has at most ${MAX_OR_BRANCHES} branches, numbered 0 to ${MAX_OR_BRANCHES - 1}`, key);
    }
    if (field === '$or') throw badQueryError(`"${key}": an $or cannot hold another $or`, key);
    return checkedKey({ branch: Number(index), field, ...(operator === undefined ? {} : { operator }) }, key);
  }
  const m = TOP_KEY.exec(key);
  if (!m) throw badQueryError(`"${key}" is not a filter: write field=value or field[<operator>]=value`, key);
  const [, field = '', operator] = m;
  return checkedKey({ field, ...(operator === undefined ? {} : { operator }) }, key);
}

function checkedKey(parsed: FilterKey, key: string): FilterKey {
  if (parsed.field.startsWith('$')) throw badQueryError(`unknown query operator "${parsed.field}" in "${key}": operators follow the field, as in total[$gte]=10`, key);
  if (/[.$]/.test(parsed.field) || parsed.field === '') throw badQueryError(`"${key}" does not name a field: fields are plain names, as in total[$gte]=10`, key);
  if (parsed.operator !== undefined && !Object.hasOwn(QUERY_OPERATORS, parsed.operator)) {
    throw badQueryError(`unknown query operator "${parsed.operator}" on "${parsed.field}": use one of ${Object.keys(QUERY_OPERATORS).join(', ')}`, key);
  }
  return parsed;
}

/**
 * Reads one value of a field of `type`. `what` names the parameter in messages.
 * Values of a model without declared fields (`any`) stay strings.
 */
export function readScalar(raw: string, type: FilterType, key: string, field: string): ScalarJson {
  switch (type) {
    case 'number':
    case 'integer': {
      const n = Number(raw);
      if (!DECIMAL.test(raw) || !Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) {
        throw badQueryError(`filter "${key}" must be ${type === 'integer' ? 'an integer' : 'a number'}: "${field}" is a${type === 'integer' ? 'n integer' : ' number'} field`, key);
      }
      return n;
    }
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw badQueryError(`filter "${key}" must be true or false: "${field}" is a boolean field`, key);
    case 'date':
      if (instantOf(raw) === undefined || Number.isNaN(Date.parse(raw))) throw badQueryError(`filter "${key}" must be a date-time such as 2024-05-01T12:00:00Z`, key);
      return raw;
    case 'bigint': {
      // Compared with the stored text, so written as it is stored (`-0` is `0`).
      const text = bigintText(raw);
      if (text === undefined) throw badQueryError(`filter "${key}" must be a 64-bit integer: "${field}" is a bigint field`, key);
      return text;
    }
    case 'decimal':
      if (!isDecimalText(raw)) throw badQueryError(`filter "${key}" must be a decimal such as 12.50: "${field}" is a decimal field`, key);
      return raw;
    default:
      return raw;
  }
}

/**
 * The items of a `$in` / `$nin` value: split at commas; a backslash makes the
 * next comma or backslash part of the item (`a\,b` is the one item "a,b"), and
 * is refused before any other character.
 */
export function splitList(raw: string, key: string): string[] {
  const items: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i];
    if (char === '\\') {
      const next = raw[i + 1];
      if (next !== ',' && next !== '\\') throw badQueryError(`filter "${key}": a backslash in a list must be followed by "," or "\\" (write \\, for a comma inside a value)`, key);
      current += next;
      i++;
    } else if (char === ',') {
      items.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  items.push(current);
  return items;
}

/** Writes `items` as one `$in` / `$nin` value that {@link splitList} reads back. */
export function joinList(items: readonly string[]): string {
  return items.map((item) => item.replace(/[\\,]/g, (char) => `\\${char}`)).join(',');
}

function checkEnum(value: ScalarJson, allowed: readonly unknown[] | undefined, key: string, field: string): void {
  if (allowed && !allowed.includes(value)) throw badQueryError(`filter "${key}": "${field}" must be one of ${JSON.stringify(allowed)}`, key);
}

/** How one parameter's field reads: its filter type (undefined: `$exists` only) and enum. */
export interface FilterField {
  type: FilterType | undefined;
  enum?: readonly unknown[] | undefined;
}

/**
 * The condition of one operator parameter, or for `$in`/`$nin` the values it adds
 * (`previous` holds those of earlier repeats).
 * @throws MicrolibError MLB_ERR_BAD_QUERY naming `key` and the operator.
 */
export function readCondition(key: string, parsed: FilterKey, raw: string, target: FilterField, previous?: readonly ScalarJson[]): FieldCondition {
  const { field } = parsed;
  const op: Op = parsed.operator === undefined ? 'eq' : QUERY_OPERATORS[parsed.operator as QueryOperatorName];
  const written = parsed.operator ?? '=';
  const type = target.type;
  if (!(type ? ALLOWED[type] : new Set<Op>(['exists'])).has(op)) {
    const kind = type === undefined ? 'a field that only takes $exists' : type === 'any' ? 'a field' : `${type === 'integer' ? 'an' : 'a'} ${type} field`;
    throw badQueryError(`operator ${written} does not apply to "${field}", ${kind}: it takes ${operatorsFor(type).join(', ') || 'none'}`, key);
  }
  switch (op) {
    case 'exists':
      if (raw !== 'true' && raw !== 'false') throw badQueryError(`filter "${key}" must be true or false`, key);
      return { field, op, value: raw === 'true' };
    case 'prefix':
      if (raw === '') throw badQueryError(`filter "${key}" needs at least one character`, key);
      if (raw.includes('\u0000')) throw badQueryError(`filter "${key}" cannot contain the NUL character`, key);
      return { field, op, value: raw };
    case 'in':
    case 'nin': {
      const items = splitList(raw, key);
      if ((previous?.length ?? 0) + items.length > MAX_LIST_VALUES) throw badQueryError(`filter "${key}" lists more than ${MAX_LIST_VALUES} values`, key);
      const values = items.map((item) => readScalar(item, type!, key, field));
      for (const value of values) checkEnum(value, target.enum, key, field);
      return { field, op, value: [...(previous ?? []), ...values] };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const value = readScalar(raw, type!, key, field);
      if (type === 'date') return { field, op, value: new Date(instantOf(value)!).toISOString(), instant: true };
      return { field, op, value: value as string | number };
    }
    default: {
      const value = readScalar(raw, type!, key, field);
      checkEnum(value, target.enum, key, field);
      return { field, op: op as 'eq' | 'ne', value };
    }
  }
}

const NAME_OF = Object.fromEntries(Object.entries(QUERY_OPERATORS).map(([name, op]) => [op, name])) as Record<Op, QueryOperatorName | undefined>;

const text = (value: ScalarJson): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * A condition as the query parameter {@link readCondition} reads back, e.g.
 * `['total[$gte]', '10']`, or `['$or[1][status]', 'open']` in branch 1: how a
 * query travels on to another host.
 */
export function conditionParameter(condition: FieldCondition, branch?: number): [string, string] {
  const name = NAME_OF[condition.op];
  const key = `${branch === undefined ? condition.field : `$or[${branch}][${condition.field}]`}${name ? `[${name}]` : ''}`;
  const { value } = condition;
  return [key, Array.isArray(value) ? joinList((value as readonly ScalarJson[]).map(text)) : text(value as ScalarJson)];
}

/** True for names that must never be taken as fields. */
export const isForbiddenField = (field: string): boolean => FORBIDDEN.has(field);
