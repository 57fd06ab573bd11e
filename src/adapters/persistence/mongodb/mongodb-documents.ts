/**
 * How a record is stored as a MongoDB document: `id` becomes `_id`, a hidden
 * creation sequence is added, and the names the datasource keeps for itself are
 * refused in records.
 */
import type { Document } from 'mongodb';
import { validationError } from '../../../domain/errors.js';
import type { StoredRecord } from '../../../domain/model-spec.js';

/**
 * Hidden field holding a record's creation sequence: the "creation order" of
 * unsorted lists. `_id` cannot serve (ids are client-chosen strings) and MongoDB's
 * natural order is neither guaranteed nor usable in a range query.
 */
export const SEQ = '_mlbSeq';
/** Name of the index on (creation sequence, `_id`) that unsorted lists walk. */
export const CREATION_ORDER_INDEX = 'microlib_creation_order';

/** A stored record as the driver sees it: string ids, JSON fields. */
export interface RecordDocument extends Document {
  _id: string;
}

/** Creation sequence: microseconds since the epoch, strictly increasing within the process. */
let lastSeq = 0;
export function nextSeq(): number {
  const now = Date.now() * 1000;
  lastSeq = now > lastSeq ? now : lastSeq + 1;
  return lastSeq;
}

export function checkId(id: unknown): asserts id is string {
  if (typeof id !== 'string') throw validationError('A record id must be a string', 'id');
}

/** `_id` and the sequence field are the datasource's own; `$` names would read as operators in updates. */
export function checkFieldNames(record: StoredRecord): void {
  for (const field of Object.keys(record)) {
    if (field === '_id' || field === SEQ || field.startsWith('$')) {
      throw validationError(`Field "${field}" cannot be stored by the mongodb datasource (reserved name)`, field);
    }
  }
}

/** The document stored for a record: `id` becomes `_id`, everything else is kept as is. */
export function toDocument(record: StoredRecord, seq?: number): RecordDocument {
  const { id, ...fields } = record;
  return seq === undefined ? { _id: id, ...fields } : { _id: id, ...fields, [SEQ]: seq };
}

/** The record a document holds, without `_id` or the sequence field. */
export function toRecord(doc: Document): StoredRecord {
  // A stray `id` field (written by another program) must not override the real id.
  const { _id, [SEQ]: _seq, id: _stray, ...fields } = doc;
  return { id: typeof _id === 'string' ? _id : String(_id), ...fields } as StoredRecord;
}
