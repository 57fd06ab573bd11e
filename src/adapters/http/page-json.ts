/**
 * The JSON text of a list answer, put together from the texts the datasource
 * keeps for its records (`Page.recordsJson`) instead of serialising every
 * record again: a page of 20 records is most of a list answer's cost.
 */

/**
 * The text `JSON.stringify({ data: records, ...rest })` would give, where
 * `texts` are the records' JSON texts, in order.
 */
export function pageJsonText(texts: readonly string[], rest: Record<string, unknown>): string {
  let text = `{"data":[${texts.join(',')}]`;
  for (const key of Object.keys(rest)) {
    const value = JSON.stringify(rest[key]);
    // JSON.stringify leaves out keys whose value it cannot represent.
    if (value !== undefined) text += `,${JSON.stringify(key)}:${value}`;
  }
  return `${text}}`;
}
