/**
 * A request id per request: the caller's `X-Request-Id` when it is a plain token
 * (a gateway's id ties our log lines to its own), else one of ours. Echoed in the
 * response and named in the log lines and internal-error answers of the request.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Letters, digits and `._:-`, at most 128: anything else could forge log lines or headers. */
export const PLAIN_TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;

// A random prefix per process and a counter: unique across restarts and workers, no
// crypto call per request.
const prefix = randomBytes(6).toString('base64url');
let sequence = 0;

/** Kept on the request itself: cheaper per request than a WeakMap. */
const ID = Symbol('microlib.requestId');
type WithId = IncomingMessage & { [ID]?: string };

/**
 * Gives `req` its id and, with `res`, sets the response header. The generated
 * API's answers leave `res` out: respond.ts writes the header with the others
 * in one writeHead, since any setHeader call sends node's writeHead down its
 * slower path of merging header objects.
 */
export function assignRequestId(req: IncomingMessage, res?: ServerResponse): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const id = typeof given === 'string' && PLAIN_TOKEN.test(given) ? given : `${prefix}-${(++sequence).toString(36)}`;
  (req as WithId)[ID] = id;
  res?.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** The id given to `req`, or `-` for a request that never went through the server (tests calling a handler directly). */
export function requestIdOf(req: IncomingMessage): string {
  return (req as WithId)[ID] ?? '-';
}
