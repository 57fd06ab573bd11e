/**
 * Turns a validated {@link ListQuery} into the filter, sort and range MongoDB
 * runs, and a page's last document into the next page's cursor.
 *
 * Nothing here is built from raw client input: every field name must pass the
 * host's plain-name rule (no `$`, no `.`, not the datasource's own fields), and
 * every value sits behind `$eq` or `$literal` (or, for the query's conditions,
 * an operator mongodb-conditions.ts chooses), so an operator-shaped object is
 * compared as data, never run.
 */
import type { Document } from 'mongodb';
import type { ListQuery, SortKey } from '../../../domain/datasource.js';
import { badQueryError } from '../../../domain/errors.js';
import type { FieldValue } from '../shared/json-order.js';
import { checkConditions } from '../shared/list-conditions.js';
import { decodeCursor, encodeCursor, type CursorPosition } from '../shared/list-cursor.js';
import { conditionClauses } from './mongodb-conditions.js';
import { SEQ } from './mongodb-documents.js';

/** Field names a query may use: the host's own field-name rule (no `$`, no `.`). */
const SAFE_FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A list query as MongoDB runs it. */
export interface MongoListQuery {
  /** The query's filter and conditions alone: what `count` counts. */
  filter: Document;
  /** The filter, narrowed to the documents after the cursor when the query has one. */
  where: Document;
  sort: Document;
  skip: number;
  /** One more than the page size: the extra document tells whether another page follows. */
  limit: number;
  /** The document paths whose values a next-page cursor records, most significant first. */
  cursorPaths: string[];
}

/**
 * The MongoDB form of a list query.
 * @throws MicrolibError `MLB_ERR_BAD_QUERY` naming the field, `limit`, `offset`, `sort` or `cursor` at fault.
 */
export function translateListQuery(query: ListQuery): MongoListQuery {
  checkListQuery(query);
  const filter = buildFilter(query);
  const order = sortOrder(query.sort);
  let where = filter;
  if (query.cursor !== undefined) {
    const position = decodeCursor(query.cursor, query.sort, order.keys.length);
    if (query.sort.length === 0 && typeof position.values[0] !== 'number') {
      throw badQueryError('The cursor is malformed or does not belong to this query', 'cursor');
    }
    const range = afterCursor(order, position);
    where = Object.keys(filter).length === 0 ? range : { $and: [filter, range] };
  }
  return {
    filter,
    where,
    sort: order.sort,
    skip: query.cursor === undefined ? query.offset : 0,
    limit: query.limit + 1,
    cursorPaths: order.keys.map((key) => key.path),
  };
}

/** The cursor of the page that follows `last`, the last document of this page. */
export function cursorAfter(sort: readonly SortKey[], translated: MongoListQuery, last: Document): string {
  return encodeCursor(
    sort,
    translated.cursorPaths.map((path) => last[path] as FieldValue),
    String(last['_id']),
  );
}

/**
 * The database path for a field a query names.
 * @throws MicrolibError `MLB_ERR_BAD_QUERY` naming the field when it is unsafe or reserved.
 */
function queryPath(field: string): string {
  if (field === 'id') return '_id';
  if (typeof field !== 'string' || !SAFE_FIELD.test(field) || field === '__proto__' || field === '_id' || field === SEQ) {
    throw badQueryError(`"${String(field)}" cannot be used as a field name in a query (letters, digits and "_", not starting with a digit)`, String(field));
  }
  return field;
}

function checkListQuery(query: ListQuery): void {
  if (!Number.isSafeInteger(query.limit) || query.limit < 1) throw badQueryError('limit must be an integer of at least 1', 'limit');
  if (query.cursor === undefined && (!Number.isSafeInteger(query.offset) || query.offset < 0)) {
    throw badQueryError('offset must be a non-negative integer', 'offset');
  }
  if (typeof query.filter !== 'object' || query.filter === null || Array.isArray(query.filter)) throw badQueryError('filter must be an object', 'filter');
  checkConditions(query);
  if (!Array.isArray(query.sort)) throw badQueryError('sort must be a list of keys', 'sort');
  for (const key of query.sort) {
    if (typeof key?.field !== 'string' || (key.direction !== 1 && key.direction !== -1)) {
      throw badQueryError('sort keys need a field name and a direction of 1 or -1', 'sort');
    }
  }
}

/**
 * Equality filters, field by field, then the query's other conditions
 * (mongodb-conditions.ts). Every value sits behind `$eq` (or `$literal`),
 * so an object such as `{"$where": …}` is compared as data, never run as an
 * operator. Arrays are excluded from scalar and object matches, and an array value
 * must equal the whole stored array: MongoDB would otherwise match elements.
 */
function buildFilter(query: ListQuery): Document {
  const clauses: Document[] = [];
  for (const [field, value] of Object.entries(query.filter)) {
    const path = queryPath(field);
    if (path === '_id') clauses.push({ _id: { $eq: value } });
    else if (Array.isArray(value)) clauses.push({ [path]: { $eq: value } }, { $expr: { $eq: [`$${path}`, { $literal: value }] } });
    else clauses.push({ [path]: { $eq: value, $not: { $type: 'array' } } });
  }
  clauses.push(...conditionClauses(query, queryPath));
  if (clauses.length === 0) return {};
  return clauses.length === 1 ? (clauses[0] as Document) : { $and: clauses };
}

interface SortOrder {
  /** The keys whose values a cursor records: the query's sort, or the creation sequence. */
  keys: { path: string; direction: 1 | -1 }[];
  /** Whether `_id` follows the keys as tie-breaker (not when a key already is `_id`). */
  tieBreak: boolean;
  sort: Document;
}

function sortOrder(sort: readonly SortKey[]): SortOrder {
  const keys: SortOrder['keys'] = [];
  if (sort.length === 0) keys.push({ path: SEQ, direction: 1 });
  for (const key of sort) {
    const path = queryPath(key.field);
    keys.push({ path, direction: key.direction });
    // Keys after the unique id never decide anything.
    if (path === '_id') break;
  }
  const tieBreak = keys.every((key) => key.path !== '_id');
  const order: Document = {};
  for (const key of keys) order[key.path] = key.direction;
  if (tieBreak) order['_id'] = 1;
  return { keys, tieBreak, sort: order };
}

/** BSON type aliases in sort order, by the rank json-order.ts gives them (0, null, is special). */
const TYPE_BY_RANK = ['null', 'number', 'string', 'object', 'array', 'bool'] as const;

function typeRank(value: FieldValue): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return 1;
  if (typeof value === 'string') return 2;
  if (typeof value === 'boolean') return 5;
  return Array.isArray(value) ? 4 : 3;
}

/**
 * Conditions for "after `value` on `path`" in the sort direction. MongoDB's range
 * operators only compare values of one type, so the types that sort after the
 * value's type are added by `$type`. Missing and null are one step, below all.
 */
function afterValue(path: string, value: FieldValue, direction: 1 | -1): Document[] {
  const rank = typeRank(value);
  const clauses: Document[] = [];
  if (rank !== 0) clauses.push({ [path]: { [direction === 1 ? '$gt' : '$lt']: value } });
  if (direction === 1) {
    const later = TYPE_BY_RANK.slice(rank + 1);
    if (later.length > 0) clauses.push({ [path]: { $type: [...later] } });
  } else if (rank > 0) {
    // Everything of a lower type, missing and null included.
    clauses.push({ [path]: { $not: { $type: TYPE_BY_RANK.slice(rank) } } });
  }
  return clauses;
}

/** The documents after a cursor position: an `$or` over "equal so far, then after" for each key, then the id. */
function afterCursor(order: SortOrder, position: CursorPosition): Document {
  const branches: Document[] = [];
  const equalSoFar: Document[] = [];
  order.keys.forEach((key, i) => {
    const value = position.values[i] ?? null;
    for (const clause of afterValue(key.path, value, key.direction)) {
      branches.push(equalSoFar.length === 0 ? clause : { $and: [...equalSoFar, clause] });
    }
    // $eq null also matches a missing field, which sorts as null.
    equalSoFar.push({ [key.path]: { $eq: value } });
  });
  if (order.tieBreak) branches.push({ $and: [...equalSoFar, { _id: { $gt: position.id } }] });
  return branches.length === 0 ? { _id: { $in: [] } } : { $or: branches };
}
