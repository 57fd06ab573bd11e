/**
 * Counts the HTTP requests being answered, so a stopping host can let them
 * finish (within a bound) before it closes their connections. While draining,
 * answers carry `Connection: close`, so keep-alive clients go elsewhere.
 */
import type { ServerResponse } from 'node:http';

/**
 * The open responses form a list linked through the responses themselves: no
 * hashing per request, and no hash table to shrink and grow again as the
 * number in flight goes up and down (a Set did both, on every request).
 */
const PREVIOUS = Symbol('microlib.inFlight.previous');
const NEXT = Symbol('microlib.inFlight.next');

type Tracked = ServerResponse & { [PREVIOUS]: Tracked | null; [NEXT]: Tracked | null };

export class InFlightRequests {
  /** The most recently tracked response still open. */
  private newest: Tracked | null = null;
  private count = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private draining = false;
  /** One listener shared by every response (no closure per request: this is the hot path). */
  private readonly closed: (this: ServerResponse) => void;

  constructor() {
    const tracker = this;
    this.closed = function closed(this: ServerResponse): void {
      tracker.untrack(this as Tracked);
      if (tracker.count === 0 && tracker.idleWaiters.length > 0) for (const wake of tracker.idleWaiters.splice(0)) wake();
    };
  }

  /**
   * Counts `res` until it closes. The server's request handler calls it first
   * thing: a 'request' listener of its own would make node copy the listener
   * array on every request.
   */
  track(res: ServerResponse): void {
    const tracked = res as Tracked;
    tracked[PREVIOUS] = null;
    tracked[NEXT] = this.newest;
    if (this.newest !== null) this.newest[PREVIOUS] = tracked;
    this.newest = tracked;
    this.count++;
    if (this.draining) res.setHeader('connection', 'close');
    // 'close' comes once the answer is sent or the client went away.
    res.on('close', this.closed);
  }

  get size(): number {
    return this.count;
  }

  /** Waits until no request is in flight, at most `timeoutMs`; resolves true when none is left. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    for (let res = this.newest; res !== null; res = res[NEXT]) if (!res.headersSent) res.setHeader('connection', 'close');
    if (this.count === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return idle;
  }

  /** Takes `res` out of the list; a second call for the same response does nothing. */
  private untrack(res: Tracked): void {
    const previous = res[PREVIOUS];
    const next = res[NEXT];
    if (previous === null && this.newest !== res) return;
    if (previous === null) this.newest = next;
    else previous[NEXT] = next;
    if (next !== null) next[PREVIOUS] = previous;
    res[PREVIOUS] = null;
    res[NEXT] = null;
    this.count--;
  }
}
