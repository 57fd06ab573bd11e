/**
 * A cluster worker's side of the channel to the primary: datasources the
 * primary owns (writes to it, reads from this worker's replicas), its events for the other workers' WebSocket streams (and
 * theirs for its own), reloads and canary changes to apply everywhere, and
 * the versions (and canaries) a replacement worker must load.
 */
import type { Server } from 'node:http';
import type { DatasourceFactory } from '../domain/datasource.js';
import type { DomainEvent, EventBroker } from '../domain/events/index.js';
import { IpcPeer, type IpcEndpoint } from './ipc-peer.js';
import type { Registry } from 'prom-client';
import { ipcDatasourceFactories } from './ipc-datasource.js';
import { registerReplicaMetrics } from './replica-metrics.js';
import { WorkerReplicas } from './worker-replicas.js';
import { WorkerEventRelay } from './worker-event-relay.js';
import {
  type CanaryBroadcast,
  type CanaryChange,
  type CanaryReport,
  type ClusterInfo,
  type DeployedVersions,
  type ReloadBroadcast,
  type ReloadReport,
  type SavedCanaries,
  type StreamWanted,
  type TallyReport,
  type TallyReports,
  type VersionReload,
  type WorkerCanaryOutcome,
  type WorkerReloadOutcome,
} from './messages.js';

export const WORKER_HEADER = 'x-microlib-worker';

/** Tally reports that did not change are sent again after this many intervals. */
const RESEND_UNCHANGED_AFTER = 10;

/** What a worker's link needs of the host's deployment (which fits it as is). */
export interface ReloadableRemotes {
  /** The remote of that name, or undefined when there is none. */
  remote(name: string): object | undefined;
  reload(remote: string, request: VersionReload): Promise<ReloadReport>;
  /** Applies a canary change another worker made. */
  applyCanary(remote: string, change: CanaryChange): Promise<CanaryReport>;
  /** Called after each successful reload. */
  on(event: 'reloaded', listener: (result: ReloadReport) => void): unknown;
}

export class WorkerLink {
  readonly peer: IpcPeer;
  private deployment: ReloadableRemotes | undefined;
  private relay: WorkerEventRelay | undefined;
  private markStarted!: () => void;
  private tallyListener: ((from: number, reports: TallyReport[]) => void) | undefined;
  /** Broadcast reloads wait for the worker's own start, so they queue behind its first load. */
  private readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(
    readonly slot: number,
    /** How long a reload broadcast may wait for the other workers. */
    private readonly reloadTimeoutMs: number,
    endpoint: IpcEndpoint = process as unknown as IpcEndpoint,
  ) {
    this.peer = new IpcPeer(
      endpoint,
      {
        reload: async (params) => {
          const { remote, request } = params as ReloadBroadcast;
          await this.started;
          if (!this.deployment?.remote(remote)) throw new Error(`no remote named "${remote}"`);
          return this.deployment.reload(remote, request);
        },
        canary: async (params) => {
          const { remote, change } = params as CanaryBroadcast;
          await this.started;
          if (!this.deployment?.remote(remote)) throw new Error(`no remote named "${remote}"`);
          const report = await this.deployment.applyCanary(remote, change);
          return { outcome: report.outcome, ...(report.error ? { error: report.error } : {}) } satisfies CanaryReport;
        },
        // The primary tells this worker what the other workers' WebSocket clients want (only once it declared its own).
        'events.wanted': (params) => this.relay?.othersWant(params as StreamWanted),
      },
      (topic, payload) => {
        if (topic === 'event') this.relay?.relayed(payload as DomainEvent);
        else if (topic === 'tallies') {
          const { from, reports } = payload as TallyReports;
          this.tallyListener?.(from, reports);
        }
      },
    );
  }

  /** The datasource factories of this worker: memory and file through the primary. */
  datasourceFactories(base: Readonly<Record<string, DatasourceFactory>>): Record<string, DatasourceFactory> {
    return ipcDatasourceFactories(base, this.peer);
  }

  /** Adds this worker's read replica figures (lag, positions, calls to the primary) to /metrics. */
  registerMetrics(registry: Registry): void {
    registerReplicaMetrics(registry, WorkerReplicas.of(this.peer));
  }

  /**
   * The broker WebSocket clients of this worker read: the local events and the
   * other workers' events (relayed by the primary) they subscribe to. Relayed
   * events reach only this broker, never the host's own, so handlers and flows
   * run once, where the event happened. Events nobody streams stay where they
   * happened (worker-event-relay.ts).
   */
  streamBroker(local: EventBroker): EventBroker {
    this.relay ??= new WorkerEventRelay(local, this.peer);
    return this.relay.stream;
  }

  /** Resolves once the stream's subscriptions made so far receive every worker's events (for the WebSocket `subscribed` answer). */
  streamSettled(): Promise<void> {
    return this.relay?.settled() ?? Promise.resolve();
  }

  /** Every response says which worker answered it. */
  tagResponses(server: Server): void {
    const slot = String(this.slot);
    server.prependListener('request', (_req, res) => res.setHeader(WORKER_HEADER, slot));
  }

  /**
   * Lets the primary's broadcasts reload this worker's remotes, and, in slot 1
   * (the only worker that polls), broadcasts what polling deployed.
   */
  serveReloads(deployment: ReloadableRemotes): void {
    this.deployment = deployment;
    if (this.slot !== 1) return;
    deployment.on('reloaded', (result) => {
      if (result.reason === 'poll') void this.broadcastReload(result);
    });
  }

  /** Called once this worker has loaded its remotes: broadcast reloads may run now. */
  ready(): void {
    this.markStarted();
  }

  /** The versions the cluster's last deploys left, to load at start instead of resolving refs again. */
  async deployedVersions(): Promise<DeployedVersions> {
    return (await this.peer.call('versions', null, 10_000).catch(() => ({}))) as DeployedVersions;
  }

  /**
   * Applies a reload this worker made to every other worker; resolves with each
   * worker's outcome, this one's first. A failed local reload is not spread.
   */
  async broadcastReload(result: ReloadReport): Promise<WorkerReloadOutcome[]> {
    const own: WorkerReloadOutcome = { slot: this.slot, pid: process.pid, outcome: result.outcome, to: result.to, ...(result.error ? { error: result.error } : {}) };
    // A reload that started a rollout changed no version: the canary's start is spread as a canary change.
    if (result.outcome === 'failed' || result.to === null || result.canary) return [own];
    // This worker already accepted the version (models it drops included): the others follow it as it is.
    const broadcast: ReloadBroadcast = { remote: result.remote, request: { reason: result.reason, version: result.to, allowRemove: true } };
    try {
      const others = (await this.peer.call('reload.broadcast', broadcast, this.reloadTimeoutMs)) as WorkerReloadOutcome[];
      return [own, ...others];
    } catch (error) {
      return [own, { slot: null, pid: null, outcome: 'failed', to: null, error: `the cluster primary did not confirm the other workers: ${(error as Error).message}` }];
    }
  }

  /** The canaries running in the cluster (the primary keeps them in DATA_DIR), to resume at start. */
  async canaries(): Promise<SavedCanaries> {
    return (await this.peer.call('canaries', null, 10_000).catch(() => ({}))) as SavedCanaries;
  }

  /**
   * Applies a canary change this worker made to every other worker (the primary
   * saves it first, so workers that start later follow it too); resolves with each
   * worker's outcome, this one's first.
   */
  async broadcastCanary(remote: string, change: CanaryChange, own: CanaryReport): Promise<WorkerCanaryOutcome[]> {
    const mine: WorkerCanaryOutcome = { slot: this.slot, pid: process.pid, outcome: own.outcome, ...(own.error ? { error: own.error } : {}) };
    try {
      const others = (await this.peer.call('canary.broadcast', { remote, change } satisfies CanaryBroadcast, this.reloadTimeoutMs)) as WorkerCanaryOutcome[];
      return [mine, ...others];
    } catch (error) {
      return [mine, { slot: null, pid: null, outcome: 'failed', error: `the cluster primary did not confirm the other workers: ${(error as Error).message}` }];
    }
  }

  /**
   * Every `intervalMs`, sends what `read` returns (this worker's rollout tallies) to the
   * driving worker through the primary, when it changed; off the request path. Slot 1
   * drives and sends nothing. Returns what stops it.
   */
  reportTallies(read: () => TallyReport[], intervalMs: number): () => void {
    if (this.slot === 1) return () => undefined;
    let last = '';
    let quiet = 0;
    const timer = setInterval(() => {
      const reports = read();
      const seen = reports.map((r) => `${r.remote}@${r.version}:${r.stable.requests}:${r.canary.requests}`).join(',');
      // Unchanged ones go again now and then, for a driver that restarted meanwhile.
      if (seen === last && ++quiet < RESEND_UNCHANGED_AFTER) return;
      last = seen;
      quiet = 0;
      if (reports.length > 0) this.peer.notify('tallies', reports);
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** In slot 1: hears the other workers' rollout tallies (`from` is the sender's pid). */
  onTallies(listener: (from: number, reports: TallyReport[]) => void): void {
    this.tallyListener = listener;
  }

  /** Whether no worker has processed this webhook delivery id before (the primary keeps them, in DATA_DIR). */
  async firstDelivery(id: string): Promise<boolean> {
    return (await this.peer.call('delivery.first', id, 10_000)) === true;
  }

  info(): Promise<ClusterInfo> {
    return this.peer.call('cluster.info', null, 10_000) as Promise<ClusterInfo>;
  }
}
