/**
 * A request must be answered before the platform stops the function: past its
 * timeout Lambda kills the invocation and the client gets a bare 502/503 with
 * nothing in the host's log. So the handler gives up a margin before the
 * remaining time runs out, abandons the request (its in-memory connection
 * closes) and answers 504 in the API's error shape itself.
 */
import { randomUUID } from 'node:crypto';
import type { Answer } from './aws/response.js';

/** How long before the function's end an unanswered request is given up, by default (ms). */
export const DEFAULT_TIMEOUT_MARGIN_MS = 250;

/** Why a request was abandoned; `run` answers 504 with it. */
export class RemainingTimeExceeded extends Error {
  constructor(readonly budgetMs: number) {
    super(`the request was not answered within the function's remaining time (${budgetMs} ms before its margin)`);
    this.name = 'RemainingTimeExceeded';
  }
}

/**
 * Runs `work` with a signal that aborts `marginMs` before `remainingMs` ends; when it
 * does, resolves with `timedOut()` instead of waiting for the work. Without a
 * remaining time (a runtime that gives none) the work runs unbounded.
 */
export async function withinRemainingTime<T>(
  work: (signal: AbortSignal | undefined) => Promise<T>,
  remainingMs: number | undefined,
  marginMs: number,
  timedOut: (budgetMs: number) => T,
): Promise<T> {
  if (remainingMs === undefined || !Number.isFinite(remainingMs)) return work(undefined);
  const budgetMs = Math.max(0, Math.floor(remainingMs - marginMs));
  // No time left at all: the request is not even begun (a write must not half-happen).
  if (budgetMs === 0) return timedOut(0);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<T>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new RemainingTimeExceeded(budgetMs));
      resolve(timedOut(budgetMs));
    }, budgetMs);
  });
  try {
    // A work that fails after the deadline fired has been abandoned: its rejection is nobody's.
    const working = work(controller.signal);
    working.catch(() => undefined);
    return await Promise.race([working, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The 504 the handler answers itself, as the host would word it. */
export function timeoutAnswer(budgetMs: number, requestId: string | undefined): Answer {
  const id = requestId ?? randomUUID();
  const body = JSON.stringify({
    error: {
      code: 'MLB_ERR_TIMEOUT',
      message: `no answer within the function's remaining time (${budgetMs} ms): the request was abandoned, and a write it made may still have happened; request id ${id}`,
    },
  });
  return { status: 504, headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': id, 'content-length': String(Buffer.byteLength(body)) }, raw: Buffer.from(body) };
}
