/**
 * `createNodeHandler()`: the host as a plain `(req, res)` function, for any
 * runtime that hands a function node's request and response (or Express's,
 * which extend them): Google Cloud Functions and Cloud Run functions, Knative
 * functions, OpenFaaS, a server of your own.
 *
 * A request whose body nobody has read yet goes straight to the host's request
 * listener: the same code path as a client of `npm start`, streaming both ways.
 * A request whose body the runtime already read (Google's functions framework
 * parses every body and keeps the bytes in `req.rawBody`) cannot be read again,
 * so it is answered through `host.inject` with those bytes, and the answer is
 * copied to `res`.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Host } from '../host/create-host.js';
import { functionDefaults, functionHost, type FunctionHostOptions } from './function-host.js';

export type NodeHandlerOptions = FunctionHostOptions;

export interface NodeHandler {
  (req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** The started host, starting it now if no request has. */
  host(): Promise<Host>;
  stop(): Promise<void>;
}

/** What Express-like runtimes leave on a request whose body they read. */
type ReadRequest = IncomingMessage & { rawBody?: unknown; body?: unknown };

/** Framing of the in-process answer, not of the one `res` sends. */
const NOT_COPIED = new Set(['connection', 'keep-alive', 'transfer-encoding']);
/** Framing of the runtime's request: the in-process one frames its body itself. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'expect']);

export function createNodeHandler(options: NodeHandlerOptions = {}): NodeHandler {
  const instance = functionHost(options, functionDefaults());

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let host: Host;
    try {
      host = await instance.get();
    } catch {
      // The log line names the cause; the client learns only that the function cannot serve yet.
      return sendJson(res, 503, { error: { code: 'MLB_ERR_UNAVAILABLE', message: "the function's host failed to start; its log says why" } });
    }
    const body = bodyAlreadyRead(req as ReadRequest);
    // The host's server runs its request listeners (request id, in-flight count, router or admin app) on it.
    if (body === undefined) return void host.server.emit('request', req, res);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
    }
    const answer = await host.inject({ method: req.method ?? 'GET', url: req.url ?? '/', headers, ...(body === null ? {} : { body }) });
    const copied: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !NOT_COPIED.has(name)) copied[name] = value;
    res.writeHead(answer.status, copied);
    res.end(answer.raw);
  };
  return Object.assign(handler, { host: () => instance.get(), stop: () => instance.stop() });
}

/**
 * The body a runtime already read: `rawBody`'s bytes, else what its parser left in
 * `body` (bytes or text as they are, parsed JSON serialised again); null when the
 * request has been read and had none; undefined when nobody read it yet.
 */
function bodyAlreadyRead(req: ReadRequest): Buffer | string | null | undefined {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (typeof req.rawBody === 'string') return req.rawBody;
  if (!req.readableEnded) return undefined;
  const parsed = req.body;
  if (parsed === undefined || parsed === null) return null;
  if (Buffer.isBuffer(parsed) || typeof parsed === 'string') return parsed;
  // Express's parsers leave `{}` when there was nothing to parse.
  if (typeof parsed === 'object' && Object.keys(parsed).length === 0 && !Array.isArray(parsed)) return null;
  return JSON.stringify(parsed);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
