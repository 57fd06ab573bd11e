/**
 * The model specification: what a remote exposes for each model it owns.
 *
 * This is the contract between a remote author and the host. Everything except
 * `modelName`, `endpoint` and `factory` is optional, so a remote can use as much
 * or as little of the host as it wants. Specs written for the original MicroLib
 * (`modelName`, `endpoint`, `factory`, `validate`, `onDelete`) are served unchanged.
 *
 * @packageDocumentation
 */

import type { DomainEvent } from './events/domain-event.js';
import type { ModelEvents } from './events/model-events.js';
import type { Mixin } from './mixins/mixin.js';

export type { DomainEvent, ModelEvents, Mixin };

/** A JSON value as stored by a datasource. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A stored record: plain JSON data with the host-managed fields. */
export interface StoredRecord {
  /** Unique id, assigned by the host unless the client supplies a valid one. */
  id: string;
  /** ISO-8601 time of creation, set by the host. */
  createdAt: string;
  /** ISO-8601 time of the last write, set by the host. */
  updatedAt: string;
  /** Starts at 1 and grows by one on every update; sent as the ETag, checked against If-Match. */
  revision: number;
  [field: string]: Json | undefined;
}

/** Types a field may declare. `date` is an ISO-8601 date-time string. */
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'date';

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
  /** Human description, shown in `/microlib/api/config` and later in OpenAPI. */
  description?: string;
}

/**
 * What a model's factory receives: the spec's own `dependencies`, plus `events`
 * (`listen(eventName, handler)` / `notify(eventName, data)` on the host's broker;
 * subscriptions end when this version of the remote is replaced).
 */
export type Dependencies = Record<string, unknown> & { events?: ModelEvents };

/** The object a factory returns: the model's data, and possibly methods (which are not stored). */
export type ModelInstance = Record<string, unknown>;

/**
 * Builds the create function of a model. Called once per loaded version with
 * the spec's `dependencies`; the function it returns is called for each create
 * with the validated request body.
 */
export type ModelFactory = (
  dependencies: Dependencies,
) => (input: Record<string, unknown>) => ModelInstance | Promise<ModelInstance>;

/** A relation to another model, resolved by foreign key (wired by a later release; accepted and listed now). */
export interface RelationSpec {
  type: 'oneToMany' | 'manyToOne' | 'oneToOne';
  /** `modelName` of the related model (may live in another remote). */
  modelName: string;
  /** The field holding the key: on this model for `manyToOne`/`oneToOne`, on the other for `oneToMany`. */
  foreignKey: string;
  desc?: string;
}

/** A named operation on a model, with the permissions it needs. */
export interface CommandSpec {
  command: string | ((model: ModelInstance, input?: unknown) => unknown);
  /** Permissions required to run the command. */
  acl?: readonly string[];
  desc?: string;
}

/** A port: a generated method on the model that calls an adapter (wired by a later release; accepted and listed now). */
export interface PortSpec {
  service?: string;
  adapter?: string;
  type?: 'inbound' | 'outbound';
  timeout?: number;
  retries?: number;
  consumesEvent?: string;
  producesEvent?: string;
  callback?: (...args: unknown[]) => unknown;
  undo?: (...args: unknown[]) => unknown;
  circuitBreaker?: Record<string, unknown>;
  disabled?: boolean;
}

/** Where a model's records are kept: `memory`, `file`, or a datasource a later release or a remote adds. */
export type DatasourceSpec = string | { adapter: string; [option: string]: unknown };

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
   * Runs after schema validation on create (`changes` is the input) and update
   * (`changes` is the patch, `model` the merged record). Throw to reject with 400;
   * return an object to replace the model.
   */
  validate?: (model: ModelInstance, changes: Record<string, unknown>) => ModelInstance | void | Promise<ModelInstance | void>;
  /** Runs before an update is stored. Return an object to replace the updated model; throw to reject with 400. */
  onUpdate?: (model: ModelInstance, changes: Record<string, unknown>) => ModelInstance | void | Promise<ModelInstance | void>;
  /** Runs before a delete. Throw to refuse the delete (answers 409). */
  onDelete?: (model: ModelInstance) => unknown;
  relations?: Record<string, RelationSpec>;
  commands?: Record<string, CommandSpec>;
  ports?: Record<string, PortSpec>;
  datasource?: DatasourceSpec;
  eventHandlers?: readonly EventHandler[];
  /** Property rules applied on create and update, in order (see requireProperties and friends). */
  mixins?: readonly Mixin[];
  /** Any further options a later release understands are accepted and ignored here. */
  [option: string]: unknown;
}

/** What a remote's `./models` expose resolves to: specs keyed by any name, or an array of specs. */
export type ModelsModule = Record<string, ModelSpecification> | readonly ModelSpecification[];
