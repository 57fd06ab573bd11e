/**
 * Answering a request in-process, without a network socket: the request is
 * written to the host's own HTTP server through an in-memory stream pair, so
 * it meets exactly what a client's request meets (node's parser, the request
 * id, the generated API or the admin app, the access log) and needs no port.
 * For tests and for front doors that hand the host one request at a time.
 */
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import { Duplex } from 'node:stream';

export interface InjectRequest {
  method?: string;
  /** Path and query, e.g. `/microlib/api/models/orders?limit=5`. */
  url: string;
  headers?: Record<string, string>;
  /** A string or bytes as they are; any other value is sent as JSON (with its content type unless one is given). */
  body?: unknown;
  /** Gives up on the answer: the in-memory connection closes (the host sees its client leave) and the promise rejects with the reason. */
  signal?: AbortSignal;
}

export interface InjectResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text (UTF-8). */
  body: string;
  /** The body's bytes (a MessagePack answer's, say). */
  raw: Buffer;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
}

export function injector(server: Server): (request: InjectRequest | string) => Promise<InjectResponse> {
  return (request) => {
    const { method = 'GET', url, headers = {}, body, signal } = typeof request === 'string' ? { url: request } : request;
    const asJson = body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array);
    const raw = asJson ? JSON.stringify(body) : (body as string | Uint8Array | undefined);
    const sent = { ...headers };
    if (asJson && !Object.keys(sent).some((name) => name.toLowerCase() === 'content-type')) {
      sent['content-type'] = 'application/json';
    }
    return new Promise<InjectResponse>((resolve, reject) => {
      const [clientEnd, serverEnd] = streamPair();
      server.emit('connection', serverEnd);
      const req = http.request({ method, path: url, headers: { host: 'localhost', ...sent }, createConnection: () => clientEnd as never }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          clientEnd.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, raw, json: <T>() => JSON.parse(text) as T });
        });
      });
      req.on('error', reject);
      if (signal) {
        const abandon = () => {
          reject(signal.reason);
          req.destroy();
          clientEnd.destroy();
        };
        if (signal.aborted) return abandon();
        signal.addEventListener('abort', abandon, { once: true });
        req.once('close', () => signal.removeEventListener('abort', abandon));
      }
      req.end(raw);
    });
  };
}

/** Two connected in-memory streams: what one end writes, the other reads. */
function streamPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  for (let i = 0; i < 2; i++) {
    ends.push(
      new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, done) {
          ends[1 - i]!.push(chunk);
          done();
        },
        final(done) {
          ends[1 - i]!.push(null);
          done();
        },
        destroy(error, done) {
          const other = ends[1 - i]!;
          if (!other.destroyed) other.push(null);
          done(error);
        },
      }),
    );
  }
  return [ends[0]!, ends[1]!];
}
