/**
 * Opaque page cursors. A cursor names the last record of a page by its sort
 * values and id (never by position), so a page resumes at the right record even
 * when records were created or deleted between requests.
 */
import type { SortKey } from '../../../domain/datasource.js';
import { badQueryError } from '../../../domain/errors.js';
import type { Json } from '../../../domain/model-spec.js';
import type { FieldValue } from './json-order.js';

/** Where the previous page ended: its last record's sort values and id. */
export interface CursorPosition {
  values: Json[];
  id: string;
}

/** Wire shape: the sort it was made for, the sort values, the id. */
interface CursorPayload {
  k: [string, 1 | -1][];
  v: Json[];
  i: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function sortSignature(sort: readonly SortKey[]): [string, 1 | -1][] {
  return sort.map((key) => [key.field, key.direction]);
}

/** Builds the cursor that resumes after a record with these sort values and id. */
export function encodeCursor(sort: readonly SortKey[], values: readonly FieldValue[], id: string): string {
  // Pages in creation order (every plain `?limit=` page) skip building the payload: the same text, made directly.
  if (sort.length === 0 && values.length === 1 && typeof values[0] === 'number') {
    return Buffer.from(`{"k":[],"v":[${JSON.stringify(values[0])}],"i":${JSON.stringify(id)}}`, 'utf8').toString('base64url');
  }
  // A missing field sorts like null, so null stands for it in the cursor.
  const payload: CursorPayload = { k: sortSignature(sort), v: values.map((value) => value ?? null), i: id };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/**
 * Reads a cursor made by {@link encodeCursor} for the same sort.
 * @throws MicrolibError `MLB_ERR_BAD_QUERY` (field `cursor`) when it is malformed or made for another sort.
 */
export function decodeCursor(cursor: string, sort: readonly SortKey[], valueCount: number): CursorPosition {
  const malformed = () => badQueryError('The cursor is malformed or does not belong to this query', 'cursor');
  if (typeof cursor !== 'string' || !BASE64URL.test(cursor)) throw malformed();
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw malformed();
  const { k, v, i } = payload as Partial<CursorPayload>;
  if (typeof i !== 'string' || !Array.isArray(v) || v.length !== valueCount) throw malformed();
  if (JSON.stringify(k) !== JSON.stringify(sortSignature(sort))) throw malformed();
  return { values: v, id: i };
}
