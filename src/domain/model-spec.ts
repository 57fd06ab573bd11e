/**
 * The model specification: what a remote exposes for each model it owns.
 *
 * This is the contract between a remote author and the host. Everything except
 * `modelName`, `endpoint` and `factory` is optional, so a remote can use as much
 * or as little of the host as it wants. Specs written for the original MicroLib
 * (`modelName`, `endpoint`, `factory`, `validate`, `onUpdate`, `onDelete`) are
 * served unchanged, with the original's meaning of each (see {@link HookSemantics}).
 *
 * A spec is checked when its remote loads (`spec-parser.ts`): a key that is not
 * declared here is refused, naming the key and where it is, so a misspelt option
 * fails the load instead of being ignored. The original MicroLib's keys this host
 * does not use are the exception: they are accepted and ignored (see `spec-keys.ts`).
 *
 * @packageDocumentation
 */

import type { DomainEvent } from './events/domain-event.js';
import type { ModelEvents } from './events/model-events.js';
import type { Mixin } from './mixins/mixin.js';
import type { PortSpec } from './port-spec.js';
import type { Json, RecordMethods, StoredRecord } from './record.js';

export type { DomainEvent, ModelEvents, Mixin };
export type * from './record.js';
export type * from './port-spec.js';

/** @deprecated A record is a {@link StoredRecord}; data not stored yet is `Record<string, unknown>`. Kept so remotes written against earlier types still compile. */
export type ModelInstance = Record<string, unknown>;
/** @deprecated Use `StoredRecord & RecordMethods`. Kept so remotes written against earlier types still compile. */
export type ModelObject = StoredRecord & RecordMethods;

/**
 * Types a field may declare. Besides JSON's own types, three types have a
 * serializer: their values are stored in one canonical form by every
 * datasource (memory, file, MongoDB) and converted by each wire format.
 *
 * - `date`: an ISO-8601 date-time string, stored and sent as written. A
 *   MessagePack body may give a timestamp instead (stored as its `toISOString()`);
 *   MessagePack answers send the string.
 * - `bigint`: a signed 64-bit integer (−2^63 to 2^63−1) that a JSON number
 *   cannot hold exactly. Stored and sent in JSON as its decimal string
 *   (`"9007199254740993"`); MessagePack answers send an int64. Accepted as that
 *   string, a safe integer number, or a MessagePack int64/uint64. Filters take
 *   equality, `$ne`, `$in`, `$nin` and `$exists` (no ranges or sort: the stored
 *   text does not order by value).
 * - `decimal`: an exact decimal number as a string (`"12.50"`, at most 64
 *   digits, no exponent), kept as written in every format; a number is refused,
 *   as it may already have lost digits. Filters as for `bigint` (equality
 *   compares the text: `"1.5"` is not `"1.50"`).
 *
 * Model code sees the stored form (strings); it may return a BigInt (for
 * `bigint`) or a Date (for `date`), which the host stores converted. A field's
 * `default` is written in the stored form. `minimum`/`maximum` do not apply to
 * `bigint` or `decimal` fields.
 */
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'date' | 'bigint' | 'decimal';

/**
 * One field of a model. Used to validate request bodies before the model's own
 * code runs, and to decide which fields may be filtered and sorted on.
 */
export interface FieldSpec {
  type: FieldType;
  /** Must be present on create. */
  required?: boolean;
  /** May be set on create but never changed afterwards (PATCH answers 400). */
  readOnly?: boolean;
  /** Allowed values. */
  enum?: readonly (string | number | boolean)[];
  /** Bounds for `number` and `integer`. */
  minimum?: number;
  maximum?: number;
  /** Bounds for `string`. */
  minLength?: number;
  maxLength?: number;
  /** A regular expression a `string` must match. */
  pattern?: string;
  /** Well-known string formats checked by the host. */
  format?: 'email' | 'uri' | 'uuid' | 'date-time';
  /** Element schema of an `array`. */
  items?: FieldSpec;
  /** Nested fields of an `object`. */
  properties?: Record<string, FieldSpec>;
  /** Value used on create when the field is absent. */
  default?: Json;
  /** Human description, shown in `/microlib/api/config` and in the OpenAPI document. */
  description?: string;
  /**
   * Stored encrypted (AES-256-GCM, a random IV per value, key from ENCRYPTION_PWD).
   * Reads return the encrypted form; the `decrypt` command returns the record in clear.
   */
  sensitive?: boolean;
  /** With `sensitive`: also store a keyed hash of the value, so `?<field>=<value>` finds records by equality. */
  lookup?: boolean;
}

/**
 * What a model's factory receives: the spec's own `dependencies`, plus `events`
 * (`listen(eventName, handler)` / `notify(eventName, data)` on the host's broker;
 * subscriptions end when this version of the remote is replaced).
 */
export type Dependencies = Record<string, unknown> & { events?: ModelEvents };

/**
 * Builds the create function of a model. Called once per loaded version with
 * the spec's `dependencies`; the function it returns is called for each create
 * with the validated request body.
 */
export type ModelFactory = (
  dependencies: Dependencies,
) => (input: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

/**
 * A relation to another model, resolved by foreign key: model code calls
 * `order.customer()`, clients `GET /microlib/api/models/<endpoint>/:id/<relation>`.
 * The related model may be served by another remote, or by another host.
 */
export interface RelationSpec {
  /** `manyToOne`/`oneToOne` resolve to the related record (or null), `oneToMany` to a page of related records. */
  type: 'oneToMany' | 'manyToOne' | 'oneToOne';
  /** `modelName` of the related model. */
  modelName: string;
  /** The field holding the key: on this model for `manyToOne`/`oneToOne`, on the other for `oneToMany`. */
  foreignKey: string;
  /** What the relation means, shown in `/microlib/api/config` and the OpenAPI document. */
  description?: string;
  /** @deprecated Alias of `description`, the name the original MicroLib uses; the spec parser copies it into `description`. */
  desc?: string;
}

/**
 * Who may do what with a model's records, enforced when authentication is on
 * (AUTH_ENABLED). Each operation needs every permission listed; without a
 * list, it needs `<modelName>:<operation>` (e.g. `order:read`); `[]` lets any
 * authenticated caller. `<modelName>:*` and `*` grant everything.
 */
export interface AccessSpec {
  read?: readonly string[];
  create?: readonly string[];
  update?: readonly string[];
  delete?: readonly string[];
  /**
   * Records belong to the caller who created them (the token's subject, or a
   * client's id when it has none, kept in the host field `owner`): others can
   * neither see, change nor delete them, unless they hold `<modelName>:admin`.
   * A token naming nobody is refused (403) on such a model.
   */
  owner?: boolean;
}

/** A named operation on a model, with the permissions it needs. */
export interface CommandSpec {
  /**
   * A function of the record (with its port and relation methods) and the request
   * body, returning changes to store (or nothing); or the name of a port, which the
   * command starts (e.g. `submit: { command: 'authorizePayment' }` starts the order flow).
   */
  command: string | ((model: StoredRecord & RecordMethods, input?: unknown) => unknown);
  /** Permissions required to run the command. */
  acl?: readonly string[];
  /** What the command does, shown in the OpenAPI document. */
  description?: string;
  /** @deprecated Alias of `description`, the name earlier releases documented; the spec parser copies it into `description`. */
  desc?: string;
}

/**
 * Where a model's records are kept (default: DATASOURCE_ADAPTER): `memory`, `file`
 * or `mongodb` (the original MicroLib's `DataSourceMemory`, `DataSourceFile`,
 * `DataSourceMongoDb` name the same), or an object naming one with its own options,
 * e.g. `{ adapter: 'mongodb', url, database, indexes }`. The options depend on the
 * datasource, so they are not checked here. `indexes` (`[{ fields: { total: 1 } }]`)
 * also builds in-memory indexes on `memory` and `file`.
 */
export type DatasourceSpec = string | { adapter: string; [option: string]: unknown };

/**
 * What a spec's `onUpdate` and `validate` receive, and what the host stores from
 * their answers (the spec's `hookSemantics`).
 *
 * `'original'` (the default) is the original MicroLib's: a hook sees the record
 * as stored before the request (`model`, frozen, sensitive values in clear) and
 * what the request changes (`changes`: the patch, the command's or port's
 * changes, plus any field an earlier hook of the same request changed), so
 * guards such as "this field may not change" or "this status may not follow
 * that one" compare the two. An object it returns is the next record, whole
 * (write `return { ...model, ...changes }` after the checks, as the original's
 * default does); returning nothing stores `{ ...model, ...changes }`. On create,
 * `validate` gets the factory's result and no changes (`{}`).
 *
 * `'merged'` is this host's earlier meaning: `model` is the record as it will be
 * stored (the patch already merged) and `changes` the patch; returning nothing
 * keeps `model`. On create, `changes` is a copy of the factory's result (every
 * field a create sets), not the request body.
 *
 * In both, the request body reaches a created record only through the factory:
 * a value the factory computed (a password's hash, a total, a generated number)
 * is never overwritten by the raw body. Host fields (`id`, timestamps, `revision`,
 * `flow`, and `owner` under `access.owner`) stay the host's whatever a hook returns.
 *
 * Why the original's is the default: a remote written for the original MicroLib
 * must run unchanged, and under the merged meaning its guards silently pass
 * (both sides of the comparison already hold the new value). A spec written for
 * the merged meaning says so with `hookSemantics: 'merged'`.
 */
export type HookSemantics = 'original' | 'merged';

/** The original MicroLib's event mask, the third argument of `validate`: 1 on an update (request, command or port), 2 on a create. */
export type ValidateEvent = 1 | 2;

/** A spec's `onUpdate` or `validate`: throw to refuse the request, return an object to set the next record (see {@link HookSemantics}). */
export type UpdateHook = (
  model: Record<string, unknown>,
  changes: Record<string, unknown>,
  event: ValidateEvent,
) => Record<string, unknown> | void | Promise<Record<string, unknown> | void>;

/** An event handler a model registers with the host's broker: it receives the model's own events. */
export type EventHandler = (event: DomainEvent) => unknown;

/** The specification of one model. */
export interface ModelSpecification {
  /** Unique name of the model across all remotes, e.g. `order`. */
  modelName: string;
  /** URL segment of the generated API: `/microlib/api/models/<endpoint>`. Lowercase letters, digits, `-` and `_`. */
  endpoint: string;
  /** Builds the create function (see {@link ModelFactory}). */
  factory: ModelFactory;
  /** Field schema used to validate request bodies. Without it, any JSON object is accepted. */
  fields?: Record<string, FieldSpec>;
  /** When `fields` is given: accept fields it does not declare (default false: unknown fields answer 400). */
  additionalFields?: boolean;
  /** Passed to `factory`. */
  dependencies?: Dependencies;
  /**
   * Has the last word on every write: after the factory on create, after
   * `onUpdate` and `mixins` on update, and on the changes a command or port
   * returns. Throw to reject with 400; what it receives and what is stored from
   * its answer depend on `hookSemantics` (see {@link HookSemantics}).
   */
  validate?: UpdateHook;
  /**
   * Runs first on an update request (not on commands or ports). Throw to reject
   * with 400; arguments and answer as for `validate` (see {@link HookSemantics}).
   */
  onUpdate?: UpdateHook;
  /** Runs before a delete with the stored record. Throw to refuse the delete (answers 409). */
  onDelete?: (model: Record<string, unknown>) => unknown;
  /**
   * How `onUpdate` and `validate` are called: `'original'` (default), the
   * original MicroLib's (the record before the update and the changes), or
   * `'merged'` (the record as it will be and the patch). See {@link HookSemantics}.
   */
  hookSemantics?: HookSemantics;
  /** Related models by relation name (see {@link RelationSpec}). */
  relations?: Record<string, RelationSpec>;
  /** Named operations on a record, `POST /microlib/api/models/<endpoint>/:id/commands/<name>` (see {@link CommandSpec}). */
  commands?: Record<string, CommandSpec>;
  /** Generated methods bound to adapters, chained into flows by their events (see {@link PortSpec}). */
  ports?: Record<string, PortSpec>;
  /** Where the records are kept (see {@link DatasourceSpec}). */
  datasource?: DatasourceSpec;
  /** Handlers of the events about this model (`modelName` is this model's): its writes, its flows' events, what its code notifies. */
  eventHandlers?: readonly EventHandler[];
  /** Access rules (see {@link AccessSpec}). */
  access?: AccessSpec;
  /** Property rules applied on create and update, in order (see requireProperties and friends). */
  mixins?: readonly Mixin[];
}

/** What a remote's `./models` expose resolves to: specs keyed by any name, or an array of specs. */
export type ModelsModule = Record<string, ModelSpecification> | readonly ModelSpecification[];
