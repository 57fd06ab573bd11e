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
 */
import {
  MongoClient,
  MongoClientClosedError,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoParseError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
  type Collection,
  type Document,
  type Filter,
  type IndexDescription,
  type MongoClientOptions,
  type WriteConcernSettings,
} from 'mongodb';
import type { Datasource, DatasourceOptions, ListQuery, Page, SortKey } from '../../../domain/datasource.js';
import { MicrolibError, badQueryError, conflictError, notFoundError, validationError } from '../../../domain/errors.js';
import type { Json, StoredRecord } from '../../../domain/model-spec.js';
import { withJson } from '../../../domain/record-json.js';
import { DatasourceLifecycle } from '../shared/datasource-lifecycle.js';
import type { FieldValue } from '../shared/json-order.js';
import { decodeCursor, encodeCursor, type CursorPosition } from '../shared/list-cursor.js';
import { normalizeRecord } from '../shared/record-copy.js';
import { checkRevision } from '../shared/revision-check.js';

/**
 * Hidden field holding a record's creation sequence: the "creation order" of
 * unsorted lists. `_id` cannot serve (ids are client-chosen strings) and MongoDB's
 * natural order is neither guaranteed nor usable in a range query.
 */
const SEQ = '_mlbSeq';
const CREATION_ORDER_INDEX = 'microlib_creation_order';
/** Field names a query may use: the host's own field-name rule (no `$`, no `.`). */
const SAFE_FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Index paths may reach into nested objects, one safe name per segment. */
const SAFE_PATH = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}$/;
const SAFE_COLLECTION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$/;
const SAFE_DATABASE = /^[A-Za-z0-9_-]{1,63}$/;
const DEFAULT_DATABASE = 'microlib';
const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 2000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * Server error codes that mean "not now" rather than "never": the server or its
 * primary is going away, stepping down, or could not reach a majority in time.
 */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  64, // WriteConcernFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);
/** Node socket errors that mean the server went away. */
const SOCKET_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_SOCKET_CLOSED', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);
const UNAVAILABLE_LABELS = ['RetryableWriteError', 'ResetPool', 'SystemOverloadedError'];
/** Index definitions the server refuses: a configuration problem of the model's spec. */
const INDEX_CONFLICT_CODES = new Set([
  67, // CannotCreateIndex
  85, // IndexOptionsConflict
  86, // IndexKeySpecsConflict
]);
const AUTHENTICATION_FAILED = 18;

/** One index the model spec asks for, created at open. */
export interface MongoIndexSpec {
  /** Fields and directions, most significant first; `id` means the record id. */
  fields: Record<string, 1 | -1>;
  /** Refuse two records with the same values (a write that would: MLB_ERR_CONFLICT naming the first field). */
  unique?: boolean;
  /** Index name; MongoDB's default is built from the fields. */
  name?: string;
}

/** The options this datasource reads from {@link DatasourceOptions} (the spec's `datasource` object plus host defaults). */
export interface MongoDatasourceOptions {
  /** Connection string; credentials in it never appear in messages. */
  url?: string;
  /** Connection string the host passes (from MONGODB_URL), used when the spec gives no `url`. */
  defaultUrl?: string;
  /** Database name; default `defaultDatabase`, else `microlib`. */
  database?: string;
  /** Database name the host passes (from MONGODB_DATABASE). */
  defaultDatabase?: string;
  /** Collection name; default the model name. */
  collectionName?: string;
  /** Indexes created (if missing) at open. */
  indexes?: MongoIndexSpec[];
  /** `majority` (default), a number of members (at least 1), or `{ w, journal, wtimeoutMS }`. Journaled unless `journal: false`. */
  writeConcern?: 'majority' | number | { w?: 'majority' | number; journal?: boolean; wtimeoutMS?: number };
  /** How long an operation waits for a usable server before failing with MLB_ERR_UNAVAILABLE (default 2000). */
  serverSelectionTimeoutMS?: number;
  /** Time limit for opening one connection (default 5000). */
  connectTimeoutMS?: number;
  /** Time limit for one socket read; default none (the driver's monitor notices dead servers). */
  socketTimeoutMS?: number;
  /** Connections per server in the shared client (driver default 100). */
  maxPoolSize?: number;
}

interface Settings {
  url: string;
  hosts: string;
  scrub: (text: string) => string;
  database: string;
  collectionName: string;
  indexes: IndexDescription[];
  writeConcern: WriteConcernSettings;
  clientOptions: MongoClientOptions;
}

/** A driver client shared by every datasource with the same URL and client options. */
interface SharedClient {
  readonly key: string;
  readonly client: MongoClient;
  refs: number;
  connecting: Promise<void> | undefined;
}

const sharedClients = new Map<string, SharedClient>();

/** A stored record as the driver sees it: string ids, JSON fields. */
interface RecordDocument extends Document {
  _id: string;
}

/**
 * Clients currently shared and how many open datasources hold each; for tests
 * and diagnostics (the URLs are left out, as they may hold credentials).
 */
export function mongoClientStats(): { clients: number; references: number } {
  let references = 0;
  for (const shared of sharedClients.values()) references += shared.refs;
  return { clients: sharedClients.size, references };
}

/**
 * Closes every shared client now, whoever holds it. For process shutdown after
 * the datasources were closed, and for tests: a client left open (say by a
 * datasource never closed) keeps the process alive. Datasources still open fail
 * with MLB_ERR_UNAVAILABLE afterwards.
 * @returns how many clients were closed
 */
export async function closeAllMongoClients(): Promise<number> {
  const all = [...sharedClients.values()];
  sharedClients.clear();
  await Promise.allSettled(all.map((shared) => shared.client.close()));
  return all.length;
}

function acquireClient(settings: Settings): SharedClient {
  const key = JSON.stringify([settings.url, settings.clientOptions]);
  let shared = sharedClients.get(key);
  if (!shared) {
    shared = { key, client: new MongoClient(settings.url, settings.clientOptions), refs: 0, connecting: undefined };
    sharedClients.set(key, shared);
  }
  shared.refs++;
  return shared;
}

/** Connects once per client; a failed attempt is forgotten so the next open tries again. */
function connectClient(shared: SharedClient): Promise<void> {
  shared.connecting ??= shared.client.connect().then(
    () => undefined,
    (error: unknown) => {
      shared.connecting = undefined;
      throw error;
    },
  );
  return shared.connecting;
}

async function releaseClient(shared: SharedClient): Promise<void> {
  shared.refs--;
  if (shared.refs > 0) return;
  // Forget it first: an open that starts while this one closes gets a new client.
  if (sharedClients.get(shared.key) === shared) sharedClients.delete(shared.key);
  await shared.client.close();
}

/** Creation sequence: microseconds since the epoch, strictly increasing within the process. */
let lastSeq = 0;
function nextSeq(): number {
  const now = Date.now() * 1000;
  lastSeq = now > lastSeq ? now : lastSeq + 1;
  return lastSeq;
}

/**
 * Creates a `mongodb` datasource for one collection. Options are checked here,
 * so a bad spec fails when the model loads; the connection is made by `open()`.
 * @throws MicrolibError `MLB_ERR_VALIDATION` naming the bad option.
 */
export function createMongoDatasource(options: DatasourceOptions): Datasource {
  const settings = readSettings(options);
  const collectionName = settings.collectionName;
  const lifecycle = new DatasourceLifecycle(`mongodb datasource "${collectionName}"`);
  let shared: SharedClient | undefined;
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
      lifecycle.endOpen(true);
    } catch (error) {
      if (acquired) await releaseClient(acquired).catch(() => undefined);
      lifecycle.endOpen(false);
      throw toMicrolibError(error, settings, `open ${collectionName}`, false);
    }
  }

  /** Runs one operation on the open collection, mapping driver errors and tracking it for close(). */
  async function run<T>(operation: string, write: boolean, body: (target: Collection<RecordDocument>) => Promise<T>): Promise<T> {
    lifecycle.assertOpen();
    const running = body(collection as Collection<RecordDocument>).catch((error: unknown) => {
      throw toMicrolibError(error, settings, `${operation} in ${collectionName}`, write);
    });
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
        checkListQuery(query);
        const filter = buildFilter(query.filter);
        const order = sortOrder(query.sort);
        let where = filter;
        if (query.cursor !== undefined) {
          const position = decodeCursor(query.cursor, query.sort, order.keys.length);
          if (query.sort.length === 0 && typeof position.values[0] !== 'number') {
            throw badQueryError('The cursor is malformed or does not belong to this query', 'cursor');
          }
          const range = afterCursor(order, position);
          where = Object.keys(filter).length === 0 ? range : { $and: [filter, range] };
        }
        const skip = query.cursor === undefined ? query.offset : 0;
        // One extra document tells whether another page follows.
        const [docs, total] = await Promise.all([
          target.find(where as Filter<RecordDocument>, { sort: order.sort, skip, limit: query.limit + 1 }).toArray(),
          query.count ? target.countDocuments(filter as Filter<RecordDocument>) : Promise.resolve(undefined),
        ]);
        const pageDocs = docs.slice(0, query.limit);
        const page: Page = { records: pageDocs.map(toRecord) };
        if (total !== undefined) page.total = total;
        const last = pageDocs[pageDocs.length - 1];
        if (docs.length > query.limit && last) {
          page.nextCursor = encodeCursor(
            query.sort,
            order.keys.map((key) => last[key.path] as FieldValue),
            String(last['_id']),
          );
        }
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
      try {
        if (held) await releaseClient(held);
      } finally {
        lifecycle.endClose();
      }
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

/** Reads and checks the options; see {@link MongoDatasourceOptions}. */
function readSettings(options: DatasourceOptions): Settings {
  const url = options['url'] ?? options['defaultUrl'];
  if (typeof url !== 'string' || url.length === 0) {
    throw validationError('The mongodb datasource needs a connection string: set MONGODB_URL or the datasource option "url"', 'url');
  }
  const { hosts, scrub } = describeUrl(url);
  const database = options['database'] ?? options['defaultDatabase'] ?? DEFAULT_DATABASE;
  if (typeof database !== 'string' || !SAFE_DATABASE.test(database)) {
    throw validationError(`Database name ${JSON.stringify(database)} is not valid (letters, digits, "_" and "-", at most 63)`, 'database');
  }
  const collectionName = options['collectionName'] ?? options.collection;
  if (typeof collectionName !== 'string' || !SAFE_COLLECTION.test(collectionName) || collectionName.startsWith('system.')) {
    throw validationError(
      `Collection name ${JSON.stringify(collectionName)} is not valid (letters, digits, "_", "-" and ".", at most 120, not "system.")`,
      'collectionName',
    );
  }
  const clientOptions: MongoClientOptions = {
    appName: 'microlib',
    serverSelectionTimeoutMS: readPositiveInt(options, 'serverSelectionTimeoutMS', DEFAULT_SERVER_SELECTION_TIMEOUT_MS),
    connectTimeoutMS: readPositiveInt(options, 'connectTimeoutMS', DEFAULT_CONNECT_TIMEOUT_MS),
  };
  const socketTimeoutMS = readPositiveInt(options, 'socketTimeoutMS', undefined);
  if (socketTimeoutMS !== undefined) clientOptions.socketTimeoutMS = socketTimeoutMS;
  const maxPoolSize = readPositiveInt(options, 'maxPoolSize', undefined);
  if (maxPoolSize !== undefined) clientOptions.maxPoolSize = maxPoolSize;
  return {
    url,
    hosts,
    scrub,
    database,
    collectionName,
    indexes: readIndexes(options['indexes']),
    writeConcern: readWriteConcern(options['writeConcern']),
    clientOptions,
  };
}

function readPositiveInt(options: DatasourceOptions, name: string, fallback: number): number;
function readPositiveInt(options: DatasourceOptions, name: string, fallback: undefined): number | undefined;
function readPositiveInt(options: DatasourceOptions, name: string, fallback: number | undefined): number | undefined {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw validationError(`${name} must be a positive integer`, name);
  return value;
}

/** The hosts part of a connection string (for messages) and a function that blanks its credentials out of any text. */
function describeUrl(url: string): { hosts: string; scrub: (text: string) => string } {
  const match = /^(mongodb(?:\+srv)?):\/\/([^/?#]*)/.exec(url);
  if (!match) throw validationError('The MongoDB connection string must start with mongodb:// or mongodb+srv://', 'url');
  const authority = match[2] as string;
  // Credentials end at the last "@" of the authority (an "@" inside them must be %-encoded, but be lenient).
  const at = authority.lastIndexOf('@');
  const hosts = at < 0 ? authority : authority.slice(at + 1);
  const secrets: string[] = [];
  if (at >= 0) {
    const userInfo = authority.slice(0, at);
    const colon = userInfo.indexOf(':');
    const password = colon < 0 ? '' : userInfo.slice(colon + 1);
    secrets.push(userInfo);
    if (password) {
      secrets.push(password);
      try {
        secrets.push(decodeURIComponent(password));
      } catch {
        // A malformed %-escape: the raw form is already covered.
      }
    }
  }
  const scrub = (text: string) => secrets.reduce((clean, secret) => (secret ? clean.split(secret).join('****') : clean), text);
  return { hosts: hosts || '(no host)', scrub };
}

function readIndexes(value: unknown): IndexDescription[] {
  if (value === undefined) return [];
  const bad = (why: string) => validationError(`indexes: ${why}`, 'indexes');
  if (!Array.isArray(value)) throw bad('must be an array of { fields, unique?, name? }');
  return value.map((spec: unknown, i) => {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw bad(`entry ${i} must be an object`);
    const { fields, unique, name } = spec as Partial<MongoIndexSpec>;
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || Object.keys(fields).length === 0) {
      throw bad(`entry ${i} needs "fields", e.g. { "email": 1 }`);
    }
    const key: Record<string, 1 | -1> = {};
    for (const [field, direction] of Object.entries(fields)) {
      if (!SAFE_PATH.test(field) || field.split('.').some((part) => part === '__proto__' || part === SEQ)) throw bad(`entry ${i}: "${field}" is not a field name`);
      if (direction !== 1 && direction !== -1) throw bad(`entry ${i}: the direction of "${field}" must be 1 or -1`);
      key[field === 'id' ? '_id' : field] = direction;
    }
    if (unique !== undefined && typeof unique !== 'boolean') throw bad(`entry ${i}: "unique" must be true or false`);
    if (name !== undefined && (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(name))) throw bad(`entry ${i}: "name" must be a short plain name`);
    const description: IndexDescription = { key };
    if (unique) description.unique = true;
    if (name !== undefined) description.name = name;
    return description;
  });
}

/** Only acknowledged write concerns: a write resolves once the server confirmed it, never before. */
function readWriteConcern(value: unknown): WriteConcernSettings {
  const bad = () =>
    validationError('writeConcern must be "majority", a member count of at least 1, or { w, journal, wtimeoutMS } (unacknowledged writes are not allowed)', 'writeConcern');
  const checkW = (w: unknown): 'majority' | number => {
    if (w === 'majority' || (typeof w === 'number' && Number.isSafeInteger(w) && w >= 1)) return w;
    throw bad();
  };
  if (value === undefined) return { w: 'majority', journal: true };
  if (typeof value === 'string' || typeof value === 'number') return { w: checkW(value), journal: true };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad();
  const { w, journal, wtimeoutMS } = value as { w?: unknown; journal?: unknown; wtimeoutMS?: unknown };
  const settings: WriteConcernSettings = { w: checkW(w ?? 'majority'), journal: true };
  if (journal !== undefined) {
    if (typeof journal !== 'boolean') throw bad();
    settings.journal = journal;
  }
  if (wtimeoutMS !== undefined) {
    if (typeof wtimeoutMS !== 'number' || !Number.isSafeInteger(wtimeoutMS) || wtimeoutMS < 0) throw bad();
    settings.wtimeoutMS = wtimeoutMS;
  }
  return settings;
}

function checkId(id: unknown): asserts id is string {
  if (typeof id !== 'string') throw validationError('A record id must be a string', 'id');
}

/** `_id` and the sequence field are the datasource's own; `$` names would read as operators in updates. */
function checkFieldNames(record: StoredRecord): void {
  for (const field of Object.keys(record)) {
    if (field === '_id' || field === SEQ || field.startsWith('$')) {
      throw validationError(`Field "${field}" cannot be stored by the mongodb datasource (reserved name)`, field);
    }
  }
}

/** The document stored for a record: `id` becomes `_id`, everything else is kept as is. */
function toDocument(record: StoredRecord, seq?: number): RecordDocument {
  const { id, ...fields } = record;
  return seq === undefined ? { _id: id, ...fields } : { _id: id, ...fields, [SEQ]: seq };
}

/** The record a document holds, without `_id` or the sequence field. */
function toRecord(doc: Document): StoredRecord {
  // A stray `id` field (written by another program) must not override the real id.
  const { _id, [SEQ]: _seq, id: _stray, ...fields } = doc;
  return { id: typeof _id === 'string' ? _id : String(_id), ...fields } as StoredRecord;
}

/**
 * The database path for a field a query names.
 * @throws MicrolibError `MLB_ERR_BAD_QUERY` naming the field when it is unsafe or reserved.
 */
function queryPath(field: string): string {
  if (field === 'id') return '_id';
  if (typeof field !== 'string' || !SAFE_FIELD.test(field) || field === '__proto__' || field === '_id' || field === SEQ) {
    throw badQueryError(`"${String(field)}" cannot be used as a field name in a query (letters, digits and "_", not starting with a digit)`, String(field));
  }
  return field;
}

function checkListQuery(query: ListQuery): void {
  if (!Number.isSafeInteger(query.limit) || query.limit < 1) throw badQueryError('limit must be an integer of at least 1', 'limit');
  if (query.cursor === undefined && (!Number.isSafeInteger(query.offset) || query.offset < 0)) {
    throw badQueryError('offset must be a non-negative integer', 'offset');
  }
  if (typeof query.filter !== 'object' || query.filter === null || Array.isArray(query.filter)) throw badQueryError('filter must be an object', 'filter');
  if (!Array.isArray(query.sort)) throw badQueryError('sort must be a list of keys', 'sort');
  for (const key of query.sort) {
    if (typeof key?.field !== 'string' || (key.direction !== 1 && key.direction !== -1)) {
      throw badQueryError('sort keys need a field name and a direction of 1 or -1', 'sort');
    }
  }
}

/**
 * Equality filters, field by field. Every value sits behind `$eq` (or `$literal`),
 * so an object such as `{"$where": …}` is compared as data, never run as an
 * operator. Arrays are excluded from scalar and object matches, and an array value
 * must equal the whole stored array: MongoDB would otherwise match elements.
 */
function buildFilter(filter: Readonly<Record<string, Json>>): Document {
  const clauses: Document[] = [];
  for (const [field, value] of Object.entries(filter)) {
    const path = queryPath(field);
    if (path === '_id') clauses.push({ _id: { $eq: value } });
    else if (Array.isArray(value)) clauses.push({ [path]: { $eq: value } }, { $expr: { $eq: [`$${path}`, { $literal: value }] } });
    else clauses.push({ [path]: { $eq: value, $not: { $type: 'array' } } });
  }
  if (clauses.length === 0) return {};
  return clauses.length === 1 ? (clauses[0] as Document) : { $and: clauses };
}

interface SortOrder {
  /** The keys whose values a cursor records: the query's sort, or the creation sequence. */
  keys: { path: string; direction: 1 | -1 }[];
  /** Whether `_id` follows the keys as tie-breaker (not when a key already is `_id`). */
  tieBreak: boolean;
  sort: Document;
}

function sortOrder(sort: readonly SortKey[]): SortOrder {
  const keys: SortOrder['keys'] = [];
  if (sort.length === 0) keys.push({ path: SEQ, direction: 1 });
  for (const key of sort) {
    const path = queryPath(key.field);
    keys.push({ path, direction: key.direction });
    // Keys after the unique id never decide anything.
    if (path === '_id') break;
  }
  const tieBreak = keys.every((key) => key.path !== '_id');
  const order: Document = {};
  for (const key of keys) order[key.path] = key.direction;
  if (tieBreak) order['_id'] = 1;
  return { keys, tieBreak, sort: order };
}

/** BSON type aliases in sort order, by the rank json-order.ts gives them (0, null, is special). */
const TYPE_BY_RANK = ['null', 'number', 'string', 'object', 'array', 'bool'] as const;

function typeRank(value: FieldValue): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return 1;
  if (typeof value === 'string') return 2;
  if (typeof value === 'boolean') return 5;
  return Array.isArray(value) ? 4 : 3;
}

/**
 * Conditions for "after `value` on `path`" in the sort direction. MongoDB's range
 * operators only compare values of one type, so the types that sort after the
 * value's type are added by `$type`. Missing and null are one step, below all.
 */
function afterValue(path: string, value: FieldValue, direction: 1 | -1): Document[] {
  const rank = typeRank(value);
  const clauses: Document[] = [];
  if (rank !== 0) clauses.push({ [path]: { [direction === 1 ? '$gt' : '$lt']: value } });
  if (direction === 1) {
    const later = TYPE_BY_RANK.slice(rank + 1);
    if (later.length > 0) clauses.push({ [path]: { $type: [...later] } });
  } else if (rank > 0) {
    // Everything of a lower type, missing and null included.
    clauses.push({ [path]: { $not: { $type: TYPE_BY_RANK.slice(rank) } } });
  }
  return clauses;
}

/** The documents after a cursor position: an `$or` over "equal so far, then after" for each key, then the id. */
function afterCursor(order: SortOrder, position: CursorPosition): Document {
  const branches: Document[] = [];
  const equalSoFar: Document[] = [];
  order.keys.forEach((key, i) => {
    const value = position.values[i] ?? null;
    for (const clause of afterValue(key.path, value, key.direction)) {
      branches.push(equalSoFar.length === 0 ? clause : { $and: [...equalSoFar, clause] });
    }
    // $eq null also matches a missing field, which sorts as null.
    equalSoFar.push({ [key.path]: { $eq: value } });
  });
  if (order.tieBreak) branches.push({ $and: [...equalSoFar, { _id: { $gt: position.id } }] });
  return branches.length === 0 ? { _id: { $in: [] } } : { $or: branches };
}

/**
 * A real duplicate key: code 11000 with the key named or the server's usual message.
 * Some MongoDB look-alikes report unrelated write failures with that code.
 */
function isDuplicateKey(error: unknown): error is MongoServerError {
  if (!(error instanceof MongoServerError) || error.code !== 11000) return false;
  return error['keyPattern'] !== undefined || error.errorResponse?.['keyPattern'] !== undefined || /duplicate key/i.test(error.message);
}

/** MLB_ERR_CONFLICT for a duplicate key, naming the field: `id` for `_id`, else the unique index's first field. */
function duplicateKeyError(error: MongoServerError, collectionName: string, id: string): MicrolibError {
  const pattern = (error['keyPattern'] ?? error.errorResponse?.['keyPattern']) as Record<string, unknown> | undefined;
  let fields = pattern ? Object.keys(pattern) : [];
  if (fields.length === 0) {
    // Servers that leave keyPattern out still name the index: "... index: email_1 dup key: { email: ... }".
    const named = /dup key: \{ ?"?([^":\s]+)"?\s*:/.exec(error.message);
    fields = named ? [named[1] as string] : /index: _id_/.test(error.message) ? ['_id'] : [];
  }
  if (fields.length === 0 || fields.includes('_id')) {
    return new MicrolibError('MLB_ERR_CONFLICT', `A record with id "${id}" already exists in ${collectionName}`, 'id', { cause: error });
  }
  const names = fields.map((field) => `"${field}"`).join(', ');
  return new MicrolibError('MLB_ERR_CONFLICT', `Another record in ${collectionName} already has the same ${names} (unique index)`, fields[0], { cause: error });
}

function isUnavailable(error: unknown): boolean {
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoClientClosedError ||
    error instanceof MongoServerClosedError ||
    error instanceof MongoOperationTimeoutError ||
    error instanceof MongoWriteConcernError
  ) {
    return true;
  }
  // A socket the server closed can surface as Node's own error (EPIPE: "This socket has been ended by the other party").
  if (!(error instanceof MongoError)) return typeof (error as { code?: unknown } | null)?.code === 'string' && SOCKET_ERROR_CODES.has((error as { code: string }).code);
  if (UNAVAILABLE_LABELS.some((label) => error.hasErrorLabel(label))) return true;
  return typeof error.code === 'number' && UNAVAILABLE_CODES.has(error.code);
}

/** Turns a driver error into the host's error, with the URL's credentials blanked out. */
function toMicrolibError(error: unknown, settings: Settings, what: string, write: boolean): MicrolibError {
  if (error instanceof MicrolibError) return error;
  const detail = settings.scrub(error instanceof Error ? error.message : String(error));
  if (isDuplicateKey(error)) return duplicateKeyError(error, settings.collectionName, '');
  if (error instanceof MongoParseError) {
    return new MicrolibError('MLB_ERR_VALIDATION', `The MongoDB connection string is not valid: ${detail}`, 'url', { cause: error });
  }
  if (error instanceof MongoServerError && typeof error.code === 'number' && INDEX_CONFLICT_CODES.has(error.code)) {
    return new MicrolibError('MLB_ERR_VALIDATION', `MongoDB refused the indexes of ${settings.collectionName}: ${detail}`, 'indexes', { cause: error });
  }
  if (error instanceof MongoServerError && error.code === AUTHENTICATION_FAILED) {
    return new MicrolibError('MLB_ERR_UNAVAILABLE', `MongoDB at ${settings.hosts} refused the login: ${detail}`, undefined, { cause: error });
  }
  if (isUnavailable(error)) {
    // Server selection fails before anything is sent; a dropped connection may cut a write after it was applied.
    const outcome = write && !(error instanceof MongoServerSelectionError) ? ' (the write may or may not have been applied)' : '';
    const message =
      error instanceof MongoWriteConcernError
        ? `MongoDB at ${settings.hosts} did not confirm the write with write concern ${JSON.stringify(settings.writeConcern)}: ${detail}${outcome}`
        : `MongoDB at ${settings.hosts} is unreachable: ${detail}${outcome}`;
    return new MicrolibError('MLB_ERR_UNAVAILABLE', message, undefined, { cause: error });
  }
  return new MicrolibError('MLB_ERR_INTERNAL', `MongoDB could not ${what}: ${detail}`, undefined, { cause: error });
}
