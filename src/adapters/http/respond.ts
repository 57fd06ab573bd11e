/** Writing JSON (or MessagePack) answers and errors straight to node:http responses (no framework on the hot path). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicrolibError, type ErrorCode } from '../../domain/errors.js';
import { jsonOf } from '../../domain/record-json.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
import { encodeMsgpack } from '../wire/msgpack-codec.js';
import { MSGPACK_MEDIA_TYPE, type WireFormat } from '../wire/media-types.js';

const STATUS: Record<ErrorCode, number> = {
  MLB_ERR_VALIDATION: 400,
  MLB_ERR_BAD_QUERY: 400,
  MLB_ERR_BAD_JSON: 400,
  MLB_ERR_NOT_FOUND: 404,
  MLB_ERR_METHOD_NOT_ALLOWED: 405,
  MLB_ERR_CONFLICT: 409,
  MLB_ERR_PRECONDITION_FAILED: 412,
  MLB_ERR_PAYLOAD_TOO_LARGE: 413,
  MLB_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  MLB_ERR_NOT_ACCEPTABLE: 406,
  MLB_ERR_UNAUTHORIZED: 401,
  MLB_ERR_FORBIDDEN: 403,
  MLB_ERR_TOO_MANY_REQUESTS: 429,
  MLB_ERR_UNAVAILABLE: 503,
  MLB_ERR_TIMEOUT: 504,
  MLB_ERR_PORT_FAILED: 502,
  MLB_ERR_NOT_IMPLEMENTED: 501,
  MLB_ERR_PLACEMENT_MISMATCH: 502,
  MLB_ERR_REMOTE_UNAVAILABLE: 503,
  MLB_ERR_INTERNAL: 500,
};

/** The request's id among the answer's headers (see assignRequestId), when it has one. */
function addRequestId(res: ServerResponse, headers: Record<string, string | number>): void {
  const id = requestIdOf(res.req);
  if (id !== '-') headers[REQUEST_ID_HEADER] = id;
}

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/**
 * Sends `body` as JSON. `headers`, when given, must be an object the caller
 * made for this response: the content headers are added to it (no copy on the
 * hot path).
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  // A record fresh from a datasource may carry its JSON text already.
  sendJsonText(res, status, (typeof body === 'object' && body !== null && jsonOf(body)) || JSON.stringify(body), headers);
}

/** Sends `text`, which is JSON already; `headers` as for {@link sendJson}. */
export function sendJsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string | number> = {}): void {
  addRequestId(res, headers);
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = Buffer.byteLength(text);
  res.writeHead(status, headers);
  res.end(text);
}

/** Sends `body` as MessagePack; `headers` as for {@link sendJson}. BigInt values go as 64-bit integers. */
export function sendMsgpack(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const bytes = encodeMsgpack(body);
  addRequestId(res, headers);
  headers['content-type'] = MSGPACK_MEDIA_TYPE;
  headers['content-length'] = bytes.byteLength;
  res.writeHead(status, headers);
  res.end(bytes);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  addRequestId(res, headers);
  res.writeHead(status, headers);
  res.end();
}

/** The JSON error body every endpoint uses: `{ error: { code, message, field? } }`. */
export function errorBody(error: MicrolibError): { error: { code: string; message: string; field?: string } } {
  return { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
}

/** Sends the error body in `format` (the answer format the request negotiated; JSON by default). */
export function sendError(res: ServerResponse, error: MicrolibError, headers?: Record<string, string | number>, format: WireFormat = 'json'): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (format === 'msgpack') sendMsgpack(res, statusOf(error.code), errorBody(error), headers);
  else sendJson(res, statusOf(error.code), errorBody(error), headers);
}

/**
 * An error whose message a client may read: any MicrolibError but
 * MLB_ERR_INTERNAL, whose message is for the log only (it may quote what a
 * database server said, a path, a stack). Anything else is answered with
 * {@link internalError} and logged.
 */
export function isClientFacing(error: unknown): error is MicrolibError {
  return error instanceof MicrolibError && error.code !== 'MLB_ERR_INTERNAL';
}

/** The answer to an error the host did not expect: no details, only the request id its log line carries. */
export function internalError(req: IncomingMessage): MicrolibError {
  return new MicrolibError('MLB_ERR_INTERNAL', `internal error; the host log has it under request id ${requestIdOf(req)}`);
}
