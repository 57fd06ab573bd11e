/**
 * One budget of request-body bytes held in memory at once, shared by every reader
 * of the process (the generated API's JSON bodies, webhook and reload bodies). A
 * body that does not fit is refused with 503 instead of growing the process: many
 * large uploads at once cannot take the host's memory.
 */
import { MicrolibError } from '../../domain/errors.js';

/** One body's share of the budget: it grows as bytes arrive and is given back whole, once. */
export interface BodyClaim {
  /** Adds `bytes`; false (and nothing added) when they do not fit in what is left. */
  grow(bytes: number): boolean;
  /** Gives back every byte of this claim; later calls do nothing. */
  release(): void;
}

/** 64 MiB: the default MAX_BUFFERED_BODY_BYTES. */
export const DEFAULT_BODY_BUDGET_BYTES = 67_108_864;

export class BodyBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  /** Bytes claimed by bodies being read or held now. */
  get inUse(): number {
    return this.used;
  }

  claim(): BodyClaim {
    let held = 0;
    let released = false;
    return {
      grow: (bytes) => {
        if (released || this.used + bytes > this.capacity) return false;
        this.used += bytes;
        held += bytes;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.used -= held;
        held = 0;
      },
    };
  }
}

/** A refusal the client should retry a little later (503 with Retry-After). */
export class BusyError extends MicrolibError {
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs = 1_000) {
    super('MLB_ERR_UNAVAILABLE', message);
    this.retryAfterMs = retryAfterMs;
  }
}

export function budgetExhausted(): BusyError {
  return new BusyError('the host is reading too many request bodies at once (MAX_BUFFERED_BODY_BYTES); retry shortly');
}
