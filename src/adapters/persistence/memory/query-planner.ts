/**
 * Picks how a list query finds its candidates: the collection's scan in
 * creation order, or a walk over one index. An index serves an equality, `$in`,
 * range or prefix condition on its first field (then on its next fields while
 * the earlier ones are fixed by equality), and a sort by its fields; the
 * candidates it gives are still tested against the whole query, so the answer
 * is the same whichever path is taken. The choice compares how many entries
 * each path would visit, from exact index range sizes.
 */
import type { ListQuery, ScalarJson, SortKey } from '../../../domain/datasource.js';
import type { Json } from '../../../domain/model-spec.js';
import { compareJson } from '../shared/json-order.js';
import type { Entry } from './collection-entry.js';
import { constraintsOf, rangeOf, type FieldConstraints } from './index-constraints.js';
import { HashIndex, type KeyBound, type SortedIndex } from './record-indexes.js';
import type { ListCursor, SortedList } from './sorted-list.js';

/**
 * The order candidates come in: creation order, the query's sort (entries with
 * equal sort values in any order among themselves), or no useful order.
 */
export type CandidateOrder = 'creation' | 'sort' | 'none';

/** A chosen index walk. */
export interface IndexPlan {
  /** The index's name, for diagnostics. */
  index: string;
  /** Entries the walk can visit at most. */
  size: number;
  order: CandidateOrder;
  /** Starts the walk. */
  open(): Iterable<Entry>;
}

/** Where the page starts: after this creation sequence number, or after these sort values (the cursor's). */
export interface PlanCursor {
  afterSeq?: number;
  afterValues?: readonly Json[];
  afterId?: string;
}

/** Index lookups one plan may make (the product of its `$in` lists); beyond it a plan stops using further fields. */
const MAX_SEGMENTS = 1_000;

/** One contiguous run of an index, walked first to last or last to first. */
interface Segment {
  list: SortedList<Entry>;
  from: number;
  to: number;
}

interface Candidate extends IndexPlan {
  segments: number;
}

/**
 * The cheapest index walk for `query`, or undefined when scanning the
 * collection (`size` entries, in creation order) costs no more.
 */
export function chooseIndexPlan(indexes: readonly (SortedIndex | HashIndex)[], query: ListQuery, size: number, cursor: PlanCursor): IndexPlan | undefined {
  const constraints = constraintsOf(query);
  if (constraints.size === 0 && query.sort.length === 0) return undefined;
  // A count takes in the matches before the cursor too, so the walk cannot start at it.
  const start = query.count ? {} : cursor;
  const candidates: Candidate[] = [];
  for (const index of indexes) {
    const candidate = index instanceof HashIndex ? hashPlan(index, constraints, query, start) : sortedPlan(index, constraints, query, start);
    if (candidate) candidates.push(candidate);
  }
  if (candidates.length === 0) return undefined;
  const need = query.count ? Infinity : (query.cursor === undefined ? query.offset : 0) + query.limit + 1;
  // No path finds more matches than the smallest candidate set holds; assume that many match.
  const matches = Math.max(1, Math.min(size, ...candidates.map((c) => c.size)));
  /** Entries visited: an ordered walk stops after `need` matches, expected evenly spread over what it walks. */
  const visits = (walked: number, ordered: boolean) => (ordered && !query.count ? Math.min(walked, (need * walked) / matches) : walked);
  let best: Candidate | undefined;
  let bestCost = visits(size, query.sort.length === 0 && query.cursor === undefined);
  for (const candidate of candidates) {
    // Each lookup is a binary search, about as dear as visiting a few entries.
    const cost = visits(candidate.size, candidate.order !== 'none') + 4 * candidate.segments;
    if (cost < bestCost) [best, bestCost] = [candidate, cost];
  }
  return best;
}

function hashPlan(index: HashIndex, constraints: Map<string, FieldConstraints>, query: ListQuery, cursor: PlanCursor): Candidate | undefined {
  const points = constraints.get(index.field)?.points;
  if (points === undefined || points.length > MAX_SEGMENTS) return undefined;
  const segments: Segment[] = [];
  for (const point of points) {
    const list = index.bucket(point);
    if (list === undefined) continue;
    const afterSeq = cursor.afterSeq;
    const from = afterSeq === undefined ? 0 : list.rankWhere((entry) => entry.seq > afterSeq);
    if (from < list.size) segments.push({ list, from, to: list.size });
  }
  // Each bucket is in creation order; a sort by anything (even the hashed field, all ties) needs the candidates sorted.
  const order: CandidateOrder = query.sort.length === 0 ? 'creation' : 'none';
  return candidate(index.declaration.name, segments, order, false);
}

function sortedPlan(index: SortedIndex, constraints: Map<string, FieldConstraints>, query: ListQuery, cursor: PlanCursor): Candidate | undefined {
  const fields = index.fields;
  /** The values looked up on each leading field, in index order. */
  const prefix: ScalarJson[][] = [];
  let combinations = 1;
  for (const { field, direction } of fields) {
    const points = constraints.get(field)?.points;
    if (points === undefined || combinations * points.length > MAX_SEGMENTS) break;
    prefix.push([...points].sort((a, b) => direction * compareJson(a, b)));
    combinations *= points.length;
  }
  const fixedCount = prefix.length;
  const rangeField = fields[fixedCount];
  const range = rangeField ? rangeOf(constraints.get(rangeField.field), index.instantSafe(fixedCount)) : undefined;
  const { order, reverse } = orderOf(fields, prefix, query.sort);
  if (fixedCount === 0 && range === undefined && order !== 'sort') return undefined;

  let start: KeyBound[] = [];
  let startIncluded = true;
  let end: KeyBound[] = [];
  let endIncluded = true;
  if (range && rangeField) {
    const ascending = rangeField.direction === 1;
    start = [ascending ? range.low : range.high];
    startIncluded = ascending ? range.lowIncluded : range.highIncluded;
    end = [ascending ? range.high : range.low];
    endIncluded = ascending ? range.highIncluded : range.lowIncluded;
  }
  const list = index.entries;
  const seek = seekProbe(index, prefix, query.sort, order, cursor);
  const segments: Segment[] = [];
  for (const values of combinationsOf(prefix)) {
    const low = [...values, ...start];
    const high = [...values, ...end];
    let from = list.rankWhere((entry) => atOrAfter(index.compareToProbe(entry, low), !startIncluded));
    let to = list.rankWhere((entry) => atOrAfter(index.compareToProbe(entry, high), endIncluded));
    if (order === 'creation' && cursor.afterSeq !== undefined) {
      // Every field is fixed: the segment is in creation order.
      const afterSeq = cursor.afterSeq;
      const afterCursor = (entry: Entry) => {
        const order = index.compareToProbe(entry, values);
        return order > 0 || (order === 0 && entry.seq > afterSeq);
      };
      from = Math.max(from, list.rankWhere(afterCursor));
    } else if (seek) {
      const probe = [...values, ...seek];
      if (reverse) to = Math.min(to, list.rankWhere((entry) => index.compareToProbe(entry, probe) > 0));
      else from = Math.max(from, list.rankWhere((entry) => index.compareToProbe(entry, probe) >= 0));
    }
    if (from < to) segments.push({ list, from, to });
  }
  if (reverse) segments.reverse();
  return candidate(index.declaration.name, segments, order, reverse);
}

/** `order` ≥ 0 (or > 0 when `strictly`): the entry is at or after a bound. */
const atOrAfter = (order: number, strictly: boolean) => (strictly ? order > 0 : order >= 0);

/**
 * The order an index walk gives a query. Fields fixed to one value are constant
 * among the candidates, so they drop out of both the index's order and the
 * sort; what is left of the sort must then be the index's next fields, all in
 * their directions (walked first to last) or all against them (last to first).
 */
function orderOf(fields: SortedIndex['fields'], prefix: readonly ScalarJson[][], sort: readonly SortKey[]): { order: CandidateOrder; reverse: boolean } {
  const none = { order: 'none' as const, reverse: false };
  if (sort.length === 0) return prefix.length === fields.length ? { order: 'creation', reverse: false } : none;
  const fixed = new Set(fields.slice(0, prefix.length).filter((_, i) => prefix[i]?.length === 1).map((f) => f.field));
  const sortLeft = sort.filter((key) => !fixed.has(key.field));
  const indexLeft = fields.filter((f) => !fixed.has(f.field));
  if (sortLeft.length === 0 || sortLeft.length > indexLeft.length) return none;
  const relation = (sortLeft[0] as SortKey).direction * (indexLeft[0] as (typeof indexLeft)[number]).direction;
  const matches = sortLeft.every((key, i) => {
    const field = indexLeft[i];
    return field !== undefined && key.field === field.field && key.direction * field.direction === relation;
  });
  return matches ? { order: 'sort', reverse: relation === -1 } : none;
}

/**
 * The cursor's sort values as a probe on the index fields after the fixed ones,
 * when the walk is one run ordered by them (every looked-up field fixed to one
 * value), so the walk can start at the cursor instead of before it.
 */
function seekProbe(index: SortedIndex, prefix: readonly ScalarJson[][], sort: readonly SortKey[], order: CandidateOrder, cursor: PlanCursor): KeyBound[] | undefined {
  const values = cursor.afterValues;
  if (order !== 'sort' || values === undefined || prefix.some((points) => points.length !== 1)) return undefined;
  const probe: KeyBound[] = [];
  for (const field of index.fields.slice(prefix.length)) {
    const at = sort.findIndex((key) => key.field === field.field);
    if (at < 0) break;
    probe.push(values[at]);
  }
  return probe.length > 0 ? probe : undefined;
}

/** Every combination of one value per field, in index order. */
function* combinationsOf(prefix: readonly ScalarJson[][]): Generator<ScalarJson[]> {
  if (prefix.length === 0) {
    yield [];
    return;
  }
  const [first, ...rest] = prefix as [ScalarJson[], ...ScalarJson[][]];
  for (const value of first) for (const tail of combinationsOf(rest)) yield [value, ...tail];
}

function candidate(index: string, segments: readonly Segment[], order: CandidateOrder, reverse: boolean): Candidate {
  let size = 0;
  for (const segment of segments) size += segment.to - segment.from;
  return {
    index,
    size,
    order,
    segments: segments.length,
    open: () => {
      const cursors = segments.map(({ list, from, to }) => (reverse ? list.reverseCursor(from, to) : list.cursor(from, to)));
      const next = order === 'creation' && cursors.length > 1 ? mergeBySeq(cursors) : concatenate(cursors);
      return { [Symbol.iterator]: () => ({ next: () => { const value = next(); return value === undefined ? { done: true, value } : { done: false, value }; } }) };
    },
  };
}

function concatenate(cursors: readonly ListCursor<Entry>[]): () => Entry | undefined {
  let at = 0;
  return () => {
    while (at < cursors.length) {
      const entry = (cursors[at] as ListCursor<Entry>).next();
      if (entry !== undefined) return entry;
      at++;
    }
    return undefined;
  };
}

/** Runs in creation order, merged into one (a binary heap on each run's next entry). */
function mergeBySeq(cursors: readonly ListCursor<Entry>[]): () => Entry | undefined {
  const heap: { entry: Entry; cursor: ListCursor<Entry> }[] = [];
  const less = (a: number, b: number) => (heap[a] as (typeof heap)[number]).entry.seq < (heap[b] as (typeof heap)[number]).entry.seq;
  const swap = (a: number, b: number) => ([heap[a], heap[b]] = [heap[b] as (typeof heap)[number], heap[a] as (typeof heap)[number]]);
  const down = (i: number) => {
    for (;;) {
      let smallest = i;
      for (const child of [2 * i + 1, 2 * i + 2]) if (child < heap.length && less(child, smallest)) smallest = child;
      if (smallest === i) return;
      swap(i, smallest);
      i = smallest;
    }
  };
  for (const cursor of cursors) {
    const entry = cursor.next();
    if (entry !== undefined) heap.push({ entry, cursor });
  }
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  return () => {
    const top = heap[0];
    if (top === undefined) return undefined;
    const entry = top.entry;
    const following = top.cursor.next();
    if (following !== undefined) top.entry = following;
    else {
      const last = heap.pop() as (typeof heap)[number];
      if (heap.length === 0) return entry;
      heap[0] = last;
    }
    down(0);
    return entry;
  };
}
