/**
 * The in-memory indexes of a collection: a sorted index keeps the entries in
 * the order of its fields (for equality, ranges, prefixes and sorting), a hash
 * index groups them by one field's value (for equality and `$in`). Both hold
 * the collection's entry objects themselves, never copies: an index costs a
 * pointer per record (plus, for a hash index, a map slot per distinct value).
 */
import { instantOf } from '../../../domain/instants.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { compareJson, typeRank, type FieldValue } from '../shared/json-order.js';
import { bySeq, fieldReader, type Entry, type FieldReader } from './collection-entry.js';
import type { IndexDeclaration, IndexField } from './index-declarations.js';
import { SortedList } from './sorted-list.js';

/** One bound of a key range: a value, or "just after every value of this type rank" (see typeRank). */
export type KeyBound = FieldValue | TypeEnd;

/** Sorts after every value whose type rank is at most `rank`, before every other. */
export class TypeEnd {
  constructor(readonly rank: number) {}
}

export function compareToBound(actual: FieldValue, bound: KeyBound): number {
  if (bound instanceof TypeEnd) return typeRank(actual) <= bound.rank ? -1 : 1;
  return compareJson(actual, bound);
}

/** Stored date-time text in the one form whose text order is its time order (what `Date#toISOString` writes). */
export function isCanonicalInstant(text: string, instant: number): boolean {
  return text.length === 24 && new Date(instant).toISOString() === text;
}

/** A date-time a range condition would read as an instant, but whose text does not sort as one. */
function isOddInstant(value: FieldValue): boolean {
  if (typeof value !== 'string' || value.length < 10) return false;
  const instant = instantOf(value);
  return instant !== undefined && !isCanonicalInstant(value, instant);
}

/** What the collection asks of every index. */
export interface RecordIndex {
  readonly declaration: IndexDeclaration;
  /** Adds an entry. */
  add(entry: Entry): void;
  /** Removes an entry while `entry.record` is still the record it was added with. */
  remove(entry: Entry): void;
  /** Whether replacing `before` by `after` moves the entry in this index. */
  moves(before: StoredRecord, after: StoredRecord): boolean;
  /** Indexes `entries` (in creation order) from scratch. */
  rebuild(entries: readonly Entry[]): void;
}

/** Entries in the order of the declared fields and directions, then creation order. */
export class SortedIndex implements RecordIndex {
  readonly fields: readonly IndexField[];
  readonly readers: readonly FieldReader[];
  readonly entries: SortedList<Entry>;
  /** Per field: stored values that read as date-times but do not sort as such (instant ranges cannot use the field while any is stored). */
  private readonly oddInstants: number[];

  constructor(readonly declaration: IndexDeclaration) {
    this.fields = declaration.fields;
    this.readers = declaration.fields.map((f) => fieldReader(f.field));
    this.oddInstants = declaration.fields.map(() => 0);
    const readers = this.readers;
    const directions = declaration.fields.map((f) => f.direction);
    this.entries = new SortedList<Entry>((a, b) => {
      for (let i = 0; i < readers.length; i++) {
        const read = readers[i] as FieldReader;
        const order = compareJson(read(a.record), read(b.record));
        if (order !== 0) return (directions[i] as 1 | -1) * order;
      }
      return a.seq - b.seq;
    });
  }

  add(entry: Entry): void {
    this.entries.add(entry);
    this.countInstants(entry.record, 1);
  }

  remove(entry: Entry): void {
    if (this.entries.delete(entry)) this.countInstants(entry.record, -1);
  }

  moves(before: StoredRecord, after: StoredRecord): boolean {
    // Values equal in compareJson's order (null and missing, say) keep the entry's place; two different strings never are.
    return this.readers.some((read) => {
      const a = read(before);
      const b = read(after);
      return a !== b && compareJson(a, b) !== 0;
    });
  }

  rebuild(entries: readonly Entry[]): void {
    this.oddInstants.fill(0);
    const sorted = [...entries];
    sorted.sort((a, b) => this.compareEntries(a, b));
    this.entries.build(sorted);
    for (const entry of sorted) this.countInstants(entry.record, 1);
  }

  /** Whether a range on date-times (compared as instants) may use field `position`: only while every stored date-time there sorts as text. */
  instantSafe(position: number): boolean {
    return this.oddInstants[position] === 0;
  }

  /**
   * How an entry's key compares with a probe on the first `probe.length`
   * fields, in index order (directions applied); 0 when equal on all of them.
   */
  compareToProbe(entry: Entry, probe: readonly KeyBound[]): number {
    for (let i = 0; i < probe.length; i++) {
      const order = compareToBound((this.readers[i] as FieldReader)(entry.record), probe[i]);
      if (order !== 0) return (this.fields[i] as IndexField).direction * order;
    }
    return 0;
  }

  private compareEntries(a: Entry, b: Entry): number {
    for (let i = 0; i < this.readers.length; i++) {
      const read = this.readers[i] as FieldReader;
      const order = compareJson(read(a.record), read(b.record));
      if (order !== 0) return (this.fields[i] as IndexField).direction * order;
    }
    return a.seq - b.seq;
  }

  private countInstants(record: StoredRecord, delta: 1 | -1): void {
    for (let i = 0; i < this.readers.length; i++) {
      if (isOddInstant((this.readers[i] as FieldReader)(record))) (this.oddInstants[i] as number) += delta;
    }
  }
}

/** A hash key: a scalar (null also standing for a missing field). */
export type HashKey = string | number | boolean | null;

/** The entries holding one value: one entry alone (most values of a field like an email), else a list in creation order. */
type Bucket = Entry | SortedList<Entry>;

/** The key a stored value is found under, or undefined for objects and arrays (which no equality condition matches). */
export function hashKeyOf(value: FieldValue): HashKey | undefined {
  if (value === undefined || value === null) return null;
  return typeof value === 'object' ? undefined : value;
}

/** Entries grouped by the value of one field, each group in creation order. */
export class HashIndex implements RecordIndex {
  readonly field: string;
  private readonly read: FieldReader;
  private readonly buckets = new Map<HashKey, Bucket>();

  constructor(readonly declaration: IndexDeclaration) {
    this.field = (declaration.fields[0] as IndexField).field;
    this.read = fieldReader(this.field);
  }

  add(entry: Entry): void {
    const key = hashKeyOf(this.read(entry.record));
    if (key === undefined) return;
    const bucket = this.buckets.get(key);
    if (bucket === undefined) {
      this.buckets.set(key, entry);
    } else if (bucket instanceof SortedList) {
      bucket.add(entry);
    } else {
      const list = new SortedList<Entry>(bySeq);
      list.build(bucket.seq < entry.seq ? [bucket, entry] : [entry, bucket]);
      this.buckets.set(key, list);
    }
  }

  remove(entry: Entry): void {
    const key = hashKeyOf(this.read(entry.record));
    if (key === undefined) return;
    const bucket = this.buckets.get(key);
    if (bucket === entry) {
      this.buckets.delete(key);
    } else if (bucket instanceof SortedList && bucket.delete(entry) && bucket.size === 1) {
      this.buckets.set(key, bucket[Symbol.iterator]().next().value as Entry);
    }
  }

  moves(before: StoredRecord, after: StoredRecord): boolean {
    return hashKeyOf(this.read(before)) !== hashKeyOf(this.read(after));
  }

  rebuild(entries: readonly Entry[]): void {
    this.buckets.clear();
    for (const entry of entries) this.add(entry);
  }

  /** The entries stored under `key`, in creation order, as a list (a lone entry gets a list of its own). */
  bucket(key: HashKey): SortedList<Entry> | undefined {
    const bucket = this.buckets.get(key);
    if (bucket === undefined || bucket instanceof SortedList) return bucket;
    const list = new SortedList<Entry>(bySeq);
    list.build([bucket]);
    return list;
  }
}

/** Makes the index a declaration asks for. */
export function createIndex(declaration: IndexDeclaration): SortedIndex | HashIndex {
  return declaration.hashed ? new HashIndex(declaration) : new SortedIndex(declaration);
}
