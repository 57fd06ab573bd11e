/**
 * The generated REST API, `/microlib/api/models/<endpoint>[/<id>]`, answered on
 * node:http directly: Express's router and response helpers cost most of a
 * request's time, so the hot path does not go through them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicrolibError, ModelCodeError } from '../../domain/errors.js';
import type { FieldSpec } from '../../domain/model-spec.js';
import type { VersionTally } from '../../domain/resilience/version-tally.js';
import { readObjectBody, type BodyShape } from './read-body.js';
import { checkQueryEncoding } from './query-encoding.js';
import { BusyError, type BodyBudget } from './body-budget.js';
import { refusedUnread } from './bounded-body.js';
import { internalError, isClientFacing, sendError } from './respond.js';
import { ANSWER_MEDIA_TYPES, answerFormat } from '../wire/media-types.js';
import type { CatalogView } from '../../catalog/live-catalog.js';
import { PortCallError } from '../../domain/ports/port-invoker.js';
import { refusalHeaders, type RequestAuthenticator } from '../auth/request-authenticator.js';
import type { RouteKind } from '../metrics/metrics.js';
import { MODELS_PREFIX } from './models-prefix.js';
import { buildDispatchTable, matchShape, type PathShape } from './routes/route-dispatch.js';
import { modelRouteHandlers, type RequestBody, type RouteHandler, type RouteHandlerOptions, type RouteRequest } from './routes/route-handlers.js';
import type { ModelRoute } from './routes/model-routes.js';
import { chooseSide } from './version-choice.js';

export interface ModelRouterOptions extends RouteHandlerOptions {
  bodyLimitBytes: number;
  /** The host-wide budget of buffered body bytes (503 when a body does not fit). */
  bodyBudget?: BodyBudget;
  /** When authentication is on: who the request is from (rejects with 401/429). */
  authenticate?: RequestAuthenticator;
  /** Told of every answered request (metrics); `model` is '-' when no model matched. */
  observe?(model: string, route: RouteKind, method: string, status: number, startedAt: number): void;
  onInternalError(error: unknown, req: IncomingMessage): void;
}

/** `"3"`, `W/"3"` or `*` → 3 or undefined; anything else is a 400. */
function expectedRevision(req: IncomingMessage): number | undefined {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header);
  if (!match) throw new MicrolibError('MLB_ERR_VALIDATION', 'If-Match must be an ETag from a previous response, e.g. "3"', 'If-Match');
  return Number(match[1]);
}

const NO_SEGMENTS: readonly string[] = [];

/** The decoded segments of `tail` (throws URIError on bad percent-encoding); one id, the commonest, is neither split nor scanned twice. */
function pathSegments(tail: string): string[] {
  if (tail.indexOf('/') !== -1) return tail.split('/').map(decodeURIComponent);
  return [tail.indexOf('%') === -1 ? tail : decodeURIComponent(tail)];
}

/** The routes of MODEL_ROUTES (`routes/model-routes.ts`), answered by their handlers. */
export function createModelRouter(catalog: CatalogView, options: ModelRouterOptions) {
  const table = buildDispatchTable(modelRouteHandlers(options));
  // `/<endpoint>` itself: the commonest requests skip splitting and matching.
  const collection = table[0]![0]!;

  /** A body a command or port (an object) or a batch delete (an array) may go without. */
  async function optionalBody(req: IncomingMessage, shape: BodyShape): Promise<RequestBody | undefined> {
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    return hasBody ? readObjectBody(req, options.bodyLimitBytes, options.bodyBudget, shape) : undefined;
  }

  /** The body `route` reads, if any; `fields` says where a MessagePack body may hold a BigInt or a Date. */
  function readBody(req: IncomingMessage, route: ModelRoute, fields: Record<string, FieldSpec> | undefined): Promise<RequestBody | undefined> | undefined {
    const body = route.body;
    if (body === undefined) return undefined;
    if (body.schema === 'any') return optionalBody(req, 'object');
    if (body.schema === 'deletions') return optionalBody(req, 'array');
    return readObjectBody(req, options.bodyLimitBytes, options.bodyBudget, body.batch === 'only' ? 'array' : body.batch === 'also' ? 'object-or-array' : 'object', fields);
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
    // No Accept, `*/*` or `application/json`: JSON, with a compare or two and no parsing.
    const format = answerFormat(req.headers.accept);
    // Set when the endpoint's remote runs a canary: the chosen version's outcomes are counted there.
    let tally: VersionTally | undefined;
    let tallyStart = 0;
    let modelFailure = false;
    try {
      // Answered before anything is done (a create would otherwise happen with no answer the client can read).
      if (format === undefined) throw new NotAcceptable();
      // Who asks comes first: an anonymous client learns nothing, not even which models exist.
      const caller = options.authenticate ? await options.authenticate(req) : undefined;
      let served = current.atEndpoint(endpoint);
      if (!served) throw new MicrolibError('MLB_ERR_NOT_FOUND', `no model is served at ${MODELS_PREFIX}${endpoint}`);
      // One comparison when no canary runs; otherwise one decision picks the version for the whole request.
      const split = current.splits === null ? undefined : current.splits.get(endpoint);
      if (split !== undefined) {
        tallyStart = startedAt || performance.now();
        const side = chooseSide(split, req, caller);
        served = side.served;
        tally = side.tally;
      }
      modelName = served.model.name;
      // A path that is not percent-encoding counts as the collection's, as it always has in the metrics.
      kind = 'collection';
      let segments = NO_SEGMENTS;
      let shape: PathShape<RouteHandler> | undefined = collection;
      if (tail !== '') {
        try {
          segments = pathSegments(tail);
        } catch {
          throw new MicrolibError('MLB_ERR_VALIDATION', 'the path is not valid percent-encoding', 'id');
        }
        shape = matchShape(table, segments);
      }
      if (!shape) {
        kind = 'unknown';
        throw new MicrolibError('MLB_ERR_NOT_FOUND', `no route ${path}`);
      }
      kind = shape.kind;
      checkQueryEncoding(search);
      const dispatch = shape.byMethod.get(req.method ?? '');
      if (!dispatch) throw new MethodNotAllowed(req.method, shape.allow);
      const { route, handler } = dispatch;
      kind = route.kind;
      const request: RouteRequest = {
        req,
        res,
        served,
        catalog: current,
        endpoint,
        id: shape.idAt === -1 ? '' : segments[shape.idAt]!,
        name: shape.nameAt === -1 ? '' : segments[shape.nameAt]!,
        search,
        caller,
        format,
      };
      handler.check?.(request);
      // No await without a body: GET stays free of an extra turn.
      const reading = readBody(req, route, served.model.spec.fields);
      const input = reading === undefined ? undefined : await reading;
      const answering = handler.answer(request, input, route.ifMatch ? expectedRevision(req) : undefined);
      if (answering !== undefined) await answering;
    } catch (error) {
      if (tally !== undefined && error instanceof ModelCodeError) modelFailure = true;
      if (isClientFacing(error)) {
        const headers =
          error instanceof MethodNotAllowed ? { allow: error.allow } : (refusalHeaders(error) ?? retryAfter(error));
        // A refused body may still be arriving; closing is cheaper than reading it.
        const unread = refusedUnread(error);
        if (unread) res.setHeader('connection', 'close');
        // The error in the format the client reads; a 406 in the default one, as the client accepts neither.
        sendError(res, error, headers, format ?? 'json');
        if (unread) res.on('finish', () => req.destroy());
        return;
      }
      options.onInternalError(error, req);
      sendError(res, internalError(req), undefined, format ?? 'json');
    } finally {
      current.leave();
      options.observe?.(modelName, kind, req.method ?? '-', res.statusCode, startedAt);
      tally?.record(res.statusCode, performance.now() - tallyStart, modelFailure);
    }
  };
}

/** An open circuit, or a host reading too many bodies, tells clients when to come back. */
function retryAfter(error: MicrolibError): Record<string, string> | undefined {
  const ms = error instanceof PortCallError || error instanceof BusyError ? error.retryAfterMs : undefined;
  return ms === undefined ? undefined : { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) };
}

class NotAcceptable extends MicrolibError {
  constructor() {
    super('MLB_ERR_NOT_ACCEPTABLE', `Accept allows none of the formats this API answers in: ${ANSWER_MEDIA_TYPES.join(', ')}`, 'accept');
  }
}

class MethodNotAllowed extends MicrolibError {
  constructor(
    method: string | undefined,
    readonly allow: string,
  ) {
    super('MLB_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allow}`);
  }
}
