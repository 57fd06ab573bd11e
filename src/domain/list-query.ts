/**
 * Checks the parameters of a list request against a model's fields and turns
 * them into a ListQuery (the operators themselves are read in query-operators.ts).
 * Unknown fields and operators are refused
 * (MLB_ERR_BAD_QUERY): nothing a client writes reaches a datasource unchecked.
 */
import type { FieldCondition, ListQuery, ScalarJson, SortKey } from './datasource.js';
import { badQueryError } from './errors.js';
import { compileFieldSchema, type FieldSchema } from './field-schema.js';
import type { Json } from './model-spec.js';
import { FIELDS_PARAMETER, readFieldSelection } from './field-selection.js';
import { isForbiddenField, MAX_CONDITIONS, parseFilterKey, readCondition, type FilterField, type FilterKey } from './query-operators.js';

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

const RESERVED = new Set(['limit', 'offset', 'cursor', 'sort', 'count', FIELDS_PARAMETER]);
/** Plain decimal numbers only: Number() also takes "0x10", "0b1", " 5" and "Infinity". */
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function integer(value: string, field: string, min: number, max: number): number {
  const n = Number(value);
  if (!DECIMAL.test(value) || !Number.isInteger(n) || n < min || n > max) {
    throw badQueryError(`"${field}" must be an integer from ${min} to ${max}`, field);
  }
  return n;
}

function parseSort(raw: string, schema: FieldSchema): SortKey[] {
  return raw.split(',').map((part) => {
    const descending = part.startsWith('-');
    const field = descending || part.startsWith('+') ? part.slice(1) : part;
    const type = isForbiddenField(field) ? undefined : schema.queryableType(field);
    if (!type) throw badQueryError(`cannot sort by "${field}": not a sortable field of this model`, 'sort');
    if (type === 'bigint' || type === 'decimal') throw badQueryError(`cannot sort by "${field}": ${type} values are stored as text, which does not sort by value`, 'sort');
    return { field, direction: descending ? -1 : 1 };
  });
}

/** The field a filter parameter names, as the model reads it; MLB_ERR_BAD_QUERY when it is not one to filter on. */
function filterField(key: string, parsed: FilterKey, schema: FieldSchema): FilterField {
  const { field } = parsed;
  const type = isForbiddenField(field) ? undefined : schema.queryableType(field);
  // `$exists` also applies to declared fields no other filter takes (objects, arrays).
  if (!type && !(parsed.operator === '$exists' && !isForbiddenField(field) && schema.hasField(field))) {
    throw badQueryError(`cannot filter by "${field}": not a filterable field of this model`, key);
  }
  return { type, enum: type ? schema.enumOf(field) : undefined };
}

/**
 * The ListQuery of a list request: `limit`, `offset`, `cursor`, `sort`,
 * `count` and `fields` (field-selection.ts), and filters on the fields `schema` can query: equality
 * (`field=value`), operators (`field[$gte]=value`, see query-operators.ts) and
 * one `$or` of branches, each value converted to its field's type. Anything else
 * throws MLB_ERR_BAD_QUERY naming the parameter.
 */
export function checkListQuery(raw: RawListQuery, schema: FieldSchema, limits: PageLimits): ListQuery {
  const seen = new Set<string>();
  const filter: Record<string, Json> = {};
  const where: FieldCondition[] = [];
  const branches = new Map<number, FieldCondition[]>();
  /** Where each `$in`/`$nin` parameter's condition sits, so a repeat adds to it. */
  const lists = new Map<string, { conditions: FieldCondition[]; at: number }>();
  let conditions = 0;
  const query: ListQuery = { filter, sort: [], limit: limits.defaultPageSize, offset: 0, count: false };
  for (const [key, value] of raw) {
    const list = lists.get(key);
    if (seen.has(key) && !list) throw badQueryError(`"${key}" is given more than once`, key);
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
        case FIELDS_PARAMETER:
          query.fields = readFieldSelection(value, schema);
          break;
      }
      continue;
    }
    const parsed = parseFilterKey(key);
    const target = filterField(key, parsed, schema);
    if (list) {
      // A repeated `field[$in]=…`: its values join the first one's.
      const previous = list.conditions[list.at] as FieldCondition & { value: readonly ScalarJson[] };
      list.conditions[list.at] = readCondition(key, parsed, value, target, previous.value);
      continue;
    }
    if (++conditions > MAX_CONDITIONS) throw badQueryError(`a list request takes at most ${MAX_CONDITIONS} filters`, key);
    if (parsed.branch === undefined && parsed.operator === undefined) {
      filter[parsed.field] = readCondition(key, parsed, value, target).value as Json;
      continue;
    }
    const into = parsed.branch === undefined ? where : branches.get(parsed.branch) ?? [];
    if (parsed.branch !== undefined) branches.set(parsed.branch, into);
    const condition = readCondition(key, parsed, value, target);
    if (condition.op === 'in' || condition.op === 'nin') lists.set(key, { conditions: into, at: into.length });
    into.push(condition);
  }
  if (query.cursor !== undefined && seen.has('offset')) throw badQueryError('give either "cursor" or "offset", not both', 'cursor');
  if (where.length > 0) query.where = where;
  if (branches.size > 0) query.anyOf = [...branches.keys()].sort((a, b) => a - b).map((branch) => branches.get(branch)!);
  return query;
}
