/**
 * The last few failures of each port, for operators (the dashboard, `/microlib/api/ports`):
 * a small ring per port, so a port failing all day costs the same memory as one failing once.
 */

/** One failed port call, as the operator sees it. */
export interface PortFailure {
  /** ISO time the failure was recorded. */
  at: string;
  /** `failed`: a flow step failed after its retries; `undo-failed`: its compensation failed. */
  outcome: 'failed' | 'undo-failed';
  /** Error code (`MLB_ERR_*`) when the error carried one. */
  code: string | null;
  message: string;
  /** The record whose flow called the port. */
  id: string | null;
}

export class PortFailureLog {
  private readonly rings = new Map<string, PortFailure[]>();

  /**
   * @param perPort failures kept per port
   * @param maxPorts ports tracked; the one that failed least recently is forgotten first
   */
  constructor(
    private readonly perPort = 5,
    private readonly maxPorts = 1_000,
  ) {}

  record(model: string, port: string, failure: { outcome: PortFailure['outcome']; error: unknown; id?: string }, now = new Date()): void {
    const key = `${model}.${port}`;
    const ring = this.rings.get(key) ?? [];
    // Re-inserting keeps the map in order of the latest failure, so eviction drops the stalest port.
    this.rings.delete(key);
    this.rings.set(key, ring);
    const error = failure.error as { code?: unknown; message?: unknown } | undefined;
    ring.unshift({
      at: now.toISOString(),
      outcome: failure.outcome,
      code: typeof error?.code === 'string' ? error.code : null,
      message: typeof error?.message === 'string' ? error.message : String(failure.error),
      id: failure.id ?? null,
    });
    ring.length = Math.min(ring.length, this.perPort);
    if (this.rings.size > this.maxPorts) this.rings.delete(this.rings.keys().next().value as string);
  }

  /** Newest first. */
  recent(model: string, port: string): readonly PortFailure[] {
    return this.rings.get(`${model}.${port}`) ?? [];
  }
}
