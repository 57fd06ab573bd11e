/**
 * One node:http server: generated model routes go to the model router, all
 * else to the Express admin app; WebSocket upgrades go to the handler of their path.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { MODELS_PREFIX } from './models-prefix.js';
import { assignRequestId } from './request-id.js';

export interface HttpServerDeps {
  handleModelRequest(req: IncomingMessage, res: ServerResponse): Promise<void>;
  adminApp(req: IncomingMessage, res: ServerResponse): void;
  /** WebSocket endpoints by path. */
  upgrades?: ReadonlyMap<string, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
  /** Told of every request before anything else (in-flight tracking for a graceful stop). */
  inFlight?: { track(res: ServerResponse): void };
  /** Called once each answer is sent (the access log), with the time the request arrived. */
  onResponse?(req: IncomingMessage, res: ServerResponse, startedAt: number): void;
}

/** With `tls`, an HTTPS server (WebSocket upgrades then are wss). */
export function createHttpServer(deps: HttpServerDeps, tls?: https.ServerOptions): http.Server {
  const { onResponse, inFlight } = deps;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    inFlight?.track(res);
    if (onResponse) {
      const startedAt = performance.now();
      res.once('finish', () => onResponse(req, res, startedAt));
    }
    // The generated API's answers carry the id through respond.ts (see assignRequestId).
    if (req.url?.startsWith(MODELS_PREFIX)) {
      assignRequestId(req);
      void deps.handleModelRequest(req, res);
    } else {
      assignRequestId(req, res);
      deps.adminApp(req, res);
    }
  };
  // An https.Server is an http.Server with TLS in front: same events, same timeouts.
  const server: http.Server = tls ? https.createServer(tls, handle) : http.createServer(handle);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const handle = deps.upgrades?.get(path);
    if (handle) return handle(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  // CONNECT asks for a tunnel, which this server never opens; without a listener node
  // would close the socket with no answer at all.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    const body = JSON.stringify({ error: { code: 'MLB_ERR_METHOD_NOT_ALLOWED', message: 'CONNECT is not allowed: this server is not a proxy' } });
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\nallow: GET, POST, PUT, PATCH, DELETE\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  // Requests node's parser refuses (bytes it does not allow in the URL, headers over
  // 16 KiB, an unknown method, bad framing) would get node's bare answer with no body:
  // answer them in the API's JSON error shape instead.
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const [status, reason, code, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'MLB_ERR_BAD_REQUEST', 'the request line and headers exceed 16 KiB']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'MLB_ERR_TIMEOUT', 'the request took too long to arrive']
          : [400, 'Bad Request', 'MLB_ERR_BAD_REQUEST', `the request could not be parsed (${error.code ?? 'bad request'})`];
    const body = JSON.stringify({ error: { code, message } });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  // Bound slow clients: headers within 20 s, whole request within 60 s.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
