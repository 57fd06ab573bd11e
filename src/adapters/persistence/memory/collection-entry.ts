/** What the in-memory collection keeps per record, and how it reads a record's fields. */
import type { StoredRecord } from '../../../domain/model-spec.js';
import type { FieldValue } from '../shared/json-order.js';

/** A stored record and its creation sequence number (the "creation order" sort key). */
export interface CollectionEntry {
  readonly record: StoredRecord;
  readonly seq: number;
}

/**
 * The collection's own view of an entry: a replace swaps `record` in place, so
 * the indexes holding the entry stay valid unless an indexed value changed.
 */
export interface Entry {
  record: StoredRecord;
  readonly seq: number;
  /**
   * The creation-order cursor that resumes after this entry, kept once a page
   * ended here: it depends only on `seq` and the id, which never change, and
   * the same pages are asked for again and again.
   */
  creationCursor: string | undefined;
}

export type FieldReader = (record: StoredRecord) => FieldValue;

/**
 * Reads one field of records without reaching into the prototype (a record may
 * lack `constructor` or `__proto__`). Plain property access is several times
 * faster than `Object.hasOwn`, and safe for every name Object.prototype lacks.
 */
export function fieldReader(field: string): FieldReader {
  if (!(field in Object.prototype)) return (record) => record[field];
  return (record) => (Object.hasOwn(record, field) ? record[field] : undefined);
}

/** Creation order. */
export const bySeq = (a: Entry, b: Entry): number => a.seq - b.seq;

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
