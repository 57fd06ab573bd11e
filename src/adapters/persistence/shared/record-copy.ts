/**
 * Turning a caller's record into the plain JSON a datasource keeps. Every
 * datasource goes through here, so they all drop `undefined` fields and convert
 * values with `toJSON` (dates) the same way, and none keeps a caller's object.
 */
import { validationError } from '../../../domain/errors.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { toPlainJsonNoting } from './json-order.js';

/** A record detached from the caller, and its JSON text (which the file log reuses). */
export interface NormalizedRecord {
  record: StoredRecord;
  json: string;
  /**
   * The caller's object already is exactly `record` (plain data, nothing
   * dropped or converted): a datasource may hand the input back as the caller's
   * copy of what it stored, instead of cloning `record`.
   */
  inputIsPlain: boolean;
}

/**
 * Copies a record through JSON.
 * @throws MicrolibError `MLB_ERR_VALIDATION` (field `id`) when the record has no string id.
 */
export function normalizeRecord(input: StoredRecord): NormalizedRecord {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw validationError('A record must be a JSON object');
  }
  if (typeof input.id !== 'string' || input.id.length === 0) {
    throw validationError('A record needs a non-empty string id', 'id');
  }
  // One copying pass plus one stringify: cheaper than a stringify/parse round trip, same result.
  const { json: record, alreadyPlain } = toPlainJsonNoting(input);
  return { record: record as StoredRecord, json: JSON.stringify(record), inputIsPlain: alreadyPlain };
}
