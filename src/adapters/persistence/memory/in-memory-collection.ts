/**
 * The in-memory record store and query engine every in-process datasource
 * shares: the memory datasource is just this, and the file datasource keeps
 * this in front of its log, so both answer reads at exactly the same cost.
 */
import type { ListQuery, Page } from '../../../domain/datasource.js';
import { badQueryError } from '../../../domain/errors.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { cloneJson, compareJson, jsonEquals } from '../shared/json-order.js';
import { checkConditions, conditionsMatcher } from '../shared/list-conditions.js';
import { decodeCursor, encodeCursor } from '../shared/list-cursor.js';
import { jsonOf, withJson } from '../../../domain/record-json.js';
import { bySeq, compareIds, fieldReader, type CollectionEntry, type Entry, type FieldReader } from './collection-entry.js';
import type { IndexDeclaration } from './index-declarations.js';
import { pageAnyOrder, pageInOrder, type PageCut, type PageRequest } from './list-paging.js';
import { chooseIndexPlan, type CandidateOrder, type PlanCursor } from './query-planner.js';
import { createIndex, type HashIndex, type SortedIndex } from './record-indexes.js';

export type { CollectionEntry } from './collection-entry.js';

/**
 * Records keyed by id. The map's iteration order is kept equal to creation
 * order (ascending `seq`), so creation-order pages need no sort at all.
 *
 * Declared indexes (index-declarations.ts) are kept up to date on every write;
 * a list query walks one of them instead of every record when the planner
 * (query-planner.ts) finds that cheaper, with the same answer either way.
 *
 * The collection owns the objects it is given and never hands them out: every
 * read returns a copy.
 */
export class InMemoryCollection {
  private readonly entries = new Map<string, Entry>();
  private readonly indexes: (SortedIndex | HashIndex)[];
  private nextSeq = 1;
  /** While true (a log replay), writes leave the indexes alone; they are rebuilt once, before the next read that needs them. */
  private indexesStale = false;
  private examinedCount = 0;

  constructor(indexes: readonly IndexDeclaration[] = []) {
    this.indexes = indexes.map(createIndex);
  }

  /** Number of stored records. */
  get size(): number {
    return this.entries.size;
  }

  /** Records list queries have tested since the collection was made: a diagnostic showing whether indexes spare the scans. */
  get examined(): number {
    return this.examinedCount;
  }

  /** The stored record itself, for checks inside the datasource; callers must not modify or leak it. */
  peek(id: string): StoredRecord | undefined {
    return this.entries.get(id)?.record;
  }

  /** The stored entry itself (record and creation sequence), for checks inside the datasource; never hand it out. */
  peekEntry(id: string): CollectionEntry | undefined {
    return this.entries.get(id);
  }

  /**
   * A copy of the stored record, carrying its JSON text; with `readOnly`, the
   * stored record itself, for a caller that never changes it (ReadOptions).
   */
  get(id: string, readOnly = false): StoredRecord | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (!readOnly) return copyOut(entry.record);
    textOf(entry.record);
    return entry.record;
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
    const entry: Entry = { record, seq, creationCursor: undefined };
    this.entries.set(record.id, entry);
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
    if (!this.indexesStale) for (const index of this.indexes) index.add(entry);
  }

  /** Replaces an existing record, keeping its place in creation order. Returns false when the id is unknown. */
  replace(record: StoredRecord): boolean {
    const entry = this.entries.get(record.id);
    if (!entry) return false;
    this.swapRecord(entry, record);
    return true;
  }

  /** Removes a record and returns it (now owned by the caller), or undefined. */
  remove(id: string): StoredRecord | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (!this.indexesStale) for (const index of this.indexes) index.remove(entry);
    return entry.record;
  }

  /**
   * Upsert used while replaying a log, where a record's first surviving line
   * may be a replace. Call {@link finishRestore} once replay is done.
   */
  restore(record: StoredRecord, seq: number): void {
    const entry = this.entries.get(record.id);
    if (entry && entry.seq === seq) this.swapRecord(entry, record);
    else {
      if (entry) this.remove(record.id);
      this.insert(record, seq);
    }
  }

  /**
   * Stops maintaining the indexes until {@link finishRestore}: a log replay
   * writes each record about as many times as it changed, and one rebuild at
   * the end is cheaper than following every write.
   */
  deferIndexes(): void {
    if (this.indexes.length > 0) this.indexesStale = true;
  }

  /** Re-establishes creation order of the map if a replay inserted records out of sequence, and rebuilds deferred indexes. */
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
    if (!ordered) {
      const sorted = [...this.entries.values()].sort(bySeq);
      this.entries.clear();
      for (const entry of sorted) this.entries.set(entry.record.id, entry);
    }
    this.rebuildIndexesIfStale();
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
    this.rebuildIndexesIfStale();
    const sort = query.sort;
    const keys = sort.map((key) => ({ read: fieldReader(key.field), direction: key.direction }));
    const cursor = readCursor(query);
    const request: PageRequest = {
      matches: compileFilter(query),
      isAfter: afterCursor(cursor, keys),
      skip: query.cursor === undefined ? query.offset : 0,
      limit: query.limit,
      count: query.count,
    };
    const plan = this.indexes.length > 0 ? chooseIndexPlan(this.indexes, query, this.entries.size, cursor) : undefined;
    let candidates: Iterable<Entry>;
    let order: CandidateOrder;
    if (plan) {
      candidates = plan.open();
      order = plan.order;
    } else {
      candidates = this.entries.values();
      order = sort.length === 0 ? 'creation' : 'none';
    }
    const compareSortValues = (a: Entry, b: Entry): number => {
      for (const key of keys) {
        const order = compareJson(key.read(a.record), key.read(b.record));
        if (order !== 0) return key.direction * order;
      }
      return 0;
    };
    let cut: PageCut;
    if (order === 'none') {
      cut = pageAnyOrder(candidates, request, sort.length === 0 ? bySeq : (a, b) => compareSortValues(a, b) || compareIds(a.record.id, b.record.id));
    } else {
      cut = pageInOrder(candidates, request, order === 'sort' ? (a, b) => compareSortValues(a, b) === 0 : undefined);
    }
    this.examinedCount += cut.examined;
    const last = cut.page[cut.page.length - 1];
    let nextCursor: string | undefined;
    if (cut.more && last) {
      nextCursor = sort.length === 0 ? (last.creationCursor ??= encodeCursor(sort, [last.seq], last.record.id)) : encodeCursor(sort, keys.map((key) => key.read(last.record)), last.record.id);
    }
    return buildPage(cut.page, query.count ? cut.total : undefined, nextCursor);
  }

  /** Puts `record` in the entry, moving the entry in the indexes whose values changed. */
  private swapRecord(entry: Entry, record: StoredRecord): void {
    if (this.indexesStale || this.indexes.length === 0) {
      entry.record = record;
      return;
    }
    const moved = this.indexes.filter((index) => index.moves(entry.record, record));
    for (const index of moved) index.remove(entry);
    entry.record = record;
    for (const index of moved) index.add(entry);
  }

  private rebuildIndexesIfStale(): void {
    if (!this.indexesStale) return;
    const all = [...this.entries.values()];
    for (const index of this.indexes) index.rebuild(all);
    this.indexesStale = false;
  }
}

type SortReader = { read: FieldReader; direction: 1 | -1 };

/** Where the cursor says the page starts. */
function readCursor(query: ListQuery): PlanCursor {
  if (query.cursor === undefined) return {};
  if (query.sort.length === 0) {
    const seq = decodeCursor(query.cursor, query.sort, 1).values[0];
    if (typeof seq !== 'number') throw badQueryError('The cursor is malformed or does not belong to this query', 'cursor');
    return { afterSeq: seq };
  }
  const position = decodeCursor(query.cursor, query.sort, query.sort.length);
  return { afterValues: position.values, afterId: position.id };
}

/** The test "comes after the cursor" in the query's order, or undefined without a cursor. */
function afterCursor(cursor: PlanCursor, keys: readonly SortReader[]): ((entry: Entry) => boolean) | undefined {
  const { afterSeq, afterValues, afterId } = cursor;
  if (afterSeq !== undefined) return (entry) => entry.seq > afterSeq;
  if (afterValues === undefined || afterId === undefined) return undefined;
  return (entry) => {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as SortReader;
      const order = compareJson(key.read(entry.record), afterValues[i]);
      if (order !== 0) return key.direction * order > 0;
    }
    return compareIds(entry.record.id, afterId) > 0;
  };
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

/**
 * The JSON text of a stored record, made on its first read and kept on it
 * (record-json.ts): only records that are read pay its memory. Stored records
 * are never changed in place (a write swaps the object), so the text stays true.
 */
function textOf(record: StoredRecord): string {
  let json = jsonOf(record);
  if (json === undefined) {
    json = JSON.stringify(record);
    withJson(record, json);
  }
  return json;
}

/** A copy of a stored record for a reader, carrying its JSON text, so an answer sends it without serialising it again. */
function copyOut(record: StoredRecord): StoredRecord {
  return withJson(cloneJson(record), textOf(record));
}

/** Where a page keeps its stored records and, once read, their copies (not enumerable: never sent or spread). */
const PAGE_STATE = Symbol('microlib.pageState');
interface PageState {
  readonly stored: StoredRecord[];
  copies: StoredRecord[] | undefined;
}
type LazyPage = Page & { [PAGE_STATE]: PageState };

/**
 * `records` of a page: an own enumerable accessor, so spreading, JSON or
 * structured cloning the page still carries the records. Its two functions are
 * shared by every page; an object literal with `get`/`set` would make two
 * closures and a slow accessor definition per page (a third of a page's cost).
 */
const RECORDS_PROPERTY: PropertyDescriptor = {
  get(this: LazyPage): StoredRecord[] {
    const state = this[PAGE_STATE];
    return (state.copies ??= state.stored.map((record) => cloneJson(record)));
  },
  set(this: LazyPage, value: StoredRecord[]) {
    this[PAGE_STATE].copies = value;
  },
  enumerable: true,
  configurable: true,
};

/**
 * A page whose records are copied only when read: a JSON answer needs only
 * their texts (`recordsJson`).
 */
function buildPage(entries: readonly CollectionEntry[], total: number | undefined, nextCursor: string | undefined): Page {
  const stored = new Array<StoredRecord>(entries.length);
  const texts = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const record = (entries[i] as CollectionEntry).record;
    stored[i] = record;
    texts[i] = textOf(record);
  }
  const page = { recordsJson: texts } as unknown as Page;
  Object.defineProperty(page, 'records', RECORDS_PROPERTY);
  Object.defineProperty(page, PAGE_STATE, { value: { stored, copies: undefined } satisfies PageState });
  if (total !== undefined) page.total = total;
  if (nextCursor !== undefined) page.nextCursor = nextCursor;
  return page;
}
