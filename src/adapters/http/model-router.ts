/**
 * The generated REST API, `/microlib/api/models/<endpoint>[/<id>]`, answered on
 * node:http directly: Express's router and response helpers cost most of a
 * request's time, so the hot path does not go through them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicrolibError } from '../../domain/errors.js';
import type { StoredRecord } from '../../domain/model-spec.js';
import { parseListQuery, type PageLimits } from './list-query.js';
import { readJsonBody } from './read-body.js';
import { internalError, sendEmpty, sendError, sendJson } from './respond.js';
import type { Catalog, ServedModel } from '../../catalog/catalog.js';
import type { CatalogView } from '../../catalog/live-catalog.js';
import { resolveRelation, type RelationTarget } from '../../domain/relations.js';
import { compileFieldSchema } from '../../domain/field-schema.js';
import { PortCallError } from '../../domain/ports/port-invoker.js';
import type { Caller } from '../../domain/access.js';
import { UnauthorizedError, type RequestAuthenticator } from '../auth/request-authenticator.js';
import type { RouteKind } from '../metrics/metrics.js';

/** A related model another host serves checks its own query: any plain field name passes here. */
const REMOTE_FIELDS = compileFieldSchema(undefined, true);

export const MODELS_PREFIX = '/microlib/api/models/';

export interface ModelRouterOptions extends PageLimits {
  bodyLimitBytes: number;
  /** Models other hosts serve, for relations to them. */
  remoteModel?(modelName: string): RelationTarget | undefined;
  /** When authentication is on: who the request is from (rejects with 401/429). */
  authenticate?: RequestAuthenticator;
  /** Told of every answered request (metrics); `model` is '-' when no model matched. */
  observe?(model: string, route: RouteKind, method: string, status: number, startedAt: number): void;
  onInternalError(error: unknown, req: IncomingMessage): void;
}

const COLLECTION_METHODS = 'GET, HEAD, POST';
const ITEM_METHODS = 'GET, HEAD, PATCH, DELETE';

const etagOf = (record: StoredRecord) => `"${record.revision}"`;

/** `"3"`, `W/"3"` or `*` → 3 or undefined; anything else is a 400. */
function expectedRevision(req: IncomingMessage): number | undefined {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header);
  if (!match) throw new MicrolibError('MLB_ERR_VALIDATION', 'If-Match must be an ETag from a previous response, e.g. "3"', 'If-Match');
  return Number(match[1]);
}

export function createModelRouter(catalog: CatalogView, options: ModelRouterOptions) {
  async function handleCollection(req: IncomingMessage, res: ServerResponse, route: ServedModel, endpoint: string, search: string, caller: Caller | undefined) {

    switch (req.method) {
      case 'GET':
      case 'HEAD': {
        const query = parseListQuery(search, route.model.schema, options);
        const page = await route.service.list(query, caller);
        const body: Record<string, unknown> = { data: page.records, limit: query.limit };
        if (query.cursor === undefined) body.offset = query.offset;
        if (page.total !== undefined) body.total = page.total;
        if (page.nextCursor !== undefined) body.nextCursor = page.nextCursor;
        const headers: Record<string, string> = { 'x-microlib-version': route.servedBy };
        if (page.total !== undefined) headers['x-total-count'] = String(page.total);
        sendJson(res, 200, body, headers);
        return;
      }
      case 'POST': {
        const record = await route.service.create(await readJsonBody(req, options.bodyLimitBytes), caller);
        sendJson(res, 201, record, { 'x-microlib-version': route.servedBy, location: `${MODELS_PREFIX}${endpoint}/${encodeURIComponent(record.id)}`, etag: etagOf(record) });
        return;
      }
      default:
        throw methodNotAllowed(req, COLLECTION_METHODS);
    }
  }

  async function handleItem(req: IncomingMessage, res: ServerResponse, route: ServedModel, catalog: Catalog, id: string, search: string, caller: Caller | undefined) {
    const servedBy = route.servedBy;
    switch (req.method) {
      case 'GET':
      case 'HEAD': {
        // `?relation=customer` is the same as `/customer`.
        const relation = search === '' ? null : new URLSearchParams(search).get('relation');
        if (relation) return handleRelation(req, res, route, catalog, id, relation, search.replace(/(^|&)relation=[^&]*/, ''), caller);
        const record = await route.service.get(id, caller);
        const etag = etagOf(record);
        if (req.headers['if-none-match'] === etag) return sendEmpty(res, 304, { etag, 'x-microlib-version': servedBy });
        return sendJson(res, 200, record, { etag, 'x-microlib-version': servedBy });
      }
      case 'PATCH': {
        const patch = await readJsonBody(req, options.bodyLimitBytes);
        const record = await route.service.update(id, patch, expectedRevision(req), caller);
        return sendJson(res, 200, record, { etag: etagOf(record), 'x-microlib-version': servedBy });
      }
      case 'DELETE':
        await route.service.remove(id, expectedRevision(req), caller);
        return sendEmpty(res, 204, { 'x-microlib-version': servedBy });
      default:
        throw methodNotAllowed(req, ITEM_METHODS);
    }
  }

  /** `GET /<endpoint>/:id/<relation>`: the related record, or a page of related records. */
  async function handleRelation(req: IncomingMessage, res: ServerResponse, route: ServedModel, catalog: Catalog, id: string, relation: string, search: string, caller: Caller | undefined) {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(req, 'GET, HEAD');
    // Sort and filters of a related page are checked against the related model when it is served here.
    const related = route.model.spec.relations?.[relation];
    const target = related && Object.hasOwn(route.model.spec.relations!, relation) ? catalog.byName(related.modelName) : undefined;
    const query = parseListQuery(search, target ? target.model.schema : REMOTE_FIELDS, options);
    const result = await resolveRelation(route.service, id, relation, (name) => catalog.byName(name)?.service ?? options.remoteModel?.(name), query, caller);
    if (result.kind === 'one') {
      if (!result.record) throw new MicrolibError('MLB_ERR_NOT_FOUND', `${route.model.name} ${id} has no ${relation}`);
      return sendJson(res, 200, result.record, { 'x-microlib-version': route.servedBy });
    }
    const body: Record<string, unknown> = { data: result.page.records, limit: query.limit };
    if (query.cursor === undefined) body.offset = query.offset;
    if (result.page.total !== undefined) body.total = result.page.total;
    if (result.page.nextCursor !== undefined) body.nextCursor = result.page.nextCursor;
    return sendJson(res, 200, body, { 'x-microlib-version': route.servedBy });
  }

  async function optionalBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    return hasBody ? readJsonBody(req, options.bodyLimitBytes) : undefined;
  }

  /** `POST /<endpoint>/:id/commands/<name>` (or `PATCH /<endpoint>/:id/<name>`): runs a command; the body (optional) is its input. */
  async function handleCommand(req: IncomingMessage, res: ServerResponse, route: ServedModel, id: string, name: string, caller: Caller | undefined) {
    const input = await optionalBody(req);
    const record = await route.service.command(id, name, input, expectedRevision(req), caller);
    return sendJson(res, 200, record, { etag: etagOf(record), 'x-microlib-version': route.servedBy });
  }

  /**
   * `POST /<endpoint>/:id/ports/<port>`: runs an inbound port with the body as its
   * input and answers when that step is done (the flow it starts goes on).
   */
  async function handlePort(req: IncomingMessage, res: ServerResponse, route: ServedModel, id: string, name: string, caller: Caller | undefined) {
    if (req.method !== 'POST') throw methodNotAllowed(req, 'POST');
    const port = route.model.ports.get(name);
    if (!port) throw new MicrolibError('MLB_ERR_NOT_FOUND', `${route.model.name} has no port "${name}"`);
    if (port.type !== 'inbound') throw new MicrolibError('MLB_ERR_FORBIDDEN', `port "${name}" of ${route.model.name} is outbound: only inbound ports can be called over HTTP`);
    const input = await optionalBody(req);
    const expected = expectedRevision(req);
    if (expected !== undefined) {
      const existing = await route.service.get(id, caller);
      if (existing.revision !== expected) throw new MicrolibError('MLB_ERR_PRECONDITION_FAILED', `${route.model.name} ${id} was changed by another request (current revision ${existing.revision})`, 'If-Match');
    }
    const record = await route.service.startPort(id, name, input, caller);
    return sendJson(res, 200, record, { etag: etagOf(record), 'x-microlib-version': route.servedBy });
  }

  /** Answers a request whose path starts with MODELS_PREFIX. */
  return async function handleModelRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // One catalog for the whole request, whatever a hot deploy does meanwhile.
    const startedAt = options.observe ? performance.now() : 0;
    let modelName = '-';
    let kind: RouteKind = 'unknown';
    const current = catalog.current;
    current.enter();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? '' : url.slice(q + 1);
    const rest = path.slice(MODELS_PREFIX.length);
    const slash = rest.indexOf('/');
    const endpoint = slash === -1 ? rest : rest.slice(0, slash);
    const tail = slash === -1 ? '' : rest.slice(slash + 1);
    try {
      // Who asks comes first: an anonymous client learns nothing, not even which models exist.
      const caller = options.authenticate ? await options.authenticate(req) : undefined;
      const route = current.atEndpoint(endpoint);
      if (!route) throw new MicrolibError('MLB_ERR_NOT_FOUND', `no model is served at ${MODELS_PREFIX}${endpoint}`);
      modelName = route.model.name;
      kind = 'collection';
      if (tail === '') return await handleCollection(req, res, route, endpoint, search, caller);
      const segments = tail.split('/');
      let decoded: string[];
      try {
        decoded = segments.map(decodeURIComponent);
      } catch {
        throw new MicrolibError('MLB_ERR_VALIDATION', 'the path is not valid percent-encoding', 'id');
      }
      const [id, second, third] = decoded as [string, string?, string?];
      kind = segments.length === 1 ? 'item' : segments.length === 2 ? (req.method === 'PATCH' ? 'command' : 'relation') : second === 'commands' ? 'command' : second === 'ports' ? 'port' : 'unknown';
      if (segments.length === 1) return await handleItem(req, res, route, current, id, search, caller);
      if (segments.length === 2) {
        if (req.method === 'PATCH') return await handleCommand(req, res, route, id, second!, caller);
        return await handleRelation(req, res, route, current, id, second!, search, caller);
      }
      if (segments.length === 3 && second === 'commands') {
        if (req.method !== 'POST') throw methodNotAllowed(req, 'POST');
        return await handleCommand(req, res, route, id, third!, caller);
      }
      if (segments.length === 3 && second === 'ports') return await handlePort(req, res, route, id, third!, caller);
      throw new MicrolibError('MLB_ERR_NOT_FOUND', `no route ${path}`);
    } catch (error) {
      if (error instanceof MicrolibError) {
        const headers =
          error instanceof MethodNotAllowed ? { allow: error.allow } : error instanceof UnauthorizedError ? { 'www-authenticate': error.wwwAuthenticate } : retryAfter(error);
        // A refused body may still be arriving; closing is cheaper than reading it.
        if (error.code === 'MLB_ERR_PAYLOAD_TOO_LARGE') res.setHeader('connection', 'close');
        sendError(res, error, headers);
        if (error.code === 'MLB_ERR_PAYLOAD_TOO_LARGE') res.on('finish', () => req.destroy());
        return;
      }
      options.onInternalError(error, req);
      sendError(res, internalError(req));
    } finally {
      current.leave();
      options.observe?.(modelName, kind, req.method ?? '-', res.statusCode, startedAt);
    }
  };
}

/** An open circuit tells clients when to come back. */
function retryAfter(error: MicrolibError): Record<string, string> | undefined {
  const ms = error instanceof PortCallError ? error.retryAfterMs : undefined;
  return ms === undefined ? undefined : { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) };
}

class MethodNotAllowed extends MicrolibError {
  constructor(
    method: string | undefined,
    readonly allow: string,
  ) {
    super('MLB_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allow}`);
  }
}

function methodNotAllowed(req: IncomingMessage, allowed: string): MicrolibError {
  return new MethodNotAllowed(req.method, allowed);
}
