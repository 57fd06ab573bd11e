/**
 * The persistence contract: an interface the domain owns (not a "port": in
 * microlib a port is a model's generated method bound to an adapter). Every
 * datasource (memory, file, mongodb, the cluster's IPC datasource, or one
 * written outside this repository) implements it and must pass the one
 * conformance suite, `src/testing/datasource-conformance.ts` (published as
 * `microlib/testing`).
 */
import type { Json, StoredRecord } from './model-spec.js';

/** One sort key. Records with equal keys are ordered by `id` ascending. */
export interface SortKey {
  field: string;
  direction: 1 | -1;
}

/** A JSON value a condition compares with: never an object or array. */
export type ScalarJson = string | number | boolean | null;

/**
 * One condition on one top-level field. Every datasource gives each the same
 * meaning (the conformance suite checks it); in short, with "missing" a record
 * without the field:
 * - `eq`: the stored value is not an array and equals `value` (null also matches missing);
 *   `ne` matches exactly the records `eq` does not (missing, other types and arrays included).
 * - `gt` `gte` `lt` `lte`: the stored value has the type of `value` (number or string, never
 *   an array, never missing or null) and compares so; strings by UTF-16 code unit, as sorting
 *   does. With `instant`, `value` is a date-time and the stored value matches only when it is a
 *   string {@link instantOf} reads, compared as instants.
 * - `in`: `eq` with one of `value`; `nin` matches exactly the records `in` does not.
 * - `exists`: true when the record has the field (null counts as present).
 * - `prefix`: the stored value is a string starting with `value` (case-sensitive).
 */
export type FieldCondition =
  | { readonly field: string; readonly op: 'eq' | 'ne'; readonly value: ScalarJson }
  | { readonly field: string; readonly op: 'gt' | 'gte' | 'lt' | 'lte'; readonly value: string | number; readonly instant?: boolean }
  | { readonly field: string; readonly op: 'in' | 'nin'; readonly value: readonly ScalarJson[] }
  | { readonly field: string; readonly op: 'exists'; readonly value: boolean }
  | { readonly field: string; readonly op: 'prefix'; readonly value: string };

/** The operator of a {@link FieldCondition}. */
export type ConditionOperator = FieldCondition['op'];

/**
 * A validated list query. The HTTP layer has already checked field names and
 * coerced values to the field types, so a datasource never sees raw user input.
 * A record is listed when it matches `filter`, every condition of `where`, and,
 * when `anyOf` is given, every condition of at least one of its branches.
 */
export interface ListQuery {
  /** Equality filters: a record matches when every listed field equals the value (deep equality for objects). */
  filter: Readonly<Record<string, Json>>;
  /** More conditions, all of which a record must meet. Absent or empty: none. */
  where?: readonly FieldCondition[];
  /** An "or": a record must meet all conditions of at least one branch (so an empty list matches no record). Absent: no such condition. */
  anyOf?: readonly (readonly FieldCondition[])[];
  /** Sort keys, most significant first. Empty: creation order (ties by id). */
  sort: readonly SortKey[];
  /** Page size, at least 1. */
  limit: number;
  /** Records to skip. Ignored when `cursor` is given. */
  offset: number;
  /** Opaque cursor from a previous page's `nextCursor`, same filter and sort. */
  cursor?: string;
  /** Also return the number of records matching the filter. */
  count: boolean;
  /**
   * The fields the answer will carry (`?fields=`, `id` always among them). The
   * host removes the others itself: a datasource may ignore this, or read less.
   */
  fields?: readonly string[];
}

/** What became of one record of {@link Datasource.createMany}: the stored record, or why it was not stored. */
export type CreateOutcome = PromiseSettledResult<StoredRecord>;

/** One page of a list query's result. */
export interface Page {
  records: StoredRecord[];
  /** Present when the query asked for `count`. */
  total?: number;
  /** Present when more records follow this page. */
  nextCursor?: string;
  /**
   * Optional: the JSON text of each record of `records`, in order, when the
   * datasource keeps it. A JSON answer is then put together from these texts
   * without serialising the records again; the in-memory datasources then make
   * their copies of `records` only when it is read.
   */
  readonly recordsJson?: readonly string[];
}

/**
 * Where one model's records are kept. It rejects with a `MicrolibError` whose
 * `code` the host maps to a status. Calls before `open()` or after `close()`
 * reject with `MLB_ERR_UNAVAILABLE`; `close()` may be called more than once.
 */
export interface Datasource {
  /** Datasource kind, e.g. `memory` or `file`. */
  readonly kind: string;
  /** Prepares the datasource (open files, replay logs, connect). Called once before use. */
  open(): Promise<void>;
  get(id: string, options?: ReadOptions): Promise<StoredRecord | undefined>;
  /**
   * Optional: `get` answered at once, by a datasource that holds its records in
   * this process (memory, file), so a read is answered in the turn it arrived
   * in. It throws where `get` would reject. Leave it out when a read may have
   * to wait (a server, a replica catching up). A wrapper that changes `get`
   * must change `getNow` the same way, or leave it out.
   */
  getNow?(id: string, options?: ReadOptions): StoredRecord | undefined;
  /** Stores a new record. Rejects with `MLB_ERR_CONFLICT` if the id exists. Resolves once the write is durable. */
  create(record: StoredRecord): Promise<StoredRecord>;
  /**
   * Optional: `create` done at once, by a datasource whose writes are complete
   * when they return (memory), so the create route answers in the turn the
   * body arrived in. It throws where `create` would reject. Leave it out when
   * a write must wait (a log to flush, a server). A wrapper that changes
   * `create` must change `createNow` the same way, or leave it out.
   */
  createNow?(record: StoredRecord): StoredRecord;
  /**
   * Optional: stores several new records, each as `create` would (the same
   * checks; `MLB_ERR_CONFLICT` for an id already stored or earlier in `records`),
   * and resolves with one outcome per record, in order, once every stored one is
   * durable. Nothing is atomic across records: some may be stored while others
   * fail. A datasource without it gets a loop of `create` (`createEach` in
   * batch-writes.ts); one with it stores the records together (the file
   * datasource in one group commit, MongoDB in one `insertMany`).
   */
  createMany?(records: readonly StoredRecord[]): Promise<CreateOutcome[]>;
  /**
   * Replaces a stored record. When `expectedRevision` is given and the stored
   * record's `revision` differs, rejects with `MLB_ERR_CONFLICT`; rejects with
   * `MLB_ERR_NOT_FOUND` when the id does not exist.
   */
  replace(record: StoredRecord, expectedRevision?: number): Promise<StoredRecord>;
  /**
   * Deletes a record and returns it, or undefined when there was none (whatever
   * `expectedRevision` says). When the record exists and its revision differs
   * from `expectedRevision`, rejects with `MLB_ERR_CONFLICT`.
   */
  delete(id: string, expectedRevision?: number): Promise<StoredRecord | undefined>;
  list(query: ListQuery): Promise<Page>;
  /** Flushes pending writes and releases resources. */
  close(): Promise<void>;
  /**
   * Whether the server this datasource stores in answers, as far as it knows.
   * Only datasources that depend on a server (MongoDB) have it; the host shows
   * it in /metrics and, when asked to, in readiness.
   */
  reachability?(): DatasourceReachability;
}

/** How a read is made. */
export interface ReadOptions {
  /**
   * The read must see every write acknowledged so far, by any process: what a
   * write decides on (the If-Match check, the record a patch merges into). A
   * datasource that answers reads from a replica (a cluster worker's) catches up
   * with its primary first; the others ignore it.
   */
  latest?: boolean;
  /**
   * The caller only reads the record, to answer it, and never changes it: an
   * in-memory datasource may then return its stored object (carrying its JSON
   * text, record-json.ts) instead of a copy. The others ignore it.
   */
  readOnly?: boolean;
}

/** What a datasource knows about reaching its server. */
export interface DatasourceReachability {
  /** False from the first failure to reach the server until the first success after it. */
  reachable: boolean;
  /** Outages this datasource has seen since it opened. */
  outages: number;
  /** The server, for messages (never credentials), e.g. `db1:27017,db2:27017`. */
  server: string;
  /** While unreachable: since when (ms since the epoch) and the failure that said so. */
  downSince?: number;
  reason?: string;
}

/** Options every datasource factory receives. */
export interface DatasourceOptions {
  /** Name of the collection, usually the model name. */
  collection: string;
  /** Folder for datasources that keep files. */
  dataDir: string;
  /** Receives warnings the datasource recovered from (e.g. a repaired log) and news of its server (unreachable, reachable again). */
  logger?: DatasourceLogger;
  /** Anything else from the model spec's `datasource` object. */
  [option: string]: unknown;
}

/** Where a datasource reports what it recovered from. */
export interface DatasourceLogger {
  warn(details: Record<string, unknown>, message: string): void;
  /** For news that is good (a server reachable again); without it such lines go to `warn`. */
  info?(details: Record<string, unknown>, message: string): void;
}

/** Makes the (not yet opened) datasource of one model from its options. */
export type DatasourceFactory = (options: DatasourceOptions) => Datasource;
