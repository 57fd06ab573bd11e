/**
 * What a list query's top-level conditions (`filter` and `where`, never `anyOf`)
 * say about each field, in the terms an index can use: a set of values to look
 * up, or a range of one type. Each is a superset of what the conditions match
 * (the collection still tests every candidate against the whole query), so an
 * index can only save work, never change an answer.
 */
import type { FieldCondition, ListQuery, ScalarJson } from '../../../domain/datasource.js';
import { instantOf } from '../../../domain/instants.js';
import { isCanonicalInstant, TypeEnd, type KeyBound } from './record-indexes.js';

/** Type ranks of json-order.ts: the ranges an index can serve hold numbers or strings. */
const NUMBER_RANK = 1;
const STRING_RANK = 2;

/** What the conditions on one field allow. */
export interface FieldConstraints {
  /** The field equals one of these (null: null or missing); from `eq`, `in` and scalar `filter` values, intersected. */
  points?: ScalarJson[];
  /** Range and prefix conditions on the field. */
  ranges: (FieldCondition & { op: 'gt' | 'gte' | 'lt' | 'lte' | 'prefix' })[];
}

/** A range of values of one type: `low` to `high`, each bound included or not. */
export interface ValueRange {
  low: KeyBound;
  lowIncluded: boolean;
  high: KeyBound;
  highIncluded: boolean;
}

/** The constraints of each field the query's top-level conditions name. */
export function constraintsOf(query: ListQuery): Map<string, FieldConstraints> {
  const byField = new Map<string, FieldConstraints>();
  const of = (field: string) => {
    let constraints = byField.get(field);
    if (!constraints) byField.set(field, (constraints = { ranges: [] }));
    return constraints;
  };
  const addPoints = (field: string, values: readonly ScalarJson[]) => {
    const constraints = of(field);
    const unique = [...new Set(values)];
    constraints.points = constraints.points ? constraints.points.filter((value) => unique.includes(value)) : unique;
  };
  for (const [field, value] of Object.entries(query.filter)) {
    // An object or array is matched by deep equality, which no index keeps.
    if (value === null || typeof value !== 'object') addPoints(field, [value]);
  }
  for (const condition of query.where ?? []) {
    switch (condition.op) {
      case 'eq':
        addPoints(condition.field, [condition.value]);
        break;
      case 'in':
        addPoints(condition.field, condition.value);
        break;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
      case 'prefix':
        of(condition.field).ranges.push(condition);
        break;
      default:
        break;
    }
  }
  return byField;
}

/** The first code-unit string after every string starting with `prefix`, or undefined when there is none. */
function prefixEnd(prefix: string): string | undefined {
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--;
  if (end === 0) return undefined;
  return prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1);
}

/** A date-time condition's value as stored text that sorts like it, or undefined beyond the four-digit years. */
function instantText(value: string | number): string | undefined {
  const instant = instantOf(value);
  if (instant === undefined) return undefined;
  const text = new Date(instant).toISOString();
  return isCanonicalInstant(text, instant) ? text : undefined;
}

/**
 * The narrowest range of one type holding every value the range conditions
 * accept, or undefined when none applies. Date-time conditions count only when
 * `instantsAsText` (every date-time stored in the indexed field sorts as text).
 */
export function rangeOf(constraints: FieldConstraints | undefined, instantsAsText: boolean): ValueRange | undefined {
  let rank: number | undefined;
  let range: ValueRange | undefined;
  const raise = (value: KeyBound, included: boolean) => {
    const r = range as ValueRange;
    const order = compareBounds(value, r.low);
    if (order > 0 || (order === 0 && !included)) [r.low, r.lowIncluded] = [value, included];
  };
  const lower = (value: KeyBound, included: boolean) => {
    const r = range as ValueRange;
    const order = compareBounds(value, r.high);
    if (order < 0 || (order === 0 && !included)) [r.high, r.highIncluded] = [value, included];
  };
  for (const condition of constraints?.ranges ?? []) {
    const instant = condition.op !== 'prefix' && condition.instant === true;
    if (instant && !instantsAsText) continue;
    const type = instant || typeof condition.value === 'string' ? STRING_RANK : NUMBER_RANK;
    if (rank === undefined) {
      rank = type;
      range = type === STRING_RANK ? { low: '', lowIncluded: true, high: new TypeEnd(STRING_RANK), highIncluded: false } : { low: -Infinity, lowIncluded: true, high: new TypeEnd(NUMBER_RANK), highIncluded: false };
    }
    // Conditions of another type leave no record (none holds both); they are still tested on every candidate.
    if (type !== rank) continue;
    if (condition.op === 'prefix') {
      raise(condition.value, true);
      const end = prefixEnd(condition.value);
      if (end !== undefined) lower(end, false);
      continue;
    }
    const value = instant ? instantText(condition.value) : condition.value;
    if (value === undefined) continue;
    if (condition.op === 'gt' || condition.op === 'gte') raise(value, condition.op === 'gte');
    else lower(value, condition.op === 'lte');
  }
  return range;
}

function compareBounds(a: KeyBound, b: KeyBound): number {
  if (a instanceof TypeEnd) return b instanceof TypeEnd ? a.rank - b.rank : 1;
  if (b instanceof TypeEnd) return -1;
  return a === b ? 0 : (a as number | string) < (b as number | string) ? -1 : 1;
}
