/**
 * Checks the parameters of a list request against a model's fields and turns
 * them into a ListQuery. Unknown fields and operators are refused
 * (MLB_ERR_BAD_QUERY): nothing a client writes reaches a datasource unchecked.
 */
import type { ListQuery, SortKey } from './datasource.js';
import { badQueryError } from './errors.js';
import { compileFieldSchema, type FieldSchema } from './field-schema.js';
import type { Json } from './model-spec.js';

/** The page sizes a host allows. */
export interface PageLimits {
  defaultPageSize: number;
  maxPageSize: number;
}

/**
 * A list request's parameters as the client wrote them: name and value pairs in
 * their order, repeats kept (a `URLSearchParams` is one).
 */
export type RawListQuery = Iterable<readonly [name: string, value: string]>;

/** The fields of a model another host serves: any plain name passes here, that host checks its own. */
export const OPEN_FIELDS: FieldSchema = compileFieldSchema(undefined, true);

const RESERVED = new Set(['limit', 'offset', 'cursor', 'sort', 'count']);
/** Names that reach an object's prototype: a model without declared fields would otherwise take them as fields. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
/** Plain decimal numbers only: Number() also takes "0x10", "0b1", " 5" and "Infinity". */
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** A date or RFC 3339 date-time, as the date fields store them. */
const DATE = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

function integer(value: string, field: string, min: number, max: number): number {
  const n = Number(value);
  if (!DECIMAL.test(value) || !Number.isInteger(n) || n < min || n > max) {
    throw badQueryError(`"${field}" must be an integer from ${min} to ${max}`, field);
  }
  return n;
}

function coerce(raw: string, type: NonNullable<ReturnType<FieldSchema['queryableType']>>, field: string): Json {
  switch (type) {
    case 'number':
    case 'integer': {
      const n = Number(raw);
      if (!DECIMAL.test(raw) || !Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) {
        throw badQueryError(`filter "${field}" must be ${type === 'integer' ? 'an integer' : 'a number'}`, field);
      }
      return n;
    }
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw badQueryError(`filter "${field}" must be true or false`, field);
    case 'date':
      if (!DATE.test(raw) || Number.isNaN(Date.parse(raw))) throw badQueryError(`filter "${field}" must be a date-time such as 2024-05-01T12:00:00Z`, field);
      return raw;
    default:
      return raw;
  }
}

function parseSort(raw: string, schema: FieldSchema): SortKey[] {
  return raw.split(',').map((part) => {
    const descending = part.startsWith('-');
    const field = descending || part.startsWith('+') ? part.slice(1) : part;
    if (FORBIDDEN.has(field) || !schema.queryableType(field)) throw badQueryError(`cannot sort by "${field}": not a sortable field of this model`, 'sort');
    return { field, direction: descending ? -1 : 1 };
  });
}

/**
 * The ListQuery of a list request: `limit`, `offset`, `cursor`, `sort` and
 * `count`, and equality filters on the fields `schema` can query, each value
 * converted to its field's type. Anything else throws MLB_ERR_BAD_QUERY naming
 * the parameter.
 */
export function checkListQuery(raw: RawListQuery, schema: FieldSchema, limits: PageLimits): ListQuery {
  const seen = new Set<string>();
  const filter: Record<string, Json> = {};
  const query: ListQuery = { filter, sort: [], limit: limits.defaultPageSize, offset: 0, count: false };
  for (const [key, value] of raw) {
    if (seen.has(key)) throw badQueryError(`"${key}" is given more than once`, key);
    seen.add(key);
    if (RESERVED.has(key)) {
      switch (key) {
        case 'limit':
          query.limit = integer(value, 'limit', 1, limits.maxPageSize);
          break;
        case 'offset':
          query.offset = integer(value, 'offset', 0, Number.MAX_SAFE_INTEGER);
          break;
        case 'cursor':
          if (value === '') throw badQueryError('"cursor" is empty', 'cursor');
          query.cursor = value;
          break;
        case 'sort':
          query.sort = parseSort(value, schema);
          break;
        case 'count':
          if (value !== '' && value !== 'true' && value !== 'false') throw badQueryError('"count" takes no value, true or false', 'count');
          query.count = value !== 'false';
          break;
      }
      continue;
    }
    if (/[[\]$.]/.test(key)) {
      throw badQueryError(`unknown query operator in "${key}": only equality filters (field=value) are supported`, key);
    }
    const type = FORBIDDEN.has(key) ? undefined : schema.queryableType(key);
    if (!type) throw badQueryError(`cannot filter by "${key}": not a filterable field of this model`, key);
    filter[key] = coerce(value, type, key);
  }
  if (query.cursor !== undefined && seen.has('offset')) throw badQueryError('give either "cursor" or "offset", not both', 'cursor');
  return query;
}
