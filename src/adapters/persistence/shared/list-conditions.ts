/**
 * The conditions of a list query (`where`, `anyOf`): the check every datasource
 * runs before using them, and their meaning for in-process engines. The MongoDB
 * datasource translates the same meaning (mongodb-conditions.ts); the conformance
 * suite holds both to it.
 */
import type { FieldCondition, ListQuery, ScalarJson } from '../../../domain/datasource.js';
import { badQueryError } from '../../../domain/errors.js';
import { instantOf } from '../../../domain/instants.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { compareJson, type FieldValue } from './json-order.js';

/** What a datasource accepts, whoever built the query: bounds against a query too costly to run. */
export const MAX_QUERY_CONDITIONS = 200;
export const MAX_QUERY_BRANCHES = 50;
export const MAX_QUERY_LIST_VALUES = 1_000;

const OPS = new Set(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists', 'prefix']);

const isScalar = (value: unknown): value is ScalarJson =>
  value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

function checkCondition(condition: FieldCondition): void {
  const { field, op, value } = (condition ?? {}) as { field?: unknown; op?: unknown; value?: unknown };
  if (typeof field !== 'string' || typeof op !== 'string' || !OPS.has(op)) throw badQueryError('a condition needs a field name and a known operator', 'filter');
  const bad = (what: string) => badQueryError(`condition ${op} on "${field}" ${what}`, field);
  switch (op) {
    case 'eq':
    case 'ne':
      if (!isScalar(value)) throw bad('needs a string, number, boolean or null');
      return;
    case 'in':
    case 'nin':
      if (!Array.isArray(value) || !value.every(isScalar)) throw bad('needs a list of strings, numbers, booleans or nulls');
      if (value.length > MAX_QUERY_LIST_VALUES) throw bad(`lists more than ${MAX_QUERY_LIST_VALUES} values`);
      return;
    case 'exists':
      if (typeof value !== 'boolean') throw bad('needs true or false');
      return;
    case 'prefix':
      if (typeof value !== 'string') throw bad('needs a string');
      return;
    default:
      if ((condition as { instant?: unknown }).instant === true) {
        if (instantOf(value) === undefined) throw bad('needs a date-time');
      } else if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
        throw bad('needs a number or a string');
      }
  }
}

/**
 * Checks the shape of a query's conditions (operators, value types, bounds).
 * @throws MicrolibError `MLB_ERR_BAD_QUERY` naming the field at fault.
 */
export function checkConditions(query: ListQuery): void {
  const { where, anyOf } = query;
  let count = 0;
  if (where !== undefined) {
    if (!Array.isArray(where)) throw badQueryError('where must be a list of conditions', 'filter');
    for (const condition of where) checkCondition(condition);
    count += where.length;
  }
  if (anyOf !== undefined) {
    if (!Array.isArray(anyOf) || anyOf.length > MAX_QUERY_BRANCHES) throw badQueryError(`anyOf must be a list of at most ${MAX_QUERY_BRANCHES} branches`, 'filter');
    for (const branch of anyOf) {
      if (!Array.isArray(branch)) throw badQueryError('each anyOf branch must be a list of conditions', 'filter');
      for (const condition of branch) checkCondition(condition);
      count += branch.length;
    }
  }
  if (count > MAX_QUERY_CONDITIONS) throw badQueryError(`a query takes at most ${MAX_QUERY_CONDITIONS} conditions`, 'filter');
}

/** Equality as `eq` means it: scalars only (an array never equals one), null also matching missing. */
function equals(actual: FieldValue, expected: ScalarJson): boolean {
  if (expected === null) return actual === undefined || actual === null;
  return actual === expected;
}

/** Same type (number with number, string with string), never an array, then ordered. */
function rangeMatch(actual: FieldValue, condition: FieldCondition & { op: 'gt' | 'gte' | 'lt' | 'lte' }, instant: number | undefined): boolean {
  let order: number;
  if (instant !== undefined) {
    const stored = instantOf(actual);
    if (stored === undefined) return false;
    order = stored < instant ? -1 : stored > instant ? 1 : 0;
  } else {
    if (typeof actual !== typeof condition.value) return false;
    order = compareJson(actual, condition.value);
  }
  switch (condition.op) {
    case 'gt':
      return order > 0;
    case 'gte':
      return order >= 0;
    case 'lt':
      return order < 0;
    default:
      return order <= 0;
  }
}

type FieldReader = (record: StoredRecord) => FieldValue;

/** The test of one condition on a value read by `read`. */
function conditionTest(condition: FieldCondition, read: FieldReader): (record: StoredRecord) => boolean {
  switch (condition.op) {
    case 'eq': {
      const expected = condition.value;
      return (record) => equals(read(record), expected);
    }
    case 'ne': {
      const expected = condition.value;
      return (record) => !equals(read(record), expected);
    }
    case 'in': {
      const expected = condition.value;
      return (record) => {
        const actual = read(record);
        return expected.some((value) => equals(actual, value));
      };
    }
    case 'nin': {
      const expected = condition.value;
      return (record) => {
        const actual = read(record);
        return !expected.some((value) => equals(actual, value));
      };
    }
    case 'exists': {
      const wanted = condition.value;
      return (record) => (read(record) !== undefined) === wanted;
    }
    case 'prefix': {
      const prefix = condition.value;
      return (record) => {
        const actual = read(record);
        return typeof actual === 'string' && actual.startsWith(prefix);
      };
    }
    default: {
      const instant = condition.instant === true ? instantOf(condition.value) : undefined;
      return (record) => rangeMatch(read(record), condition, instant);
    }
  }
}

/**
 * The test of a query's `where` and `anyOf` (call {@link checkConditions} first),
 * or undefined when it has none. `reader` reads one field of a record.
 */
export function conditionsMatcher(query: ListQuery, reader: (field: string) => FieldReader): ((record: StoredRecord) => boolean) | undefined {
  const all = (query.where ?? []).map((condition) => conditionTest(condition, reader(condition.field)));
  const branches = query.anyOf?.map((branch) => branch.map((condition) => conditionTest(condition, reader(condition.field))));
  if (all.length === 0 && branches === undefined) return undefined;
  return (record) => {
    for (const test of all) if (!test(record)) return false;
    if (branches === undefined) return true;
    return branches.some((branch) => branch.every((test) => test(record)));
  };
}
