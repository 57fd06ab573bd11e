/**
 * Reads a request body into memory within bounds: at most `limit` bytes (413, at
 * once when Content-Length says more, else as soon as the stream passes it), only
 * bytes the host-wide body budget grants (503), and optionally within a deadline
 * (408). A refused body is no longer kept: what arrived is dropped, and the rest
 * is discarded as it comes until the caller's answer closes the connection.
 */
import type { IncomingMessage } from 'node:http';
import { MicrolibError } from '../../domain/errors.js';
import { budgetExhausted, type BodyClaim } from './body-budget.js';

export interface BodyBounds {
  /** Largest body accepted, in bytes. */
  limit: number;
  /** This body's share of the host-wide budget; the caller releases it. */
  claim?: BodyClaim;
  /** The whole body must have arrived this many milliseconds after reading starts. */
  deadlineMs?: number;
}

/** Errors of bodies refused before they were read whole. */
const unread = new WeakSet<MicrolibError>();

function refused<E extends MicrolibError>(error: E): E {
  unread.add(error);
  return error;
}

export function tooLarge(limit: number): MicrolibError {
  return refused(new MicrolibError('MLB_ERR_PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`));
}

/** The body length the client announced, or undefined (chunked, or none). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const value = Number(header);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Whether the body was refused before it was read whole (too large, over the budget, too
 * slow): the rest may still be arriving, so the answer should close the connection.
 */
export function refusedUnread(error: MicrolibError): boolean {
  return unread.has(error);
}

/** Reads the body as {@link receiveBoundedBody} does, as a promise. */
export function readBoundedBody(req: IncomingMessage, bounds: BodyBounds): Promise<Buffer> {
  return new Promise((resolve, reject) => receiveBoundedBody(req, bounds, resolve, reject));
}

/**
 * Reads the body within `bounds` and calls `onBody` with its bytes once it has
 * all arrived, or `onRefused` once (and nothing else after) when it is refused or
 * the client goes away. A parser's callback runs in the turn the body ended in:
 * the generated API's creates take no promise and no extra turn for the read itself.
 * Neither callback may throw: they run inside the request's stream events.
 */
export function receiveBoundedBody(req: IncomingMessage, { limit, claim, deadlineMs }: BodyBounds, onBody: (bytes: Buffer) => void, onRefused: (error: MicrolibError) => void): void {
  const declared = declaredLength(req);
  // Refused before a byte is read: the client learns at once, and nothing is buffered.
  if (declared !== undefined && declared > limit) return onRefused(tooLarge(limit));
  if (declared !== undefined && claim && !claim.grow(declared)) return onRefused(refused(budgetExhausted()));
  let chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const timer = deadlineMs === undefined ? undefined : setTimeout(() => fail(refused(new MicrolibError('MLB_ERR_TIMEOUT', `the request body did not arrive within ${deadlineMs} ms`))), deadlineMs);
  const fail = (error: MicrolibError) => {
    if (settled) return;
    settled = true;
    if (timer) clearTimeout(timer);
    // Whatever still arrives is read and dropped, never buffered.
    req.off('data', onData);
    req.on('data', ignore);
    chunks = [];
    onRefused(error);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) return fail(tooLarge(limit));
    // Without a declared length the claim grows with the body.
    if (declared === undefined && claim && !claim.grow(chunk.length)) return fail(refused(budgetExhausted()));
    chunks.push(chunk);
  };
  req.on('data', onData);
  // A client that disconnects mid-body surfaces as an error ("aborted") or a close before the end.
  // The errors are made only when the body is still unread: 'close' fires after every request, and an error's stack costs microseconds.
  req.on('error', (error) => settled || fail(new MicrolibError('MLB_ERR_BAD_JSON', `request body could not be read: ${error.message}`)));
  req.on('close', () => settled || fail(new MicrolibError('MLB_ERR_BAD_JSON', 'the client closed the connection before the body ended')));
  req.on('end', () => {
    if (settled) return;
    settled = true;
    if (timer) clearTimeout(timer);
    // No 'data' can follow 'end', so its listener may stay.
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    chunks = [];
    onBody(bytes);
  });
}

function ignore(): void {}
