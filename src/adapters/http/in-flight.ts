/**
 * Counts the HTTP requests being answered, so a stopping host can let them
 * finish (within a bound) before it closes their connections. While draining,
 * answers carry `Connection: close`, so keep-alive clients go elsewhere.
 */
import type { ServerResponse } from 'node:http';

export class InFlightRequests {
  private readonly open = new Set<ServerResponse>();
  private readonly idleWaiters: Array<() => void> = [];
  private draining = false;
  /** One listener shared by every response (no closure per request: this is the hot path). */
  private readonly closed: (this: ServerResponse) => void;

  constructor() {
    const tracker = this;
    this.closed = function closed(this: ServerResponse): void {
      tracker.open.delete(this);
      if (tracker.open.size === 0 && tracker.idleWaiters.length > 0) for (const wake of tracker.idleWaiters.splice(0)) wake();
    };
  }

  /**
   * Counts `res` until it closes. The server's request handler calls it first
   * thing: a 'request' listener of its own would make node copy the listener
   * array on every request.
   */
  track(res: ServerResponse): void {
    this.open.add(res);
    if (this.draining) res.setHeader('connection', 'close');
    // 'close' comes once the answer is sent or the client went away.
    res.on('close', this.closed);
  }

  get size(): number {
    return this.open.size;
  }

  /** Waits until no request is in flight, at most `timeoutMs`; resolves true when none is left. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    for (const res of this.open) if (!res.headersSent) res.setHeader('connection', 'close');
    if (this.open.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return idle;
  }
}
