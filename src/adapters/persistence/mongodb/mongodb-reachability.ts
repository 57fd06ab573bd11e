/**
 * Whether one MongoDB server answers, as the operations of the datasources that
 * share its client see it. The first connectivity failure starts an outage,
 * logged once as a warning naming the server and the models that use it; later
 * failures of the same outage are not logged again; the first success after it
 * ends it, logged once with its length. While an outage lasts a ping probes the
 * server, so its end is seen even when no request comes (a host that readiness
 * took out of rotation gets none).
 */
import type { DatasourceLogger } from '../../../domain/datasource.js';
import { isConnectivityFailure } from './mongodb-errors.js';

/** Pause between two probes that failed at once (a probe normally waits for server selection itself). */
const PROBE_PAUSE_MS = 500;

interface Outage {
  since: number;
  reason: string;
  /** The logger of the datasource that saw it start: the end is logged there too. */
  logger: DatasourceLogger | undefined;
}

/** The reachability of the server behind one shared client. */
export class MongoReachability {
  /**
   * Changes at every start and end of an outage. An operation reports with the
   * value it began under, so one that began before a change (a slow read that
   * succeeds just after the outage began) cannot end or start an outage.
   */
  private epoch = 0;
  private outage: Outage | undefined;
  private count = 0;
  private readonly models = new Map<string, number>();
  private probing = false;
  private closed = false;
  private pause: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  /**
   * @param server the hosts of the connection string, for log lines (no credentials)
   * @param ping one round trip to the server; rejects when it cannot be reached
   */
  constructor(
    readonly server: string,
    private readonly ping: () => Promise<unknown>,
  ) {}

  /** The value an operation starting now reports with. */
  get current(): number {
    return this.epoch;
  }

  get reachable(): boolean {
    return this.outage === undefined;
  }

  /** Outages so far (a datasource counts those since it joined). */
  get outages(): number {
    return this.count;
  }

  get downSince(): number | undefined {
    return this.outage?.since;
  }

  get reason(): string | undefined {
    return this.outage?.reason;
  }

  /** A datasource of `model` uses this server from now on. */
  join(model: string): void {
    this.models.set(model, (this.models.get(model) ?? 0) + 1);
  }

  leave(model: string): void {
    const held = (this.models.get(model) ?? 0) - 1;
    if (held > 0) this.models.set(model, held);
    else this.models.delete(model);
  }

  /**
   * An operation begun under `epoch` failed. A connectivity failure starts an
   * outage unless one is already on; anything else says nothing about reaching the server.
   * @param reason the failure, credentials already blanked out
   */
  failed(epoch: number, error: unknown, reason: string, logger: DatasourceLogger | undefined): void {
    if (this.closed || this.outage || epoch !== this.epoch || !isConnectivityFailure(error)) return;
    this.epoch++;
    this.count++;
    this.outage = { since: Date.now(), reason, logger };
    logger?.warn({ mongodb: this.server, models: [...this.models.keys()], reason }, 'MongoDB unreachable');
    void this.probe();
  }

  /** An operation begun under `epoch` got an answer from the server. */
  succeeded(epoch: number): void {
    const outage = this.outage;
    if (!outage || epoch !== this.epoch) return;
    this.epoch++;
    this.outage = undefined;
    const details = { mongodb: this.server, models: [...this.models.keys()], outageMs: Date.now() - outage.since };
    if (outage.logger?.info) outage.logger.info(details, 'MongoDB reachable again');
    else outage.logger?.warn(details, 'MongoDB reachable again');
  }

  /** Stops probing: the client is closing. */
  close(): void {
    this.closed = true;
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.wake();
    }
  }

  /** Pings until the outage ends (by this ping or by an operation) or the client closes. */
  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      while (this.outage && !this.closed) {
        const epoch = this.epoch;
        try {
          await this.ping();
          this.succeeded(epoch);
        } catch {
          // Server selection already waited; a refusal that came at once is retried after a pause.
          if (this.outage && !this.closed) await this.sleep(PROBE_PAUSE_MS);
        }
      }
    } finally {
      this.probing = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.pause = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      // A pending probe never keeps the process alive.
      timer.unref();
      this.pause = { timer, wake };
    });
  }
}
