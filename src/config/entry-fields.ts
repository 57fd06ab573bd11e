/**
 * Reading the fields of one `remoteEntries.js` entry: every refusal names where
 * in the file it is, so the host's start-up error points at the line to fix.
 */

/** A refused `remoteEntries.js`: `where` names the entry (`entry 0 (orders)`) or the export. */
export class RemoteEntriesError extends Error {
  constructor(where: string, message: string) {
    super(`remoteEntries ${where}: ${message}`);
    this.name = 'RemoteEntriesError';
  }
}

/** One entry (or its nested `source` object) as written, before any check. */
export type EntryFields = Record<string, unknown>;

/** The string field `key`; an absent, null or empty one is refused when `required`, else undefined. */
export function stringField(fields: EntryFields, key: string, where: string, required = true): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null || value === '') {
    if (required) throw new RemoteEntriesError(where, `"${key}" is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new RemoteEntriesError(where, `"${key}" must be a string`);
  return value;
}
