/**
 * What each generated route does: turns the request into a call of the model's
 * use cases (ModelService) and its result into the answer. The router has
 * already matched the route, read its body and its If-Match (see MODEL_ROUTES);
 * the use cases check everything else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicrolibError } from '../../../domain/errors.js';
import type { PageLimits } from '../../../domain/list-query.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { resolveRelation, type RelationTarget } from '../../../domain/relations.js';
import type { Caller } from '../../../domain/access.js';
import type { Catalog, ServedModel } from '../../../catalog/catalog.js';
import { sendEmpty, sendJson, sendJsonText, sendMsgpack } from '../respond.js';
import { pageJsonText, type PageFigures } from '../page-json.js';
import { MODELS_PREFIX } from '../models-prefix.js';
import type { RouteName } from './model-routes.js';
import type { WireFormat } from '../../wire/media-types.js';
import type { FieldSerializers } from '../../../domain/field-serializers.js';
import { batchHandlers, type BatchOptions } from './batch-handlers.js';
import { FIELDS_PARAMETER, selectFields } from '../../../domain/field-selection.js';
import { badQueryError } from '../../../domain/errors.js';
import type { ModelService } from '../../../domain/model-service.js';
import type { ListQuery, Page, ReadOptions } from '../../../domain/datasource.js';

/** A page answer's figures after `data`, in the order JSON answers write them. */
const PAGE_FIGURES = ['limit', 'offset', 'total', 'nextCursor'] as const;

/** A request matched to a route of a served model. */
export interface RouteRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly served: ServedModel;
  /** The catalog the request runs against from start to end. */
  readonly catalog: Catalog;
  /** The endpoint as the URL spells it. */
  readonly endpoint: string;
  /** The decoded record id; '' on the collection. */
  readonly id: string;
  /** The decoded relation, command or port name; '' when the route has none. */
  readonly name: string;
  /** The query string, without its `?`. */
  readonly search: string;
  readonly caller: Caller | undefined;
  /** The answer's format, from `Accept`. */
  readonly format: WireFormat;
}

/** A request body: a JSON object, or the array of a batch. */
export type RequestBody = Record<string, unknown> | unknown[];

/** Answers one route. Made once per router: nothing is allocated for it per request. */
export interface RouteHandler {
  /** Refusals due before the body is read (no body is read for a port that does not exist). */
  check?(request: RouteRequest): void;
  /**
   * Answers, given the body (when the route reads one) and the If-Match revision
   * (when it reads that). Undefined when the answer is sent already (no turn to wait).
   */
  answer(request: RouteRequest, input: RequestBody | undefined, expectedRevision: number | undefined): Promise<void> | undefined;
}

export interface RouteHandlerOptions extends PageLimits, BatchOptions {
  /** Models other hosts serve, for relations to them. */
  remoteModel?(modelName: string): RelationTarget | undefined;
}

/** The read route only answers the record it reads: the datasource need not copy it. */
const READ_ONLY: ReadOptions = Object.freeze({ readOnly: true });

const etagOf = (record: StoredRecord) => `"${record.revision}"`;

type Serializers = FieldSerializers | undefined;

/** A page's records as a binary format sends them (bigint fields as BigInt). */
function pageToWire(page: Record<string, unknown>, serializers: Serializers): Record<string, unknown> {
  const toWire = serializers?.toWire;
  if (!toWire) return page;
  return { ...page, data: (page.data as Array<Record<string, unknown>>).map(toWire) };
}

/**
 * Answers in the negotiated format: JSON as it always was, or MessagePack with
 * the model's bigint fields as 64-bit integers. `headers` is the caller's own.
 * Either way the answer varies with `Accept`, which caches must know.
 */
function send(request: RouteRequest, status: number, body: Record<string, unknown>, headers: Record<string, string>, page: boolean): void {
  headers.vary = 'accept';
  if (request.format === 'json') return sendJson(request.res, status, body, headers);
  sendBinary(request, status, body, headers, page, request.served.model.serializers);
}

/** As {@link send}, for records of another model (a relation's): `serializers` are that model's. */
function sendRelated(request: RouteRequest, status: number, body: Record<string, unknown>, headers: Record<string, string>, page: boolean, serializers: Serializers): void {
  headers.vary = 'accept';
  if (request.format === 'json') return sendJson(request.res, status, body, headers);
  sendBinary(request, status, body, headers, page, serializers);
}

function sendBinary(request: RouteRequest, status: number, body: Record<string, unknown>, headers: Record<string, string>, page: boolean, serializers: Serializers): void {
  const wire = page ? pageToWire(body, serializers) : (serializers?.toWire?.(body) ?? body);
  sendMsgpack(request.res, status, wire, headers);
}

/** What encodeURIComponent leaves as it is, but for `!'()*`: the characters of a generated id. */
const PLAIN_SEGMENT = /^[\w.~-]*$/;

/** `id` as a path segment; a plain one is tested, not encoded (encoding cost a quarter of a microsecond per create). */
const pathSegment = (id: string) => (PLAIN_SEGMENT.test(id) ? id : encodeURIComponent(id));

/** A body the router read for a route that takes an object only. */
const objectBody = (input: RequestBody | undefined) => input as Record<string, unknown>;

/** `records` with only `fields`, when the request selected some. */
function selected(records: StoredRecord[], fields: readonly string[] | undefined): unknown[] {
  return fields ? records.map((record) => selectFields(record, fields)) : records;
}

/** What a page's answer says after its records; a cursor page has no offset. */
function pageFigures(query: ListQuery, page: Page): PageFigures {
  return { limit: query.limit, offset: query.cursor === undefined ? query.offset : undefined, total: page.total, nextCursor: page.nextCursor };
}

/** A page's answer as an object: its records (only `fields`, when selected) and the figures it has. */
function pageBody(page: Page, query: ListQuery, figures: PageFigures): Record<string, unknown> {
  const body: Record<string, unknown> = { data: selected(page.records, query.fields) };
  // Only the figures there are: MessagePack would write an undefined one as nil.
  for (const key of PAGE_FIGURES) if (figures[key] !== undefined) body[key] = figures[key];
  return body;
}

/** The `?fields=` of a record read (once at most), checked against the model; undefined without one. */
function readFields(params: URLSearchParams | undefined, service: ModelService): readonly string[] | undefined {
  const values = params?.getAll(FIELDS_PARAMETER);
  if (!values || values.length === 0) return undefined;
  if (values.length > 1) throw badQueryError(`"${FIELDS_PARAMETER}" is given more than once`, FIELDS_PARAMETER);
  return service.fieldSelection(values[0]!);
}

/** `?relation=customer` on a record is `/customer`; the rest of the query is the related page's. */
const RELATION_PARAMETER = /(^|&)relation=[^&]*/;

/** A handler for every generated route. */
export function modelRouteHandlers(options: RouteHandlerOptions): Record<RouteName, RouteHandler> {
  /** The related record, or a page of related records, of `relation`. */
  async function answerRelation(request: RouteRequest, relation: string, search: string): Promise<void> {
    const { served, catalog, id, caller } = request;
    const lookup = (name: string) => catalog.byName(name)?.service ?? options.remoteModel?.(name);
    // For a binary answer, the related model's serializers when it is served here (another host's records go as they came).
    const relations = served.model.spec.relations;
    const relatedName = request.format !== 'json' && relations && Object.hasOwn(relations, relation) ? relations[relation]!.modelName : undefined;
    const related = relatedName === undefined ? undefined : catalog.byName(relatedName)?.model.serializers;
    const query = served.service.relationQuery(relation, new URLSearchParams(search), options, lookup);
    const result = await resolveRelation(served.service, id, relation, lookup, query, caller);
    if (result.kind === 'one') {
      if (!result.record) throw new MicrolibError('MLB_ERR_NOT_FOUND', `${served.model.name} ${id} has no ${relation}`);
      return sendRelated(request, 200, query.fields ? selectFields(result.record, query.fields) : result.record, { 'x-microlib-version': served.servedBy }, false, related);
    }
    return sendRelated(request, 200, pageBody(result.page, query, pageFigures(query, result.page)), { 'x-microlib-version': served.servedBy }, true, related);
  }

  /** 201 with the record created, where it is, and its ETag. */
  function answerCreated(request: RouteRequest, record: StoredRecord): void {
    const { served, endpoint } = request;
    send(request, 201, record, { 'x-microlib-version': served.servedBy, location: `${MODELS_PREFIX}${endpoint}/${pathSegment(record.id)}`, etag: etagOf(record) }, false);
  }

  /** The record a read found, or 304 when the client has this revision. */
  function answerRecord(request: RouteRequest, record: StoredRecord, fields: readonly string[] | undefined): void {
    const { req, res, served } = request;
    // The ETag stays the record's revision: a selection is a view of that revision.
    const etag = etagOf(record);
    if (req.headers['if-none-match'] === etag) return sendEmpty(res, 304, { etag, 'x-microlib-version': served.servedBy, vary: 'accept' });
    send(request, 200, fields ? selectFields(record, fields) : record, { etag, 'x-microlib-version': served.servedBy }, false);
  }

  const command: RouteHandler = {
    async answer(request, input, expectedRevision) {
      const { served, id, name, caller } = request;
      const record = await served.service.command(id, name, objectBody(input), expectedRevision, caller);
      send(request, 200, record, { etag: etagOf(record), 'x-microlib-version': served.servedBy }, false);
    },
  };

  const batches = batchHandlers(options);

  return {
    list: {
      async answer(request) {
        const { served, search, caller } = request;
        const query = served.service.listQuery(new URLSearchParams(search), options);
        const page = await served.service.list(query, caller);
        const headers: Record<string, string> = { 'x-microlib-version': served.servedBy };
        if (page.total !== undefined) headers['x-total-count'] = String(page.total);
        const figures = pageFigures(query, page);
        // The records' own texts when the datasource keeps them: no copy, no serialising them again.
        if (request.format === 'json' && !query.fields && page.recordsJson) {
          headers.vary = 'accept';
          return sendJsonText(request.res, 200, pageJsonText(page.recordsJson, figures), headers);
        }
        send(request, 200, pageBody(page, query, figures), headers, true);
      },
    },
    create: {
      answer(request, input) {
        if (Array.isArray(input)) return batches.createMany(request, input);
        const record = request.served.service.add(objectBody(input), request.caller);
        // Stored at once (memory, model code in the host): answered in this turn.
        if (record instanceof Promise) return record.then((created) => answerCreated(request, created));
        answerCreated(request, record);
      },
    },
    updateMany: {
      answer: (request, input) => batches.updateMany(request, input),
    },
    deleteMany: {
      answer: (request, input) => batches.deleteMany(request, input),
    },
    read: {
      answer(request) {
        const { served, search } = request;
        const params = search === '' ? undefined : new URLSearchParams(search);
        const relation = params?.get('relation');
        if (relation) return answerRelation(request, relation, search.replace(RELATION_PARAMETER, ''));
        const fields = readFields(params, served.service);
        const record = served.service.read(request.id, request.caller, READ_ONLY);
        // A datasource in this process answers at once: so does the route, in the request's own turn.
        if (record instanceof Promise) return record.then((found) => answerRecord(request, found, fields));
        answerRecord(request, record, fields);
      },
    },
    update: {
      async answer(request, input, expectedRevision) {
        const { served, id, caller } = request;
        const record = await served.service.update(id, objectBody(input), expectedRevision, caller);
        send(request, 200, record, { etag: etagOf(record), 'x-microlib-version': served.servedBy }, false);
      },
    },
    delete: {
      async answer({ res, served, id, caller }, _input, expectedRevision) {
        await served.service.remove(id, expectedRevision, caller);
        sendEmpty(res, 204, { 'x-microlib-version': served.servedBy });
      },
    },
    relation: {
      answer: (request) => answerRelation(request, request.name, request.search),
    },
    command,
    commandByPatch: command,
    port: {
      check: ({ served, name }) => served.service.checkInboundPort(name),
      async answer(request, input, expectedRevision) {
        const { served, id, name, caller } = request;
        const record = await served.service.callPort(id, name, objectBody(input), expectedRevision, caller);
        send(request, 200, record, { etag: etagOf(record), 'x-microlib-version': served.servedBy }, false);
      },
    },
  };
}
