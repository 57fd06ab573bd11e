/**
 * The conditions of a list query (`where`, `anyOf`) as MongoDB filter clauses,
 * with the meaning shared/list-conditions.ts gives them for the in-process
 * engines. Built only from the checked, typed condition values: operators are
 * chosen here, never taken from a query, and every value sits behind an
 * operator (`$eq`, `$in`, `$gt`…, `$literal`) or, for `$prefix`, in an escaped
 * regular expression, so a string is always compared as data.
 *
 * Where MongoDB alone would differ, a clause says more: arrays are excluded
 * (MongoDB matches their elements), ranges name the type they compare
 * (`$type`), and a range on a date-time computes instants with the pattern of
 * domain/instants.ts (`$expr`, which no index serves).
 */
import type { Document } from 'mongodb';
import type { FieldCondition, ListQuery, ScalarJson } from '../../../domain/datasource.js';
import { INSTANT_PATTERN, instantOf } from '../../../domain/instants.js';

const NOT_ARRAY = { $not: { $type: 'array' } };
const COMPARE = { gt: '$gt', gte: '$gte', lt: '$lt', lte: '$lte' } as const;

/** `eq` as the in-process engines mean it: a scalar, not an array (null also matching missing). */
function equalClause(path: string, value: ScalarJson): Document {
  return { [path]: { $eq: value, ...NOT_ARRAY } };
}

function inClause(path: string, values: readonly ScalarJson[]): Document {
  return { [path]: { $in: [...values], ...NOT_ARRAY } };
}

/** Regular-expression characters of a prefix written as themselves (valid in PCRE and JavaScript alike). */
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, (char) => `\\${char}`);
}

/** A capture of the instant pattern as an integer, 0 when the group did not take part. */
function capture(index: number): Document {
  return { $ifNull: [{ $toInt: { $arrayElemAt: ['$$instant.captures', index] } }, 0] };
}

/** The stored value's instant in milliseconds, or null when it is not a date-time instants.ts reads. */
function instantExpression(path: string): Document {
  const local = {
    $toLong: {
      $dateFromParts: {
        year: capture(0),
        month: capture(1),
        day: capture(2),
        hour: capture(3),
        minute: capture(4),
        second: capture(5),
        millisecond: { $add: [{ $multiply: [capture(6), 100] }, { $multiply: [capture(7), 10] }, capture(8)] },
      },
    },
  };
  const offsetMinutes = { $add: [{ $multiply: [capture(10), 60] }, capture(11)] };
  const sign = { $cond: [{ $eq: [{ $arrayElemAt: ['$$instant.captures', 9] }, '-'] }, -1, 1] };
  return {
    $let: {
      vars: {
        // Only strings are read; anything else gives null, as a text that does not match does.
        instant: { $regexFind: { input: { $cond: [{ $eq: [{ $type: `$${path}` }, 'string'] }, `$${path}`, ''] }, regex: INSTANT_PATTERN } },
      },
      in: { $cond: [{ $eq: ['$$instant', null] }, null, { $subtract: [local, { $multiply: [60_000, sign, offsetMinutes] }] }] },
    },
  };
}

function rangeClause(path: string, condition: FieldCondition & { op: 'gt' | 'gte' | 'lt' | 'lte' }): Document {
  const operator = COMPARE[condition.op];
  if (condition.instant === true) {
    const instant = instantOf(condition.value)!;
    // null (not a date-time) would compare below every number: it must not match a `$lt`.
    return { $expr: { $let: { vars: { stored: instantExpression(path) }, in: { $and: [{ $ne: ['$$stored', null] }, { [operator]: ['$$stored', { $literal: instant }] }] } } } };
  }
  return { [path]: { [operator]: condition.value, $type: typeof condition.value === 'number' ? 'number' : 'string', ...NOT_ARRAY } };
}

/** The clause of one condition; `path` is the document path of its field. */
function conditionClause(condition: FieldCondition, path: string): Document {
  switch (condition.op) {
    case 'eq':
      return equalClause(path, condition.value);
    case 'ne':
      return { $nor: [equalClause(path, condition.value)] };
    case 'in':
      return inClause(path, condition.value);
    case 'nin':
      return { $nor: [inClause(path, condition.value)] };
    case 'exists':
      return { [path]: { $exists: condition.value } };
    case 'prefix':
      return { [path]: { $regex: `^${escapeRegex(condition.value)}`, ...NOT_ARRAY } };
    default:
      return rangeClause(path, condition);
  }
}

/**
 * The clauses a query's conditions add to its filter (all must hold), in the
 * order given; `path` maps a field to its document path (and refuses unsafe names).
 * Call shared/list-conditions.ts `checkConditions` first.
 */
export function conditionClauses(query: ListQuery, path: (field: string) => string): Document[] {
  const clauses = (query.where ?? []).map((condition) => conditionClause(condition, path(condition.field)));
  if (query.anyOf !== undefined) {
    const branches = query.anyOf.map((branch) => {
      const inner = branch.map((condition) => conditionClause(condition, path(condition.field)));
      // An empty branch always holds.
      return inner.length === 0 ? {} : inner.length === 1 ? (inner[0] as Document) : { $and: inner };
    });
    // No branch at all never holds (MongoDB refuses an empty $or).
    clauses.push(branches.length === 0 ? { _id: { $in: [] } } : { $or: branches });
  }
  return clauses;
}
