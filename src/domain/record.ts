/**
 * What a record is: `StoredRecord`, the JSON a datasource keeps (with the
 * host-managed fields and the state of its flow), and the methods model code
 * finds on it (`RecordMethods`). Data that is not stored yet (what a factory
 * returns, what `validate` checks) is plain `Record<string, unknown>`.
 * Part of the public types (re-exported by `model-spec.ts`).
 *
 * Kept apart from the spec types so the mixins, which only need the record
 * types, do not import the spec that lists them.
 *
 * @packageDocumentation
 */

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
  /** Identity of the caller who created the record (its `sub`, or `client_id:<id>`…), when the model's `access.owner` is on. */
  owner?: string;
  /** The model's own fields. */
  [field: string]: Json | undefined;
}

/**
 * The methods model code finds on a stored record (`StoredRecord & RecordMethods`):
 * one per port (`order.authorizePayment(input)`, resolving with the record after
 * that step) and per relation (`order.customer()`). They are not stored.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fields and generated methods share one namespace
export type RecordMethods = { readonly [member: string]: any };

/** State of one step of a flow, as stored with the record. */
export type FlowStep = {
  /** The port this step ran. */
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
  /**
   * The version of the model's remote that started the flow: every step and every
   * undo runs on it (while a canary runs, the stable version or the canary).
   */
  version?: string;
  /** The failure that started compensation. */
  error?: { port: string; name: string; message: string; code?: string };
};
