/**
 * Helpers of batch writes (many records in one request): storing prepared
 * records through a datasource with or without its own `createMany`, and running
 * model hooks for many items with a bounded number in flight.
 */
import type { CreateOutcome, Datasource } from './datasource.js';
import type { StoredRecord } from './model-spec.js';

/**
 * Model hooks (factory, validate, onUpdate…) running at once for one batch. A
 * remote isolated in a worker refuses calls beyond its queue (REMOTE_MAX_QUEUE,
 * 1,000 by default), so one batch must not fill that queue by itself.
 */
export const HOOKS_IN_FLIGHT = 32;

/**
 * Stores `records` (distinct ids) through the datasource's own `createMany`, or
 * else a `create` each, all issued at once: the contract already makes
 * concurrent creates safe, and a datasource that batches its writes (the file
 * datasource's group commit, the cluster's channel) then batches these too.
 * A `createMany` that rejects as a whole fails every record with its reason.
 */
export async function createEach(datasource: Datasource, records: readonly StoredRecord[]): Promise<CreateOutcome[]> {
  if (records.length === 0) return [];
  if (datasource.createMany) {
    try {
      return await datasource.createMany(records);
    } catch (reason) {
      return records.map(() => ({ status: 'rejected', reason }));
    }
  }
  return Promise.allSettled(records.map((record) => datasource.create(record)));
}

/**
 * Runs `task` on every item, at most `limit` at a time, in order of index;
 * resolves with each outcome at its item's index (never rejects).
 */
export async function settleBounded<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => R | Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const outcomes: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        outcomes[index] = { status: 'fulfilled', value: await task(items[index] as T, index) };
      } catch (reason) {
        outcomes[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return outcomes;
}
