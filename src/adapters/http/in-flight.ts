/**
 * Counts the HTTP requests being answered, so a stopping host can let them
 * finish (within a bound) before it closes their connections. While draining,
 * answers carry `Connection: close`, so keep-alive clients go elsewhere.
 */
import type { Server, ServerResponse } from 'node:http';

export class InFlightRequests {
  private readonly open = new Set<ServerResponse>();
  private readonly idleWaiters: Array<() => void> = [];
  private draining = false;

  constructor(server: Server) {
    // One listener shared by every response (no closure per request: this is the hot path).
    const tracker = this;
    function closed(this: ServerResponse): void {
      tracker.open.delete(this);
      if (tracker.open.size === 0) for (const wake of tracker.idleWaiters.splice(0)) wake();
    }
    server.prependListener('request', (_req, res: ServerResponse) => {
      this.open.add(res);
      if (this.draining) res.setHeader('connection', 'close');
      // 'close' comes once the answer is sent or the client went away.
      res.on('close', closed);
    });
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
