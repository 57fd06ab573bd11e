/**
 * Writing records again under the current field key while keys rotate. Each
 * record is read fresh and replaced on condition that its revision is still the
 * one read, so a client's concurrent write is never overwritten: it wins, and it
 * used the current key already (every write re-encrypts a previous key's value).
 * The revision and `updatedAt` stay as they were: the record's content does not
 * change, so a client's If-Match stays valid.
 */
import type { Datasource, ListQuery } from './datasource.js';
import { MicrolibError } from './errors.js';
import type { FieldProtection } from './field-protection.js';

/** What became of one record: written again, current already, changed meanwhile (by a write under the current key), or deleted. */
export type ReencryptOutcome = 'reencrypted' | 'current' | 'changed' | 'gone';

/** Reads before giving up on a record that keeps changing under old-key writers (another host not restarted yet). */
const ATTEMPTS = 3;

/**
 * Re-encrypts one record. Rejects with an `MLB_ERR_INTERNAL` MicrolibError
 * naming the field when no key opens one of its values, and with the
 * datasource's own errors (e.g. `MLB_ERR_UNAVAILABLE`).
 */
export async function reencryptRecord(datasource: Datasource, protection: FieldProtection, id: string): Promise<ReencryptOutcome> {
  for (let attempt = 1; ; attempt++) {
    const stored = await datasource.get(id);
    if (!stored) return 'gone';
    const next = protection.reencrypt(stored);
    if (!next) return attempt === 1 ? 'current' : 'changed';
    try {
      await datasource.replace(next, stored.revision);
      return 'reencrypted';
    } catch (error) {
      if (!(error instanceof MicrolibError)) throw error;
      if (error.code === 'MLB_ERR_NOT_FOUND') return 'gone';
      if (error.code !== 'MLB_ERR_CONFLICT') throw error;
      if (attempt >= ATTEMPTS) return 'changed';
    }
  }
}

/** Records a lookup query re-encrypts before it runs; beyond, it answers 503 until the background task catches up. */
export const LOOKUP_REENCRYPT_LIMIT = 1000;
const PAGE = 100;

/**
 * While keys rotate, a record not yet re-encrypted carries its lookup hash under
 * the previous key, which a query under the current key would miss. Before such
 * a query runs, this re-encrypts the records the previous key's hash finds, so
 * the query itself finds them all. A record no key opens is left as it is.
 */
export async function reencryptLookupMatches(datasource: Datasource, protection: FieldProtection, query: ListQuery): Promise<void> {
  const previous = protection.previousKeyQuery(query);
  if (!previous) return;
  let cursor: string | undefined;
  for (let pages = 0; pages < LOOKUP_REENCRYPT_LIMIT / PAGE; pages++) {
    const page = await datasource.list({ filter: previous.filter, sort: [], limit: PAGE, offset: 0, count: false, ...(cursor === undefined ? {} : { cursor }) });
    for (const record of page.records) {
      try {
        await reencryptRecord(datasource, protection, record.id);
      } catch (error) {
        if (!(error instanceof MicrolibError && error.code === 'MLB_ERR_INTERNAL')) throw error;
      }
    }
    if (page.nextCursor === undefined) return;
    cursor = page.nextCursor;
  }
  throw new MicrolibError(
    'MLB_ERR_UNAVAILABLE',
    `more than ${LOOKUP_REENCRYPT_LIMIT} records match this filter under the previous encryption key; retry once their re-encryption has progressed`,
  );
}
