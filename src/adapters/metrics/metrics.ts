/**
 * Prometheus metrics (prom-client) on their own registry: requests of the
 * generated API by model, route and status with latency, remote loads and
 * reloads, circuit breaker states, internal errors, whether each model's
 * datasource reaches its server, and the event transports' counters, read when
 * Prometheus scrapes.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RequestTally } from './request-tally.js';
import { registerCanaryMetrics, type CanaryTraffic } from './canary-metrics.js';
import type { BreakerListing } from '../../domain/ports/breaker-registry.js';

export type RouteKind = 'collection' | 'item' | 'relation' | 'command' | 'port' | 'unknown';

const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;

export interface MetricsSources {
  breakers(): BreakerListing[];
  /** Counters of the event transports and WebSocket clients (numbers are exported, the rest ignored). */
  eventStats(): Record<string, unknown>;
  /** Errors nobody caught that the host survived, by kind (`npm start` counts them; absent: none). */
  strayErrors?(): Readonly<Record<StrayErrorKind, number>>;
  /** The served models whose datasource depends on a server (MongoDB), and whether it answers. */
  datasources?(): readonly DatasourceStatus[];
  /** The canaries running now, with their per-version tallies (absent: none). */
  canaries?(): Iterable<CanaryTraffic>;
}

/** One model's datasource as /metrics shows it. */
export interface DatasourceStatus {
  model: string;
  /** The datasource kind, e.g. `mongodb`. */
  adapter: string;
  reachable: boolean;
  /** Outages since the datasource opened. */
  outages: number;
}

/** An exception thrown where no caller could catch it, or a promise rejected with no handler. */
export type StrayErrorKind = 'exception' | 'rejection';
const STRAY_KINDS: readonly StrayErrorKind[] = ['exception', 'rejection'];

export class HostMetrics {
  readonly registry = new Registry();
  private readonly requests: RequestTally;
  private readonly reloads: Counter<'remote' | 'reason' | 'outcome'>;
  private readonly reloadSeconds: Histogram<'remote' | 'outcome'>;
  private readonly internalErrors: Counter;
  private readonly forwards: Counter<'model' | 'placement' | 'status'>;
  private readonly workerCrashes: Counter<'remote'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'microlib_' });
    this.requests = new RequestTally(this.registry, [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
    registerCanaryMetrics(this.registry, () => sources.canaries?.() ?? []);
    this.reloads = new Counter({ name: 'microlib_remote_reloads_total', help: 'Loads and reloads of remotes by outcome', labelNames: ['remote', 'reason', 'outcome'], registers });
    this.reloadSeconds = new Histogram({ name: 'microlib_remote_reload_duration_seconds', help: 'Time a load or reload took', labelNames: ['remote', 'outcome'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    this.forwards = new Counter({ name: 'microlib_forwarded_requests_total', help: 'Requests forwarded to the placement serving their model', labelNames: ['model', 'placement', 'status'], registers });
    this.workerCrashes = new Counter({ name: 'microlib_remote_worker_crashes_total', help: "Workers of isolated remotes that crashed, were stuck past their call budget or ran out of memory (each is restarted)", labelNames: ['remote'], registers });
    this.internalErrors = new Counter({ name: 'microlib_internal_errors_total', help: 'Requests that failed with an internal error (500)', registers });
    new Counter({
      name: 'microlib_uncaught_errors_total',
      help: 'Errors nobody caught (a thrown timer, an unhandled rejection) that the host logged and survived',
      labelNames: ['kind'],
      registers,
      collect() {
        // The process-wide handlers count; this copies their totals at each scrape.
        this.reset();
        const counts = sources.strayErrors?.();
        for (const kind of STRAY_KINDS) this.inc({ kind }, counts?.[kind] ?? 0);
      },
    });
    new Gauge({
      name: 'microlib_circuit_state',
      help: 'Circuit breaker state of each port (1 for the current state)',
      labelNames: ['model', 'port', 'state'],
      registers,
      collect() {
        this.reset();
        for (const breaker of sources.breakers()) {
          for (const state of CIRCUIT_STATES) this.set({ model: breaker.model, port: breaker.port, state }, breaker.circuit.state === state ? 1 : 0);
        }
      },
    });
    const datasources = () => sources.datasources?.() ?? [];
    new Gauge({
      name: 'microlib_datasource_up',
      help: 'Whether the server of each model\'s datasource answers (1) or not (0); only datasources that use a server',
      labelNames: ['model', 'adapter'],
      registers,
      collect() {
        this.reset();
        for (const ds of datasources()) this.set({ model: ds.model, adapter: ds.adapter }, ds.reachable ? 1 : 0);
      },
    });
    new Counter({
      name: 'microlib_datasource_outages_total',
      help: 'Times the server of each model\'s datasource became unreachable',
      labelNames: ['model', 'adapter'],
      registers,
      collect() {
        // The datasources count; the counter shows their totals.
        this.reset();
        for (const ds of datasources()) this.inc({ model: ds.model, adapter: ds.adapter }, ds.outages);
      },
    });
    new Gauge({
      name: 'microlib_event_transport',
      help: 'Counters of the event transports (webswitch, Kafka) and WebSocket clients',
      labelNames: ['transport', 'counter'],
      registers,
      collect() {
        this.reset();
        for (const [transport, stats] of Object.entries(sources.eventStats())) {
          if (typeof stats !== 'object' || stats === null) continue;
          for (const [counter, value] of Object.entries(stats)) if (typeof value === 'number') this.set({ transport, counter }, value);
        }
      },
    });
  }

  /** A worker of an isolated remote died (it restarts). */
  workerCrash(remote: string): void {
    this.workerCrashes.inc({ remote });
  }

  /** One answered request; `startedAt` from performance.now(). */
  request(model: string, route: RouteKind, method: string, status: number, startedAt: number): void {
    this.requests.record(model, route, method, status, (performance.now() - startedAt) / 1000);
  }

  reload(remote: string, reason: string, outcome: string, ms: number): void {
    this.reloads.inc({ remote, reason, outcome });
    this.reloadSeconds.observe({ remote, outcome }, ms / 1000);
  }

  /** One request forwarded to another placement, with the status its client got. */
  forwarded(model: string, placement: string, status: number): void {
    this.forwards.inc({ model, placement, status: String(status) });
  }

  internalError(): void {
    this.internalErrors.inc();
  }
}
