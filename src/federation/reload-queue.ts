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
  /** The last reload or task scheduled: the next one starts after it. */
  private tail: Promise<unknown> = Promise.resolve();
  /** The reload waiting at the tail, which requests arriving now join. */
  private queued: Slot | undefined;
  /** Reloads and tasks started or waiting and not yet finished. */
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
    const slot = { request } as Slot;
    slot.promise = this.schedule(() => {
      if (this.queued === slot) this.queued = undefined;
      return this.run(slot.request);
    });
    this.queued = slot;
    return slot.promise;
  }

  /**
   * Runs `task` (a canary's start, split, promotion or end) alone, after everything
   * queued before it; reloads requested later wait for it and never join one queued before.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    this.queued = undefined;
    return this.schedule(task);
  }

  private schedule<T>(work: () => Promise<T>): Promise<T> {
    this.pending++;
    const promise = this.tail
      .catch(() => undefined)
      .then(work)
      .finally(() => this.pending--);
    this.tail = promise;
    return promise;
  }

  /**
   * Makes later requests wait for `run`, a load started outside the queue (at
   * startup). Unlike `request`, it does not make the queue busy.
   */
  follow(run: Promise<unknown>): void {
    this.tail = run;
  }

  /** Whether a reload (or a canary task) is running or waiting. */
  get busy(): boolean {
    return this.pending > 0;
  }
}
