/**
 * One remote's reload queue: reloads run one at a time, and requests arriving
 * while one runs share a single follow-up reload of the newest target.
 */
import type { ReloadRequest, ReloadResult } from './remote-state.js';

/** The follow-up reload waiting for the running one; its request may still be replaced. */
interface Slot {
  request: ReloadRequest;
  promise: Promise<ReloadResult>;
}

/**
 * Whether `incoming` takes the place of the `waiting` request. A newer request
 * wins, except that a bare poll never displaces a request for a specific version
 * (a pushed commit), and a push whose commit the waiting push replaced is older
 * (deliveries can arrive out of order), so it loses.
 */
export function supersedes(incoming: ReloadRequest, waiting: ReloadRequest): boolean {
  const older = incoming.version !== undefined && incoming.version === waiting.replaces;
  return !older && (incoming.version !== undefined || waiting.version === undefined);
}

export class ReloadQueue {
  private running: Promise<unknown> | undefined;
  private queued: Slot | undefined;
  /** Reloads started or waiting and not yet finished. */
  private pending = 0;

  /** `run` performs one reload; the queue never calls it twice at once. */
  constructor(private readonly run: (request: ReloadRequest) => Promise<ReloadResult>) {}

  /** Queues a reload behind the running one, or joins the reload already waiting. */
  request(request: ReloadRequest): Promise<ReloadResult> {
    if (this.queued) {
      const waiting = this.queued.request;
      const next = supersedes(request, waiting) ? request : waiting;
      // The one reload answers both callers: if either allowed removing models, it does.
      this.queued.request = request.allowRemove === true || waiting.allowRemove === true ? { ...next, allowRemove: true } : next;
      return this.queued.promise;
    }
    const before = this.running ?? Promise.resolve();
    this.pending++;
    const slot = { request } as Slot;
    slot.promise = before
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        const run = this.run(slot.request);
        this.running = run;
        return run;
      })
      .finally(() => this.pending--);
    this.queued = slot;
    return slot.promise;
  }

  /**
   * Makes later requests wait for `run`, a load started outside the queue (at
   * startup). Unlike `request`, it does not make the queue busy.
   */
  follow(run: Promise<unknown>): void {
    this.running = run;
  }

  /** Whether a reload is running or waiting. */
  get busy(): boolean {
    return this.pending > 0;
  }
}
