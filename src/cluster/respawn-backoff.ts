/**
 * When to replace a dead worker: at once after a worker that ran a while, with
 * a growing delay while a slot's workers keep dying soon after starting (a
 * crash loop would otherwise fork as fast as the machine allows).
 */
export interface RespawnBackoffOptions {
  /** A worker that lived less than this died "soon": the next start waits. */
  minUptimeMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESPAWN_BACKOFF: RespawnBackoffOptions = { minUptimeMs: 10_000, baseDelayMs: 500, maxDelayMs: 30_000 };

export class RespawnBackoff {
  private quickDeaths = 0;

  constructor(private readonly options: RespawnBackoffOptions = DEFAULT_RESPAWN_BACKOFF) {}

  /** Records a worker's death after `uptimeMs`; returns how long to wait before starting its replacement. */
  delayAfter(uptimeMs: number): number {
    if (uptimeMs >= this.options.minUptimeMs) {
      this.quickDeaths = 0;
      return 0;
    }
    this.quickDeaths++;
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (this.quickDeaths - 1));
  }

  /** Deaths in a row that came soon after a start. */
  get crashLoop(): number {
    return this.quickDeaths;
  }
}
