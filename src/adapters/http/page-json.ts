/**
 * The JSON text of a list answer, put together from the texts the datasource
 * keeps for its records (`Page.recordsJson`) instead of serialising every
 * record again: a page of 20 records is most of a list answer's cost.
 */

/** What a list answer says after its records; a figure left undefined is left out, as JSON.stringify would. */
export interface PageFigures {
  limit: number;
  offset?: number | undefined;
  total?: number | undefined;
  nextCursor?: string | undefined;
}

/**
 * The text `JSON.stringify({ data: records, ...figures })` gives, where
 * `texts` are the records' JSON texts, in order. The figures are written
 * directly (they are integers and a string), not looked up and stringified
 * key by key: this runs on every list request.
 */
export function pageJsonText(texts: readonly string[], figures: PageFigures): string {
  let tail = `],"limit":${number(figures.limit)}`;
  if (figures.offset !== undefined) tail += `,"offset":${number(figures.offset)}`;
  if (figures.total !== undefined) tail += `,"total":${number(figures.total)}`;
  if (figures.nextCursor !== undefined) tail += `,"nextCursor":${JSON.stringify(figures.nextCursor)}`;
  tail += '}';
  const count = texts.length;
  if (count === 0) return `{"data":[${tail}`;
  // One join over the whole text gives a flat string: node measures and writes
  // a flat string several times faster than one concatenated around a join.
  const parts = texts.slice();
  parts[0] = `{"data":[${parts[0]}`;
  parts[count - 1] += tail;
  return parts.join(',');
}

/** A number as JSON writes it (`null` for one JSON cannot hold). */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
