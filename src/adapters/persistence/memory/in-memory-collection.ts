/**
 * The in-memory record store and query engine every in-process datasource
 * shares: the memory datasource is just this, and the file datasource keeps
 * this in front of its log, so both answer reads at exactly the same cost.
 */
import type { ListQuery, Page } from '../../../domain/datasource.js';
import { badQueryError } from '../../../domain/errors.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { cloneJson, compareJson, jsonEquals, type FieldValue } from '../shared/json-order.js';
import { checkConditions, conditionsMatcher } from '../shared/list-conditions.js';
import { decodeCursor, encodeCursor } from '../shared/list-cursor.js';
import { SmallestK } from './smallest-k.js';

/** A stored record and its creation sequence number (the "creation order" sort key). */
export interface CollectionEntry {
  readonly record: StoredRecord;
  readonly seq: number;
}

type FieldReader = (record: StoredRecord) => FieldValue;

/**
 * Reads one field of records without reaching into the prototype (a record may
 * lack `constructor` or `__proto__`). Plain property access is several times
 * faster than `Object.hasOwn`, and safe for every name Object.prototype lacks.
 */
function fieldReader(field: string): FieldReader {
  if (!(field in Object.prototype)) return (record) => record[field];
  return (record) => (Object.hasOwn(record, field) ? record[field] : undefined);
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Records keyed by id. The map's iteration order is kept equal to creation
 * order (ascending `seq`), so creation-order pages need no sort at all.
 *
 * The collection owns the objects it is given and never hands them out: every
 * read returns a copy.
 */
export class InMemoryCollection {
  private readonly entries = new Map<string, CollectionEntry>();
  private nextSeq = 1;

  /** Number of stored records. */
  get size(): number {
    return this.entries.size;
  }

  /** The stored record itself, for checks inside the datasource; callers must not modify or leak it. */
  peek(id: string): StoredRecord | undefined {
    return this.entries.get(id)?.record;
  }

  /** The stored entry itself (record and creation sequence), for checks inside the datasource; never hand it out. */
  peekEntry(id: string): CollectionEntry | undefined {
    return this.entries.get(id);
  }

  /** A copy of the stored record. */
  get(id: string): StoredRecord | undefined {
    const entry = this.entries.get(id);
    return entry ? cloneJson(entry.record) : undefined;
  }

  /** Reserves the creation sequence number of the next new record. */
  allocateSeq(): number {
    return this.nextSeq++;
  }

  /** Sequence numbers up to `seq` were given before (records since deleted may have held them): new records get higher ones. */
  advanceSeq(seq: number): void {
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
  }

  /** Adds a new record (the caller has checked the id is free), taking ownership of it. */
  insert(record: StoredRecord, seq: number): void {
    this.entries.set(record.id, { record, seq });
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
  }

  /** Replaces an existing record, keeping its place in creation order. Returns false when the id is unknown. */
  replace(record: StoredRecord): boolean {
    const entry = this.entries.get(record.id);
    if (!entry) return false;
    // Map.set on an existing key keeps the key's position, hence creation order.
    this.entries.set(record.id, { record, seq: entry.seq });
    return true;
  }

  /** Removes a record and returns it (now owned by the caller), or undefined. */
  remove(id: string): StoredRecord | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    return entry.record;
  }

  /**
   * Upsert used while replaying a log, where a record's first surviving line
   * may be a replace. Call {@link finishRestore} once replay is done.
   */
  restore(record: StoredRecord, seq: number): void {
    const entry = this.entries.get(record.id);
    if (entry && entry.seq === seq) this.entries.set(record.id, { record, seq });
    else {
      this.entries.delete(record.id);
      this.insert(record, seq);
    }
  }

  /** Re-establishes creation order of the map if a replay inserted records out of sequence. */
  finishRestore(): void {
    let previous = 0;
    let ordered = true;
    for (const entry of this.entries.values()) {
      if (entry.seq <= previous) {
        ordered = false;
        break;
      }
      previous = entry.seq;
    }
    if (ordered) return;
    const sorted = [...this.entries.values()].sort((a, b) => a.seq - b.seq);
    this.entries.clear();
    for (const entry of sorted) this.entries.set(entry.record.id, entry);
  }

  /** Every entry in creation order (the stored objects: read-only use, e.g. writing a snapshot). */
  inCreationOrder(): IterableIterator<CollectionEntry> {
    return this.entries.values();
  }

  /**
   * Answers a list query: equality filter and conditions, sort (ties by id), offset or cursor,
   * optional count.
   * @throws MicrolibError `MLB_ERR_BAD_QUERY` for a bad limit, offset, sort or cursor.
   */
  list(query: ListQuery): Page {
    checkQuery(query);
    const matches = compileFilter(query);
    return query.sort.length === 0 ? this.listInCreationOrder(query, matches) : this.listSorted(query, matches);
  }

  /** Creation order is the map's order: walk it and stop as soon as the page is known to be full. */
  private listInCreationOrder(query: ListQuery, matches: (record: StoredRecord) => boolean): Page {
    let afterSeq = 0;
    if (query.cursor !== undefined) {
      const position = decodeCursor(query.cursor, query.sort, 1);
      const seq = position.values[0];
      if (typeof seq !== 'number') throw badQueryError('The cursor is malformed or does not belong to this query', 'cursor');
      afterSeq = seq;
    }
    let toSkip = query.cursor === undefined ? query.offset : 0;
    const page: CollectionEntry[] = [];
    let more = false;
    let total = 0;
    for (const entry of this.entries.values()) {
      if (!matches(entry.record)) continue;
      total++;
      if (entry.seq <= afterSeq) continue;
      if (toSkip > 0) {
        toSkip--;
      } else if (page.length < query.limit) {
        page.push(entry);
      } else {
        more = true;
        if (!query.count) break;
      }
    }
    const last = page[page.length - 1];
    return buildPage(page, query.count ? total : undefined, more && last ? encodeCursor(query.sort, [last.seq], last.record.id) : undefined);
  }

  private listSorted(query: ListQuery, matches: (record: StoredRecord) => boolean): Page {
    const sort = query.sort;
    const keys = sort.map((key) => ({ read: fieldReader(key.field), direction: key.direction }));
    const compare = (a: CollectionEntry, b: CollectionEntry): number => {
      for (const key of keys) {
        const order = compareJson(key.read(a.record), key.read(b.record));
        if (order !== 0) return key.direction * order;
      }
      return compareIds(a.record.id, b.record.id);
    };
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, sort, sort.length);
    const isAfterCursor = (record: StoredRecord): boolean => {
      if (!after) return true;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as (typeof keys)[number];
        const order = compareJson(key.read(record), after.values[i]);
        if (order !== 0) return key.direction * order > 0;
      }
      return compareIds(record.id, after.id) > 0;
    };
    const skip = after ? 0 : query.offset;
    // One extra record tells whether another page follows.
    const selection = new SmallestK<CollectionEntry>(skip + query.limit + 1, compare);
    let total = 0;
    for (const entry of this.entries.values()) {
      if (!matches(entry.record)) continue;
      total++;
      if (!isAfterCursor(entry.record)) continue;
      selection.offer(entry);
    }
    const selected = selection.sorted();
    const page = selected.slice(skip, skip + query.limit);
    const more = selected.length > skip + query.limit;
    const last = page[page.length - 1];
    const nextCursor =
      more && last
        ? encodeCursor(
            sort,
            keys.map((key) => key.read(last.record)),
            last.record.id,
          )
        : undefined;
    return buildPage(page, query.count ? total : undefined, nextCursor);
  }
}

function compileFilter(query: ListQuery): (record: StoredRecord) => boolean {
  const conditions = Object.entries(query.filter).map(([field, expected]) => ({ read: fieldReader(field), expected }));
  const more = conditionsMatcher(query, fieldReader);
  if (conditions.length === 0) return more ?? (() => true);
  return (record) => {
    for (const { read, expected } of conditions) {
      const actual = read(record);
      // null in a filter also matches a record that lacks the field.
      if (expected === null ? actual !== undefined && actual !== null : !jsonEquals(actual, expected)) return false;
    }
    return more === undefined || more(record);
  };
}

function checkQuery(query: ListQuery): void {
  if (!Number.isSafeInteger(query.limit) || query.limit < 1) throw badQueryError('limit must be an integer of at least 1', 'limit');
  if (query.cursor === undefined && (!Number.isSafeInteger(query.offset) || query.offset < 0)) {
    throw badQueryError('offset must be a non-negative integer', 'offset');
  }
  if (typeof query.filter !== 'object' || query.filter === null) throw badQueryError('filter must be an object', 'filter');
  checkConditions(query);
  for (const key of query.sort) {
    if (typeof key.field !== 'string' || (key.direction !== 1 && key.direction !== -1)) {
      throw badQueryError('sort keys need a field name and a direction of 1 or -1', 'sort');
    }
  }
}

function buildPage(entries: readonly CollectionEntry[], total: number | undefined, nextCursor: string | undefined): Page {
  const page: Page = { records: entries.map((entry) => cloneJson(entry.record)) };
  if (total !== undefined) page.total = total;
  if (nextCursor !== undefined) page.nextCursor = nextCursor;
  return page;
}
