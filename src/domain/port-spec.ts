/**
 * Ports, as a remote author declares and implements them. Part of the public
 * types (re-exported by `model-spec.ts`).
 *
 * In microlib "port" names one thing: a method the host generates on a model
 * (`order.authorizePayment(input)`, `POST .../ports/authorizePayment`) and binds
 * to an adapter, which talks to a service. Ports chain into flows through their
 * events. (The TCP port the host listens on is configuration, not part of these types.)
 *
 * @packageDocumentation
 */

import type { StoredRecord } from './record.js';

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

/**
 * A port's circuit breaker: it opens when the failure rate over a window reaches a threshold.
 * (Named threshold sets in the original MicroLib's form, `default: { errorRate, callVolume… }`,
 * are accepted at load; the port then gets a breaker with the defaults below.)
 */
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
  /** What the port does, shown in the OpenAPI document. */
  description?: string;
  /** @deprecated Alias of `description`, the name earlier releases documented; the spec parser copies it into `description`. */
  desc?: string;
}
