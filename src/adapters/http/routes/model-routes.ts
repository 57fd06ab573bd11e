/**
 * The routes of the generated API, declared once. The model router dispatches
 * on them (which handler answers which method and path shape, what it reads
 * before) and the OpenAPI builder describes them, so a route is served if and
 * only if the document has it.
 */
import type { RouteKind } from '../../metrics/metrics.js';

/** The name of a generated route: the router has a handler for each. */
export type RouteName = 'list' | 'create' | 'updateMany' | 'deleteMany' | 'read' | 'update' | 'delete' | 'relation' | 'command' | 'port' | 'commandByPatch';

export type RouteMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';

/** A parameter of a path: the record id, or a relation, command or port of the model (one documented path each). */
export type PathParameter = '{id}' | '{relation}' | '{command}' | '{port}';

/** What the success answer carries: a record of the model, a page of them, the relation's record or page, a batch's results, or nothing. */
export type AnswerBody = 'record' | 'page' | 'related' | 'batch' | 'none';

/** One generated route. */
export interface ModelRoute {
  readonly name: RouteName;
  /** Its label in the request metrics. */
  readonly kind: Exclude<RouteKind, 'unknown'>;
  /** The methods it answers; HEAD answers as GET does (the document lists GET only, as HTTP implies HEAD). */
  readonly methods: readonly RouteMethod[];
  /** The path after `/microlib/api/models/<endpoint>`, one entry a segment: a parameter or a literal. */
  readonly path: readonly (PathParameter | 'commands' | 'ports')[];
  /** Listed in the `Allow` header of a 405 on its path; false for another spelling of a route listed elsewhere. */
  readonly inAllow: boolean;
  /**
   * The JSON body it reads before answering: the model's create or patch schema
   * (`batch`: also, or only, an array of such items), the items of a batch
   * delete (which may be left out for `?ids=`), or any JSON, which may then be left out.
   */
  readonly body?:
    | { readonly schema: 'create' | 'patch'; readonly batch?: 'also' | 'only' }
    | { readonly schema: 'deletions' }
    | { readonly schema: 'any'; readonly description: string };
  /** Reads `If-Match: "<revision>"` (after the body): a stale revision answers 412. */
  readonly ifMatch?: true;
  /** Reads `If-None-Match`: the current ETag answers 304 without a body. */
  readonly ifNoneMatch?: true;
  /** Its query parameters: a list's (paging, sort, filters), a related page's (paging, sort), the record's `relation`, or a batch delete's `ids`. */
  readonly query?: 'list' | 'relation-page' | 'relation' | 'ids';
  /** Takes `?fields=a,b`: the answer's records carry only those fields and `id`. */
  readonly fields?: true;
  readonly answer: {
    readonly status: 200 | 201 | 204;
    readonly description: string;
    /** The description instead, when a relation answers a page. */
    readonly pageDescription?: string;
    readonly body: AnswerBody;
    /** Sends the record's revision as `ETag`. */
    readonly etag?: true;
    /** Sends the created record's URL as `Location`. */
    readonly location?: true;
  };
  /** Error statuses it answers, besides 412 (with `ifMatch`) and the authentication answers. */
  readonly errors: readonly number[];
  /**
   * The operation id, from a verb, the model's schema name (plural for `list`)
   * and the relation, command or port name; its summary, from the model name,
   * that name and what the relation is (`manyToOne customer`).
   */
  readonly operation: { readonly verb: string; readonly plural?: true; summary(model: string, name: string, relation: string): string };
}

/** What a command or port answers when it fails, besides the request's own errors. */
const RUN_ERRORS = [400, 404, 409, 413, 415, 502, 503, 504];

/** Every generated route, in the order the document lists them. */
export const MODEL_ROUTES: readonly ModelRoute[] = [
  {
    name: 'list',
    kind: 'collection',
    methods: ['GET', 'HEAD'],
    path: [],
    inAllow: true,
    query: 'list',
    fields: true,
    answer: { status: 200, description: 'A page of records.', body: 'page' },
    errors: [400],
    operation: { verb: 'list', plural: true, summary: (model) => `List ${model} records` },
  },
  {
    name: 'create',
    kind: 'collection',
    methods: ['POST'],
    path: [],
    inAllow: true,
    body: { schema: 'create', batch: 'also' },
    answer: { status: 201, description: 'The stored record (for an array: every item created, one result each).', body: 'record', etag: true, location: true },
    errors: [400, 409, 413, 415],
    operation: { verb: 'create', summary: (model) => `Create a ${model} record, or several (an array)` },
  },
  {
    name: 'updateMany',
    kind: 'collection',
    methods: ['PATCH'],
    path: [],
    inAllow: true,
    body: { schema: 'patch', batch: 'only' },
    answer: { status: 200, description: 'Every item patched: one result each, in order.', body: 'batch' },
    errors: [400, 413, 415],
    operation: { verb: 'update', plural: true, summary: (model) => `Change several ${model} records` },
  },
  {
    name: 'deleteMany',
    kind: 'collection',
    methods: ['DELETE'],
    path: [],
    inAllow: true,
    body: { schema: 'deletions' },
    query: 'ids',
    answer: { status: 200, description: 'Every item deleted: one result each, in order.', body: 'batch' },
    errors: [400, 413, 415],
    operation: { verb: 'delete', plural: true, summary: (model) => `Delete several ${model} records` },
  },
  {
    name: 'read',
    kind: 'item',
    methods: ['GET', 'HEAD'],
    path: ['{id}'],
    inAllow: true,
    ifNoneMatch: true,
    query: 'relation',
    fields: true,
    answer: { status: 200, description: 'The record.', body: 'record', etag: true },
    errors: [400, 404],
    operation: { verb: 'get', summary: (model) => `Read a ${model} record` },
  },
  {
    name: 'update',
    kind: 'item',
    methods: ['PATCH'],
    path: ['{id}'],
    inAllow: true,
    body: { schema: 'patch' },
    ifMatch: true,
    answer: { status: 200, description: 'The merged record.', body: 'record', etag: true },
    errors: [400, 404, 409, 413, 415],
    operation: { verb: 'update', summary: (model) => `Change a ${model} record` },
  },
  {
    name: 'delete',
    kind: 'item',
    methods: ['DELETE'],
    path: ['{id}'],
    inAllow: true,
    ifMatch: true,
    answer: { status: 204, description: 'Deleted.', body: 'none' },
    errors: [404, 409],
    operation: { verb: 'delete', summary: (model) => `Delete a ${model} record` },
  },
  {
    name: 'relation',
    kind: 'relation',
    methods: ['GET', 'HEAD'],
    path: ['{id}', '{relation}'],
    inAllow: true,
    query: 'relation-page',
    fields: true,
    answer: { status: 200, description: 'The related record.', pageDescription: 'A page of related records.', body: 'related' },
    errors: [400, 404],
    operation: { verb: 'get', summary: (model, name, relation) => `The ${name} of a ${model} (${relation})` },
  },
  {
    name: 'command',
    kind: 'command',
    methods: ['POST'],
    path: ['{id}', 'commands', '{command}'],
    inAllow: true,
    body: { schema: 'any', description: 'The command input (any JSON).' },
    ifMatch: true,
    answer: { status: 200, description: 'The record after the command.', body: 'record', etag: true },
    errors: RUN_ERRORS,
    operation: { verb: 'run', summary: (model, command) => `Run the ${command} command on a ${model}` },
  },
  {
    name: 'port',
    kind: 'port',
    methods: ['POST'],
    path: ['{id}', 'ports', '{port}'],
    inAllow: true,
    body: { schema: 'any', description: 'The port input (any JSON).' },
    ifMatch: true,
    answer: { status: 200, description: 'The record once this step is done (the flow it starts goes on).', body: 'record', etag: true },
    errors: RUN_ERRORS,
    operation: { verb: 'call', summary: (model, port) => `Run the inbound port ${port} of a ${model}` },
  },
  {
    // `PATCH /<endpoint>/:id/<command>`, the older spelling of `command`; the path's Allow names the relation's methods only.
    name: 'commandByPatch',
    kind: 'command',
    methods: ['PATCH'],
    path: ['{id}', '{command}'],
    inAllow: false,
    body: { schema: 'any', description: 'The command input (any JSON).' },
    ifMatch: true,
    answer: { status: 200, description: 'The record after the command.', body: 'record', etag: true },
    errors: RUN_ERRORS,
    operation: { verb: 'patch', summary: (model, command) => `Run the ${command} command on a ${model} (as POST …/commands/${command} does)` },
  },
];
