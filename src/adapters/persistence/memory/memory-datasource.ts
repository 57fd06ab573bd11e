/**
 * The `memory` datasource: records live in the process and vanish with it.
 * Useful for tests, demos and caches.
 */
import type { CreateOutcome, Datasource, DatasourceOptions, ListQuery, Page, ReadOptions } from '../../../domain/datasource.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { conflictError } from '../../../domain/errors.js';
import { DatasourceLifecycle } from '../shared/datasource-lifecycle.js';
import { InMemoryCollection } from './in-memory-collection.js';
import { readIndexDeclarations } from './index-declarations.js';
import { cloneJson } from '../shared/json-order.js';
import { jsonOf, withJson } from '../../../domain/record-json.js';
import { normalizeRecord, type NormalizedRecord } from '../shared/record-copy.js';
import { checkRevision } from '../shared/revision-check.js';

/**
 * The caller's copy of a record just stored, carrying its JSON text: the
 * caller's own input when that already is the stored data (a record built
 * from a parsed body usually is), so the one copy made is the stored one.
 * An input carrying a text already, or frozen, cannot take the text: cloned.
 */
function answerCopy(input: StoredRecord, { record, json, inputIsPlain }: NormalizedRecord): StoredRecord {
  const reusable = inputIsPlain && jsonOf(input) === undefined && Object.isExtensible(input);
  return withJson(reusable ? input : cloneJson(record), json);
}

/** A memory datasource, with a diagnostic for tests and operators. */
export interface MemoryDatasource extends Datasource {
  /** Records list queries have tested so far (indexes keep it near the page size; a scan adds the whole collection). */
  examinedRecords(): number;
}

/**
 * Creates a `memory` datasource for one collection. It reads `options.collection`
 * (in messages) and `options.indexes` (index-declarations.ts).
 * @throws MicrolibError `MLB_ERR_VALIDATION` (field `indexes`) for a bad index declaration.
 */
export function createMemoryDatasource(options: DatasourceOptions): MemoryDatasource {
  const collectionName = String(options.collection);
  const lifecycle = new DatasourceLifecycle(`memory datasource "${collectionName}"`);
  const records = new InMemoryCollection(readIndexDeclarations(options['indexes']));

  function getNow(id: string, options?: ReadOptions): StoredRecord | undefined {
    lifecycle.assertOpen();
    return records.get(id, options?.readOnly);
  }

  function createNow(input: StoredRecord): StoredRecord {
    lifecycle.assertOpen();
    return insert(input);
  }

  function insert(input: StoredRecord): StoredRecord {
    const normalized = normalizeRecord(input);
    const record = normalized.record;
    if (records.peek(record.id)) throw conflictError(`A record with id "${record.id}" already exists in ${collectionName}`, 'id');
    records.insert(record, records.allocateSeq());
    return answerCopy(input, normalized);
  }

  return {
    kind: 'memory',

    async open() {
      lifecycle.beginOpen();
      lifecycle.endOpen(true);
    },

    async get(id, options) {
      return getNow(id, options);
    },

    getNow,

    async create(input) {
      return createNow(input);
    },

    createNow,

    /** One loop, no promise per record. */
    async createMany(inputs) {
      lifecycle.assertOpen();
      return inputs.map((input): CreateOutcome => {
        try {
          return { status: 'fulfilled', value: insert(input) };
        } catch (reason) {
          return { status: 'rejected', reason };
        }
      });
    },

    async replace(input, expectedRevision) {
      lifecycle.assertOpen();
      const normalized = normalizeRecord(input);
      const record = normalized.record;
      checkRevision(collectionName, record.id, records.peek(record.id), expectedRevision, 'replace');
      records.replace(record);
      return answerCopy(input, normalized);
    },

    async delete(id, expectedRevision) {
      lifecycle.assertOpen();
      const stored = records.peek(id);
      if (!stored) return undefined;
      checkRevision(collectionName, id, stored, expectedRevision, 'delete');
      return records.remove(id);
    },

    async list(query: ListQuery): Promise<Page> {
      lifecycle.assertOpen();
      return records.list(query);
    },

    async close() {
      if (lifecycle.beginClose()) lifecycle.endClose();
    },

    examinedRecords: () => records.examined,
  };
}
