/**
 * The `mongodb` datasource: each model's records live in a MongoDB collection,
 * reached through the official driver. Filters, sorting and paging run in the
 * database; a record's `id` is the document's `_id`.
 *
 * Ordering follows MongoDB's BSON order, which the in-process datasources
 * imitate (json-order.ts): missing = null < numbers < strings < objects < arrays
 * < booleans, ties broken by id ascending. Where MongoDB's own rules differ from
 * the imitation they win here: strings compare by code point (UTF-8 bytes), not
 * UTF-16 code unit; an array field sorts by its smallest (ascending) or largest
 * (descending) element; and an object filter value matches only a stored object
 * with its fields in the same order.
 *
 * Every operation tells the shared client's reachability (mongodb-reachability.ts) how it
 * went, which logs an outage once (and its end) through the `logger` option and
 * answers {@link Datasource.reachability}.
 */
import { MongoBulkWriteError, type Collection, type Document, type Filter } from 'mongodb';
import type { CreateOutcome, Datasource, DatasourceOptions, DatasourceReachability, ListQuery, Page } from '../../../domain/datasource.js';
import { conflictError, notFoundError } from '../../../domain/errors.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { withJson } from '../../../domain/record-json.js';
import { DatasourceLifecycle } from '../shared/datasource-lifecycle.js';
import { normalizeRecord } from '../shared/record-copy.js';
import { checkRevision } from '../shared/revision-check.js';
import { acquireClient, connectClient, releaseClient, type SharedClient } from './mongodb-client-pool.js';
import { checkFieldNames, checkId, CREATION_ORDER_INDEX, nextSeq, SEQ, toDocument, toRecord, type RecordDocument } from './mongodb-documents.js';
import { duplicateKeyError, insertItemError, isDuplicateKey, toMicrolibError } from './mongodb-errors.js';
import { cursorAfter, translateListQuery } from './mongodb-query.js';
import { readSettings } from './mongodb-settings.js';

/**
 * Creates a `mongodb` datasource for one collection. Options are checked here,
 * so a bad spec fails when the model loads; the connection is made by `open()`.
 * @throws MicrolibError `MLB_ERR_VALIDATION` naming the bad option.
 */
export function createMongoDatasource(options: DatasourceOptions): Datasource {
  const settings = readSettings(options);
  const collectionName = settings.collectionName;
  const lifecycle = new DatasourceLifecycle(`mongodb datasource "${collectionName}"`);
  /** The model, as outage log lines name it (the registry passes the model name as `collection`). */
  const model = options.collection;
  const logger = typeof options.logger?.warn === 'function' ? options.logger : undefined;
  let shared: SharedClient | undefined;
  /** Outages of the shared client before this datasource joined it: not this datasource's. */
  let outagesBefore = 0;
  let collection: Collection<RecordDocument> | undefined;
  const inFlight = new Set<Promise<unknown>>();
  /** The open() under way, which close() lets finish so the client it acquires is released. */
  let opening: Promise<void> | undefined;

  async function connect(): Promise<void> {
    let acquired: SharedClient | undefined;
    try {
      acquired = acquireClient(settings);
      await connectClient(acquired);
      const target = acquired.client.db(settings.database).collection<RecordDocument>(collectionName, { writeConcern: settings.writeConcern });
      await target.createIndexes([{ key: { [SEQ]: 1, _id: 1 }, name: CREATION_ORDER_INDEX }, ...settings.indexes]);
      shared = acquired;
      collection = target;
      outagesBefore = acquired.reachability.outages - (acquired.reachability.reachable ? 0 : 1);
      acquired.reachability.join(model);
      lifecycle.endOpen(true);
    } catch (error) {
      if (acquired) await releaseClient(acquired).catch(() => undefined);
      lifecycle.endOpen(false);
      throw toMicrolibError(error, settings, `open ${collectionName}`, false);
    }
  }

  /** Runs one operation on the open collection, mapping driver errors, telling reachability how it went and tracking it for close(). */
  async function run<T>(operation: string, write: boolean, body: (target: Collection<RecordDocument>) => Promise<T>): Promise<T> {
    lifecycle.assertOpen();
    const reachability = (shared as SharedClient).reachability;
    const epoch = reachability.current;
    const running = body(collection as Collection<RecordDocument>).then(
      (value) => {
        reachability.succeeded(epoch);
        return value;
      },
      (error: unknown) => {
        reachability.failed(epoch, error, settings.scrub(error instanceof Error ? error.message : String(error)), logger);
        throw toMicrolibError(error, settings, `${operation} in ${collectionName}`, write);
      },
    );
    inFlight.add(running);
    try {
      return await running;
    } finally {
      inFlight.delete(running);
    }
  }

  return {
    kind: 'mongodb',

    async open() {
      lifecycle.beginOpen();
      opening = connect();
      try {
        await opening;
      } finally {
        opening = undefined;
      }
    },

    get(id) {
      return run('read a record', false, async (target) => {
        checkId(id);
        const doc = await target.findOne({ _id: { $eq: id } });
        return doc ? toRecord(doc) : undefined;
      });
    },

    create(input) {
      return run('create a record', true, async (target) => {
        const { record, json } = normalizeRecord(input);
        checkFieldNames(record);
        try {
          await target.insertOne(toDocument(record, nextSeq()));
        } catch (error) {
          if (isDuplicateKey(error)) throw duplicateKeyError(error, collectionName, record.id);
          throw error;
        }
        return withJson(record, json);
      });
    },

    /**
     * One unordered insertMany: the server stores every document it can and
     * reports the others (a duplicate id is a conflict of that record alone).
     * Failing as a whole (server unreachable) rejects: some may have been stored.
     */
    createMany(inputs) {
      return run('create records', true, async (target) => {
        const outcomes: CreateOutcome[] = new Array(inputs.length);
        const documents: RecordDocument[] = [];
        const at: number[] = [];
        inputs.forEach((input, index) => {
          try {
            const { record, json } = normalizeRecord(input);
            checkFieldNames(record);
            documents.push(toDocument(record, nextSeq()));
            outcomes[index] = { status: 'fulfilled', value: withJson(record, json) };
            at.push(index);
          } catch (reason) {
            outcomes[index] = { status: 'rejected', reason };
          }
        });
        if (documents.length === 0) return outcomes;
        try {
          await target.insertMany(documents, { ordered: false });
        } catch (error) {
          // Documents the server stored without the write concern's confirmation are no outcome to report per item.
          if (!(error instanceof MongoBulkWriteError) || error.result?.getWriteConcernError() !== undefined) throw error;
          const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
          // Without per-document errors nothing tells which were stored: fail the whole call.
          if (writeErrors.length === 0) throw error;
          for (const writeError of writeErrors) {
            const index = at[writeError.index];
            if (index === undefined) continue;
            outcomes[index] = { status: 'rejected', reason: insertItemError(writeError, settings, documents[writeError.index]!._id) };
          }
        }
        return outcomes;
      });
    },

    replace(input, expectedRevision) {
      return run('replace a record', true, async (target) => {
        const { record, json } = normalizeRecord(input);
        checkFieldNames(record);
        const filter: Filter<RecordDocument> = expectedRevision === undefined ? { _id: { $eq: record.id } } : { _id: { $eq: record.id }, revision: { $eq: expectedRevision } };
        // A pipeline update swaps the whole document in one atomic step while keeping
        // the creation sequence, which a plain replaceOne would drop. $literal keeps
        // the record's values from being read as expressions.
        const update = [{ $replaceWith: { $mergeObjects: [{ $literal: toDocument(record) }, { [SEQ]: `$${SEQ}` }] } }];
        let result;
        try {
          result = await target.updateOne(filter, update);
        } catch (error) {
          if (isDuplicateKey(error)) throw duplicateKeyError(error, collectionName, record.id);
          throw error;
        }
        if (result.matchedCount === 0) {
          if (expectedRevision === undefined) throw notFoundError(`No record with id "${record.id}" in ${collectionName}`);
          const stored = await target.findOne({ _id: { $eq: record.id } }, { projection: { revision: 1 } });
          explainMiss(record.id, stored, expectedRevision, 'replace');
        }
        return withJson(record, json);
      });
    },

    delete(id, expectedRevision) {
      return run('delete a record', true, async (target) => {
        checkId(id);
        const filter: Filter<RecordDocument> = expectedRevision === undefined ? { _id: { $eq: id } } : { _id: { $eq: id }, revision: { $eq: expectedRevision } };
        const doc = await target.findOneAndDelete(filter);
        if (doc) return toRecord(doc);
        if (expectedRevision === undefined) return undefined;
        const stored = await target.findOne({ _id: { $eq: id } }, { projection: { revision: 1 } });
        // Gone (or never there): nothing to delete, whatever revision was expected.
        if (!stored) return undefined;
        return explainMiss(id, stored, expectedRevision, 'delete');
      });
    },

    list(query: ListQuery): Promise<Page> {
      return run('list records', false, async (target) => {
        const translated = translateListQuery(query);
        // The translated limit asks for one extra document, which tells whether another page follows.
        const [docs, total] = await Promise.all([
          target.find(translated.where as Filter<RecordDocument>, { sort: translated.sort, skip: translated.skip, limit: translated.limit }).toArray(),
          query.count ? target.countDocuments(translated.filter as Filter<RecordDocument>) : Promise.resolve(undefined),
        ]);
        const pageDocs = docs.slice(0, query.limit);
        const page: Page = { records: pageDocs.map(toRecord) };
        if (total !== undefined) page.total = total;
        const last = pageDocs[pageDocs.length - 1];
        if (docs.length > query.limit && last) page.nextCursor = cursorAfter(query.sort, translated, last);
        return page;
      });
    },

    async close() {
      if (opening) await opening.catch(() => undefined);
      if (!lifecycle.beginClose()) return;
      // Let operations already sent finish (each is bounded by the driver's timeouts).
      await Promise.allSettled([...inFlight]);
      const held = shared;
      shared = undefined;
      collection = undefined;
      held?.reachability.leave(model);
      try {
        if (held) await releaseClient(held);
      } finally {
        lifecycle.endClose();
      }
    },

    reachability(): DatasourceReachability {
      const tracked = shared?.reachability;
      if (!tracked) return { reachable: true, outages: 0, server: settings.hosts };
      const status: DatasourceReachability = { reachable: tracked.reachable, outages: tracked.outages - outagesBefore, server: tracked.server };
      if (tracked.downSince !== undefined) status.downSince = tracked.downSince;
      if (tracked.reason !== undefined) status.reason = tracked.reason;
      return status;
    },
  };

  /**
   * A conditional write matched nothing: says why, from the record as it was read just after.
   * @throws MicrolibError `MLB_ERR_NOT_FOUND` or `MLB_ERR_CONFLICT`.
   */
  function explainMiss(id: string, stored: Document | null, expectedRevision: number, operation: 'replace' | 'delete'): never {
    const current = stored ? ({ id, revision: stored['revision'] } as StoredRecord) : undefined;
    checkRevision(collectionName, id, current, expectedRevision, operation);
    // It matches now, so it changed and changed back between the two requests: still a lost race.
    throw conflictError(`Cannot ${operation} record "${id}" in ${collectionName}: it changed while being written`, 'revision');
  }
}
