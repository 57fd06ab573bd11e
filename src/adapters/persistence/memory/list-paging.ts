/**
 * Cutting one page out of a stream of candidate entries: the collection's scan
 * or an index walk gives the candidates, these functions test them against the
 * query and keep the page, the count and whether more follow.
 */
import type { StoredRecord } from '../../../domain/model-spec.js';
import { compareIds, type Entry } from './collection-entry.js';
import { SmallestK } from './smallest-k.js';

/** What a page needs besides its candidates. */
export interface PageRequest {
  matches: (record: StoredRecord) => boolean;
  /** False for a matching entry at or before the cursor (counted, never listed). */
  isAfter: ((entry: Entry) => boolean) | undefined;
  skip: number;
  limit: number;
  /** Count every match (else stop once the page and one more match are found). */
  count: boolean;
}

export interface PageCut {
  page: Entry[];
  /** Matches seen: all of them when the request counts. */
  total: number;
  more: boolean;
  /** Candidates tested, for diagnostics and tests. */
  examined: number;
}

/**
 * Pages candidates that come in the query's order, except that entries with
 * equal sort values (`sameSortValues`) may come in any order among themselves:
 * those are put in id order here. Stops early unless counting.
 */
export function pageInOrder(candidates: Iterable<Entry>, request: PageRequest, sameSortValues?: (a: Entry, b: Entry) => boolean): PageCut {
  const { matches, isAfter, limit, count } = request;
  let toSkip = request.skip;
  const page: Entry[] = [];
  let total = 0;
  let examined = 0;
  let more = false;
  /** Takes one match in order; false once the page is known to be complete. */
  const take = (entry: Entry): boolean => {
    total++;
    if (isAfter !== undefined && !isAfter(entry)) return true;
    if (toSkip > 0) {
      toSkip--;
      return true;
    }
    if (page.length < limit) {
      page.push(entry);
      return true;
    }
    more = true;
    return count;
  };
  if (sameSortValues === undefined) {
    // The common case (creation order), kept to one plain loop.
    for (const entry of candidates) {
      examined++;
      if (!matches(entry.record)) continue;
      if (!take(entry)) break;
    }
    return { page, total, more, examined };
  }
  let group: Entry[] = [];
  const flush = (): boolean => {
    if (group.length > 1) group.sort((a, b) => compareIds(a.record.id, b.record.id));
    for (const entry of group) if (!take(entry)) return false;
    group = [];
    return true;
  };
  for (const entry of candidates) {
    examined++;
    if (!matches(entry.record)) continue;
    if (group.length > 0 && !sameSortValues(group[0] as Entry, entry) && !flush()) return { page, total, more, examined };
    if (group.length === 0 && !count && toSkip === 0 && page.length === limit) {
      // A full page, its last group complete: any later match sorts after it, so more follow.
      return { page, total, more: true, examined };
    }
    group.push(entry);
  }
  flush();
  return { page, total, more, examined };
}

/** Pages candidates that come in any order: keeps the first `skip + limit + 1` matches by `compare` (a total order). */
export function pageAnyOrder(candidates: Iterable<Entry>, request: PageRequest, compare: (a: Entry, b: Entry) => number): PageCut {
  const { matches, isAfter, skip, limit } = request;
  // One extra entry tells whether another page follows.
  const selection = new SmallestK<Entry>(skip + limit + 1, compare);
  let total = 0;
  let examined = 0;
  for (const entry of candidates) {
    examined++;
    if (!matches(entry.record)) continue;
    total++;
    if (isAfter !== undefined && !isAfter(entry)) continue;
    selection.offer(entry);
  }
  const selected = selection.sorted();
  return { page: selected.slice(skip, skip + limit), total, more: selected.length > skip + limit, examined };
}
