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
  /** The flow of ports running (or last run) on this record, set by the host. */
  flow?: FlowState;
  /** Subject of the caller who created the record, when the model's `access.owner` is on. */
  owner?: string;
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
   * Records belong to the caller who created them (the token's subject, kept in
   * the host field `owner`): others can neither see, change nor delete them,
   * unless they hold `<modelName>:admin`.
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
  command: string | ((model: ModelObject, input?: unknown) => unknown);
  /** Permissions required to run the command. */
  acl?: readonly string[];
  desc?: string;
}

/**
 * A stored record as model code sees it: its data, plus one method per port
 * (`order.authorizePayment(input)`, resolving with the record after that step)
 * and per relation (`order.customer()`). The methods are not stored.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fields and generated methods share one namespace
export type ModelObject = StoredRecord & { readonly [member: string]: any };

/** What an adapter receives on each call of a port. */
export interface PortCall<Service = unknown> {
  /** Name of the port, e.g. `authorizePayment`. */
  port: string;
  /** Model the port belongs to, e.g. `order`. */
  modelName: string;
  /** The record the port runs for, as stored when the step started (a copy). */
  model: StoredRecord;
  /**
   * What the caller passed: the JSON body of `POST .../ports/<port>`, the argument of
   * `order.authorizePayment(input)`, or, for a port run as another port's `undo`,
   * the result of the step being undone.
   */
  input: unknown;
  /** The service bound to the port (a remote's `./services` export or a host built-in); undefined when the port names none. */
  service: Service;
  /** Aborts when the port's timeout passes or the host stops: hand it to fetch, sockets and timers so the work really stops. */
  signal: AbortSignal;
  /** 1 for the first attempt, 2, 3… for retries. */
  attempt: number;
  /**
   * The same for every attempt of one step, also when the step runs again after a
   * host restart: a service that deduplicates on it makes the step exactly-once.
   */
  idempotencyKey: string;
}

/**
 * An adapter: the code between a port and a service (`./adapters` exports them by
 * name). Its resolved value is the port's result; it must be JSON, because it is
 * saved with the model. A throw or rejection fails the attempt (and may be retried).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- adapters type their own service
export type Adapter<Service = any> = (call: PortCall<Service>) => unknown;

/** What a remote's `./adapters` expose: adapters by name. */
export type AdaptersModule = Record<string, Adapter>;

/** What a remote's `./services` expose: services (any object an adapter knows how to use) by name. */
export type ServicesModule = Record<string, unknown>;

/** Retries of a failed port call, with exponential backoff and full jitter. */
export interface PortRetrySpec {
  /** Retries after the first attempt (an integer >= 0). */
  retries: number;
  /** Backoff cap of the first retry, in ms (default 100). */
  baseDelayMs?: number;
  /** Largest backoff, in ms (default 5000). */
  maxDelayMs?: number;
  /** Growth of the backoff per retry (default 2). */
  factor?: number;
}

/** A port's circuit breaker: it opens when the failure rate over a window reaches a threshold. */
export interface PortCircuitBreakerSpec {
  /** Failure rate in (0, 1] that opens the circuit (default 0.5). */
  failureRateThreshold?: number;
  /** Calls in the window before the rate counts (default 10). */
  minimumVolume?: number;
  /** Length of the rolling window, in ms (default 60000). */
  windowMs?: number;
  /** How long the circuit stays open before a trial call, in ms (default 30000). */
  openMs?: number;
  /** Trial calls at once while half-open (default 1). */
  halfOpenMaxCalls?: number;
}

/** What a port's `callback` receives after its adapter succeeded. */
export interface PortCallbackContext {
  /** The record as stored when the step started. */
  model: StoredRecord;
  /** What the adapter resolved with. */
  result: unknown;
  /** What the port was called with. */
  input: unknown;
}

/** What a function `undo` receives when compensation reaches its step. */
export interface PortUndoContext {
  /** The record as stored now. */
  model: StoredRecord;
  /** The result the step saved. */
  result: unknown;
  /** Calls another port's adapter (with that port's timeout, retries and breaker) and resolves with its result. */
  invoke(port: string, input?: unknown): Promise<unknown>;
}

/** Changes a callback or undo returns to merge into the record (or nothing). */
export type PortChanges = Record<string, unknown> | undefined | void;

/**
 * A port: a generated method on the model that calls the adapter bound to it.
 * Ports chain into a flow: when a port completes, the port whose `consumesEvent`
 * equals its `producesEvent` runs next, on the same record.
 */
export interface PortSpec {
  /** Name of the adapter (an export of some remote's `./adapters`, or a host built-in: `events`, `persistence`). */
  adapter?: string;
  /** Name of the service handed to the adapter (an export of some remote's `./services`, or a model name for `persistence`). */
  service?: string;
  /**
   * `inbound`: the outside world drives it (`POST /microlib/api/models/<endpoint>/:id/ports/<port>`;
   * without an adapter, the request body is the result). `outbound` (default): the model drives it.
   */
  type?: 'inbound' | 'outbound';
  /** Deadline of each attempt, in ms (default PORT_TIMEOUT_MS, 30000). The adapter's signal aborts when it passes. */
  timeout?: number;
  /** Retries of a failed attempt: a count, or the count with backoff settings. Default 0. */
  retries?: number | PortRetrySpec;
  /** Circuit breaker of the port (none unless given). Its state is shown at `/microlib/api/ports`. */
  circuitBreaker?: PortCircuitBreakerSpec;
  /** Turns the adapter's result into changes of the record. Without it the result is only saved with the flow's step. */
  callback?: (context: PortCallbackContext) => PortChanges | Promise<PortChanges>;
  /**
   * Compensation, run when a later step of the flow fails: the name of another port
   * (called with this step's result as input), or a function.
   */
  undo?: string | ((context: PortUndoContext) => PortChanges | Promise<PortChanges>);
  /** Event that starts this port: another port's `producesEvent`, or any event about a record of this model (`data.id`). */
  consumesEvent?: string;
  /** Event published when this port completes; the port consuming it runs next. */
  producesEvent?: string;
  /** A disabled port refuses calls and is skipped by flows. */
  disabled?: boolean;
  desc?: string;
}

/** State of one step of a flow, as stored with the record. */
export type FlowStep = {
  port: string;
  status: 'running' | 'done' | 'failed';
  /** The step's input (JSON), kept so a step interrupted by a restart can run again. */
  input?: Json;
  /** The adapter's result, once done. */
  result?: Json;
  /** Why it failed. */
  error?: { name: string; message: string; code?: string };
  /** Attempts the step took (retries included). */
  attempts?: number;
  startedAt: string;
  finishedAt?: string;
  /** Compensation of this step: `done`, `failed` (see `undoError`) or `skipped` (the port has no undo). */
  undo?: 'done' | 'failed' | 'skipped';
  undoError?: { name: string; message: string; code?: string };
};

/**
 * The flow running (or last run) on a record, stored as its host-managed `flow`
 * field. `compensating` and `failed` follow a failed step; `compensated` tells
 * that every completed step was undone, `failed` that some undo failed.
 */
export type FlowState = {
  id: string;
  status: 'running' | 'completed' | 'compensating' | 'compensated' | 'failed';
  steps: FlowStep[];
  startedAt: string;
  finishedAt?: string;
  /**
   * The process driving the flow (`<HOST_ID or hostname>/<worker slot>`): only
   * that process, or its replacement with the same id, resumes it after a restart.
   */
  runner?: string;
  /** The failure that started compensation. */
  error?: { port: string; name: string; message: string; code?: string };
};

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
  /** Access rules (see {@link AccessSpec}). */
  access?: AccessSpec;
  /** Property rules applied on create and update, in order (see requireProperties and friends). */
  mixins?: readonly Mixin[];
  /** Any further options a later release understands are accepted and ignored here. */
  [option: string]: unknown;
}

/** What a remote's `./models` expose resolves to: specs keyed by any name, or an array of specs. */
export type ModelsModule = Record<string, ModelSpecification> | readonly ModelSpecification[];
