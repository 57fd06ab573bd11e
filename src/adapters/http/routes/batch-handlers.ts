/**
 * Batches on a collection: `POST` with an array creates, `PATCH` with an array
 * of `{id, ifMatch?, ...changes}` patches, `DELETE` with `?ids=a,b` or an array
 * of `{id, ifMatch?}` deletes. Each item succeeds or fails on its own; the
 * answer lists every item's outcome in order:
 *
 *     { "results": [ { "index": 0, "status": 201, "record": {…} },
 *                    { "index": 1, "status": 400, "error": { "code", "message", "field" } } ],
 *       "succeeded": 1, "failed": 1 }
 *
 * with the route's success status (201 for creates, 200 otherwise) when every
 * item succeeded, else 207 (Multi-Status). The body may be MessagePack (an
 * array), and the answer is in the format `Accept` negotiated, as for one record.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../../../domain/access.js';
import { badQueryError, MicrolibError, validationError } from '../../../domain/errors.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import type { BatchDeletion, BatchOutcome, BatchPatch, ModelService } from '../../../domain/model-service.js';
import type { FieldSerializers } from '../../../domain/field-serializers.js';
import type { WireFormat } from '../../wire/media-types.js';
import { errorBody, internalError, isClientFacing, sendJson, sendMsgpack, statusOf } from '../respond.js';

/** What a batch handler reads of a request (a route handler's `RouteRequest` is one). */
export interface BatchRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly served: { readonly service: ModelService; readonly servedBy: string; readonly model?: { readonly serializers?: FieldSerializers | undefined } };
  /** The query string, without its `?`. */
  readonly search: string;
  readonly caller: Caller | undefined;
  /** The answer's format, from `Accept` (JSON when not given). */
  readonly format?: WireFormat;
}

/** Mixed outcomes: some items succeeded, some did not (or none did). */
export const MULTI_STATUS = 207;

/** BATCH_MAX_ITEMS unless set. */
export const DEFAULT_BATCH_MAX_ITEMS = 1_000;

export interface BatchOptions {
  /** Most items one batch may hold (BATCH_MAX_ITEMS, {@link DEFAULT_BATCH_MAX_ITEMS} unless given); more is a 413. */
  batchMaxItems?: number;
  /** Told of an item's unexpected error, which its result shows only as a request id. */
  onInternalError?(error: unknown, req: IncomingMessage): void;
}

/** The `If-Match` of an item: a revision (`3`) or an ETag (`"3"`, `W/"3"`); `*` or nothing: any. */
function revisionOf(value: unknown): number | undefined {
  if (value === undefined || value === '*') return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  const match = typeof value === 'string' ? /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(value) : null;
  if (!match) throw validationError('"ifMatch" must be a revision (e.g. 3) or an ETag from a previous answer (e.g. "\\"3\\"")', 'ifMatch');
  return Number(match[1]);
}

function isItemObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function itemId(item: Record<string, unknown>): string {
  if (typeof item.id !== 'string') throw validationError('each item names its record by "id" (a string)', 'id');
  return item.id;
}

/** A batch patch item `{ id, ifMatch?, ...changes }`. */
function patchItem(value: unknown): BatchPatch {
  if (!isItemObject(value)) throw validationError('a batch item must be a JSON object: { "id", "ifMatch"?, …changes }');
  const { id: _id, ifMatch, ...changes } = value;
  return { id: itemId(value), changes, expectedRevision: revisionOf(ifMatch) };
}

/** A batch delete item `{ id, ifMatch? }`. */
function deletionItem(value: unknown): BatchDeletion {
  if (!isItemObject(value)) throw validationError('a batch item must be a JSON object: { "id", "ifMatch"? }');
  for (const key of Object.keys(value)) {
    if (key !== 'id' && key !== 'ifMatch') throw validationError(`"${key.slice(0, 64)}" is not a key of a delete item; write { "id", "ifMatch"? }`, key.slice(0, 64));
  }
  return { id: itemId(value), expectedRevision: revisionOf(value.ifMatch) };
}

/** The ids of `?ids=a,b` (no other parameter), or undefined when the query has none. */
function idsOfQuery(search: string): string[] | undefined {
  if (search === '') return undefined;
  const params = new URLSearchParams(search);
  let ids: string[] | undefined;
  for (const [name, value] of params) {
    if (name !== 'ids') throw badQueryError(`"${name.slice(0, 64)}" is not a parameter of a batch delete; write ?ids=a,b`, name.slice(0, 64));
    if (ids) throw badQueryError('"ids" is given more than once', 'ids');
    ids = value.split(',');
    if (ids.some((id) => id === '')) throw badQueryError('"ids" has an empty id; write ?ids=a,b', 'ids');
  }
  return ids;
}

export function batchHandlers(options: BatchOptions) {
  const maxItems = options.batchMaxItems ?? DEFAULT_BATCH_MAX_ITEMS;

  /** Refuses an empty batch or one over the limit, before any item runs. */
  function checkSize(items: readonly unknown[]): void {
    if (items.length === 0) throw validationError('a batch needs at least one item');
    if (items.length > maxItems) {
      throw new MicrolibError('MLB_ERR_PAYLOAD_TOO_LARGE', `a batch takes at most ${maxItems} items (BATCH_MAX_ITEMS); this one has ${items.length}`);
    }
  }

  /** The error a client may read: an unexpected one is logged and shown as a request id only. */
  function clientError(reason: unknown, req: IncomingMessage): MicrolibError {
    if (isClientFacing(reason)) return reason;
    options.onInternalError?.(reason, req);
    return internalError(req);
  }

  /**
   * Answers one result per item, in order: `outcomes` for the items `read`
   * turned into work (at `at`), the refusals of the others. `successStatus` is
   * each succeeded item's; the answer's is 201 or 200 when all succeeded, else 207.
   */
  function answer(request: BatchRequest, successStatus: 200 | 201 | 204, read: ReadonlyArray<MicrolibError | undefined>, at: readonly number[], outcomes: readonly BatchOutcome[], ids?: ReadonlyArray<string | undefined>): void {
    const results: Record<string, unknown>[] = new Array(read.length);
    let failed = 0;
    const fail = (index: number, reason: unknown) => {
      failed++;
      const error = clientError(reason, request.req);
      const id = ids?.[index];
      results[index] = { index, status: statusOf(error.code), ...(id === undefined ? {} : { id }), error: errorBody(error).error };
    };
    read.forEach((refusal, index) => {
      if (refusal) fail(index, refusal);
    });
    outcomes.forEach((outcome, k) => {
      const index = at[k]!;
      if (outcome.status === 'rejected') return fail(index, outcome.reason);
      const record: StoredRecord = outcome.value;
      // A deleted record is not shown, as a single DELETE answers 204 without it.
      results[index] = successStatus === 204 ? { index, status: 204, id: record.id } : { index, status: successStatus, ...(ids ? { id: record.id } : {}), record };
    });
    const status = failed > 0 ? MULTI_STATUS : successStatus === 201 ? 201 : 200;
    const headers = { 'x-microlib-version': request.served.servedBy, vary: 'accept' };
    if (request.format !== 'msgpack') return sendJson(request.res, status, { results, succeeded: read.length - failed, failed }, headers);
    // MessagePack carries the model's bigint fields as 64-bit integers, as a single record's answer does.
    const toWire = request.served.model?.serializers?.toWire;
    const wire = toWire ? results.map((result) => (result.record ? { ...result, record: toWire(result.record as StoredRecord) } : result)) : results;
    sendMsgpack(request.res, status, { results: wire, succeeded: read.length - failed, failed }, headers);
  }

  /** Reads each item with `read`; the ones it refuses fail alone. */
  function readItems<T extends { id: string }>(items: readonly unknown[], read: (value: unknown) => T) {
    const refusals: Array<MicrolibError | undefined> = [];
    const ids: Array<string | undefined> = [];
    const work: T[] = [];
    const at: number[] = [];
    items.forEach((value, index) => {
      try {
        const item = read(value);
        work.push(item);
        at.push(index);
        ids.push(item.id);
        refusals.push(undefined);
      } catch (error) {
        if (!(error instanceof MicrolibError)) throw error;
        // The id, when the item names one, helps a client match results to records.
        ids.push(isItemObject(value) && typeof value.id === 'string' ? value.id : undefined);
        refusals.push(error);
      }
    });
    return { refusals, ids, work, at };
  }

  return {
    /** `POST /<endpoint>` with an array. */
    async createMany(request: BatchRequest, items: readonly unknown[]): Promise<void> {
      checkSize(items);
      const outcomes = await request.served.service.createMany(items, request.caller);
      answer(request, 201, new Array(items.length).fill(undefined), outcomes.map((_, index) => index), outcomes);
    },

    /** `PATCH /<endpoint>` with an array of `{ id, ifMatch?, ...changes }`. */
    async updateMany(request: BatchRequest, body: unknown): Promise<void> {
      const items = body as unknown[];
      checkSize(items);
      const { refusals, ids, work, at } = readItems(items, patchItem);
      const outcomes = await request.served.service.updateMany(work, request.caller);
      answer(request, 200, refusals, at, outcomes, ids);
    },

    /** `DELETE /<endpoint>?ids=a,b`, or with an array of `{ id, ifMatch? }`. */
    async deleteMany(request: BatchRequest, body: unknown): Promise<void> {
      const fromQuery = idsOfQuery(request.search);
      if (fromQuery && body !== undefined) throw badQueryError('name the records either in "ids" or in the body, not both', 'ids');
      if (!fromQuery && body === undefined) throw validationError('name the records to delete: ?ids=a,b or a body [{ "id", "ifMatch"? }]', 'ids');
      const items = fromQuery ? fromQuery.map((id) => ({ id })) : (body as unknown[]);
      checkSize(items);
      const { refusals, ids, work, at } = readItems(items, deletionItem);
      const outcomes = await request.served.service.removeMany(work, request.caller);
      answer(request, 204, refusals, at, outcomes, ids);
    },
  };
}
