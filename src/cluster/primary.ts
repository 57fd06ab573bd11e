/**
 * The cluster primary (CLUSTER_ENABLED=true): forks CLUSTER_WORKERS workers
 * that share the port, each with a stable slot (MICROLIB_WORKER_SLOT) that its
 * replacement inherits; replaces a dead worker (backing off while a slot
 * crash-loops); owns the memory and file datasources (the single writer: workers
 * send it their writes over IPC and keep read replicas fed by its change streams,
 * change-stream.ts) and so holds the lock on DATA_DIR for them; relays events to the other workers' WebSocket streams
 * (only those their clients subscribe to, stream-interest.ts); spreads reloads
 * and canary changes to every worker and remembers the deployed versions and the canaries
 * (saved in DATA_DIR, so a restart resumes them) for replacements; keeps
 * the webhook delivery ids every worker processed (DATA_DIR). It
 * loads no remote and serves no HTTP. On SIGTERM it stops its workers, waits
 * for them (bounded), closes its datasources and exits.
 */
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from '../adapters/logging/logger.js';
import { boundAddress, boundUrl } from '../adapters/http/bound-url.js';
import { DELIVERY_FILE, DeliveryFile } from '../adapters/http/delivery-file.js';
import { CANARY_FILE, CanaryFile } from '../adapters/http/canary-file.js';
import { builtInDatasources } from '../adapters/persistence/datasource-registry.js';
import { lockDataDir } from '../adapters/persistence/file/data-dir-lock.js';
import { IpcPeer, type IpcEndpoint } from './ipc-peer.js';
import { OwnedDatasources } from './owned-datasources.js';
import type { ChangeSubscriber } from './change-stream.js';
import { RespawnBackoff } from './respawn-backoff.js';
import { StreamInterest } from './stream-interest.js';
import {
  RELAYED_FROM,
  type CanaryBroadcast,
  type CanaryReport,
  type ClusterInfo,
  type DeployedVersions,
  type ReloadBroadcast,
  type ReloadReport,
  type SavedCanaries,
  type TallyReport,
  type TallyReports,
  type WorkerCanaryOutcome,
  type WorkerReloadOutcome,
} from './messages.js';
import type { DomainEvent } from '../domain/events/index.js';

interface Member {
  slot: number;
  worker: Worker;
  peer: IpcPeer;
  /** Sends the change streams of the collections this worker's replicas follow. */
  subscriber: ChangeSubscriber;
  startedAt: number;
  listening: boolean;
}

/** What the primary reads of the host's configuration (the host's config fits it as is). */
export interface PrimaryOptions {
  /** Workers to fork (CLUSTER_WORKERS). */
  clusterWorkers: number;
  /** The address the workers listen on, for the log line that announces the cluster. */
  host: string;
  /** Set when the workers serve https (only whether it is set is read). */
  tls: object | undefined;
  /** A worker's remote load deadline: a reload spread to the others may take this long, and some more. */
  loadTimeoutMs: number;
  /** A worker's own shutdown bounds, whose sum (and some more) bounds the wait for it on stop. */
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
  drainTimeoutMs: number;
  /** DATA_DIR: the primary locks it before forking, as its datasources write there for every worker. */
  dataDir: string;
}

export async function runPrimary(config: PrimaryOptions, logger: Logger): Promise<void> {
  const log = logger.child({ component: 'cluster' });
  // Before any worker exists: a second host on this folder is refused before it forks anything.
  const lock = await lockDataDir(config.dataDir, { warn: (message) => log.warn({ dataDir: config.dataDir }, message) });
  // Structured clone: records and events cross as they are (Dates, nested data), faster than JSON for large pages.
  cluster.setupPrimary({ serialization: 'advanced' });
  const owned = new OwnedDatasources(builtInDatasources, logger.child({ component: 'datasource' }));
  const members = new Map<number, Member>();
  const backoffs = new Map<number, RespawnBackoff>();
  const restarts = new Map<number, number>();
  const respawnTimers = new Set<NodeJS.Timeout>();
  const deployed: DeployedVersions = {};
  // One log for every worker: a delivery one worker processed is known to the others and to the next start.
  const deliveries = new DeliveryFile(path.join(config.dataDir, DELIVERY_FILE));
  // The canaries running: saved on every change, read once so a restarted cluster resumes them.
  const canaryFile = new CanaryFile(path.join(config.dataDir, CANARY_FILE), (message) => log.error({}, message));
  const canaries: SavedCanaries = await canaryFile.load().catch((error: unknown) => {
    log.error({ err: error, file: canaryFile.file }, 'cannot read the saved canaries: none is resumed');
    return {};
  });
  // A rollout whose remote says onRestart: 'rollback' ends with the cluster's restart: its stable version serves alone.
  for (const [remote, canary] of Object.entries(canaries)) {
    if (canary.rollout?.onRestart !== 'rollback') continue;
    delete canaries[remote];
    log.warn({ remote, canary: canary.canary, stable: canary.stable, step: canary.rollout.step + 1 }, "rollout rolled back: the cluster restarted during it (onRestart: 'rollback')");
    await canaryFile.save(remote, null).catch((error: unknown) => log.error({ err: error, remote }, 'could not save the canary state'));
  }
  let stopping = false;
  let announced = false;
  const reloadTimeoutMs = config.loadTimeoutMs + 10_000;

  const others = (slot: number) => [...members.values()].filter((m) => m.slot !== slot);
  const interest = new StreamInterest((slot, wanted) => members.get(slot)?.peer.call('events.wanted', wanted, 5_000) ?? Promise.resolve());

  function handlers(slot: number, subscriber: ChangeSubscriber) {
    return {
      ...owned.handlers(subscriber),
      'events.interest': (patterns: unknown) => interest.declare(slot, patterns),
      // A remote with a canary runs its stable version beside it (unless a deploy since said otherwise).
      versions: (): DeployedVersions => ({ ...Object.fromEntries(Object.entries(canaries).map(([remote, c]) => [remote, { version: c.stable, pinned: false }])), ...deployed }),
      canaries: () => canaries,
      'canary.broadcast': async (params: unknown): Promise<WorkerCanaryOutcome[]> => {
        const { remote, change } = params as CanaryBroadcast;
        // Recorded (and saved) first: a worker that starts from now on follows this change.
        const saved = canaries[remote];
        if (change.action === 'start') {
          const { version, stable, split, allowRemove, startedAt, rollout } = change;
          canaries[remote] = { stable, canary: version, weight: split.weight, sticky: split.sticky ?? null, mode: split.mode, startedAt, allowRemove, ...(rollout ? { rollout } : {}) };
        } else if (change.action === 'split' && saved) {
          const { rollout: _was, ...kept } = saved;
          const rollout = change.rollout === undefined ? saved.rollout : (change.rollout ?? undefined);
          canaries[remote] = { ...kept, weight: change.split.weight, sticky: change.split.sticky ?? null, mode: change.split.mode, ...(rollout ? { rollout } : {}) };
        } else {
          delete canaries[remote];
          if (change.action === 'promote' && saved) deployed[remote] = { version: saved.canary, pinned: false };
        }
        await canaryFile.save(remote, canaries[remote] ?? null).catch((error: unknown) => log.error({ err: error, remote }, 'could not save the canary state: a restart will not see this change'));
        log.info({ remote, action: change.action, from: slot }, 'spreading a canary change to the other workers');
        return Promise.all(
          others(slot).map(async (m): Promise<WorkerCanaryOutcome> => {
            const pid = m.worker.process.pid ?? null;
            try {
              const result = (await m.peer.call('canary', { remote, change }, reloadTimeoutMs)) as CanaryReport;
              return { slot: m.slot, pid, outcome: result.outcome, ...(result.error ? { error: result.error } : {}) };
            } catch (error) {
              return { slot: m.slot, pid, outcome: 'failed', error: (error as Error).message };
            }
          }),
        );
      },
      'delivery.first': (id: unknown) => {
        if (typeof id !== 'string') throw new Error('a delivery id is a string');
        return deliveries.firstTime(id);
      },
      'cluster.info': (): ClusterInfo => ({
        primaryPid: process.pid,
        workers: [...members.values()]
          .sort((a, b) => a.slot - b.slot)
          .map((m) => ({ slot: m.slot, pid: m.worker.process.pid!, startedAt: new Date(m.startedAt).toISOString(), restarts: restarts.get(m.slot) ?? 0, listening: m.listening })),
      }),
      'reload.broadcast': async (params: unknown): Promise<WorkerReloadOutcome[]> => {
        const { remote, request } = params as ReloadBroadcast;
        // Recorded first: a worker that starts from now on loads this version.
        deployed[remote] = { version: request.version, pinned: request.reason === 'rollback' };
        log.info({ remote, version: request.version, reason: request.reason, from: slot }, 'spreading a reload to the other workers');
        return Promise.all(
          others(slot).map(async (m): Promise<WorkerReloadOutcome> => {
            const pid = m.worker.process.pid ?? null;
            try {
              const result = (await m.peer.call('reload', { remote, request }, reloadTimeoutMs)) as ReloadReport;
              return { slot: m.slot, pid, outcome: result.outcome, to: result.to, ...(result.error ? { error: result.error } : {}) };
            } catch (error) {
              return { slot: m.slot, pid, outcome: 'failed', to: null, error: (error as Error).message };
            }
          }),
        );
      },
    };
  }

  function fork(slot: number): void {
    const worker = cluster.fork({ MICROLIB_WORKER_SLOT: String(slot) });
    const subscriber: ChangeSubscriber = { send: (topic, batch) => member.peer.notify(topic, batch) };
    const member: Member = {
      slot,
      worker,
      subscriber,
      startedAt: Date.now(),
      listening: false,
      peer: new IpcPeer(worker.process as unknown as IpcEndpoint, handlers(slot, subscriber), (topic, payload) => {
        // Rollout tallies go to the worker that drives rollouts (slot 1), saying whose they are.
        if (topic === 'tallies') {
          if (slot !== 1) members.get(1)?.peer.notify('tallies', { from: worker.process.pid ?? -slot, reports: payload as TallyReport[] } satisfies TallyReports);
          return;
        }
        // Events go to the other workers' WebSocket streams only, once.
        if (topic !== 'event' || (payload as DomainEvent)[RELAYED_FROM] !== undefined) return;
        const relayed = { ...(payload as DomainEvent), [RELAYED_FROM]: slot };
        for (const other of others(slot)) if (interest.wants(other.slot, relayed.eventName)) other.peer.notify('event', relayed);
      }),
    };
    members.set(slot, member);
    log.info({ slot, workerPid: worker.process.pid }, 'worker started');
  }

  cluster.on('listening', (worker: Worker, address: AddressInfo) => {
    const member = [...members.values()].find((m) => m.worker === worker);
    if (!member) return;
    member.listening = true;
    if (!announced && members.size === config.clusterWorkers && [...members.values()].every((m) => m.listening)) {
      announced = true;
      const url = boundUrl(config.tls ? 'https' : 'http', boundAddress(address, config.host, address.port));
      log.info({ port: address.port, workers: config.clusterWorkers, workerPids: [...members.values()].map((m) => m.worker.process.pid) }, `listening on ${url} (cluster of ${config.clusterWorkers} workers)`);
    } else if (announced) {
      log.info({ slot: member.slot, workerPid: worker.process.pid }, 'worker listening');
    }
  });

  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    const member = [...members.values()].find((m) => m.worker === worker);
    if (!member) return;
    members.delete(member.slot);
    member.peer.close(`worker ${member.slot} exited`);
    owned.forget(member.subscriber);
    interest.forget(member.slot);
    if (stopping) return;
    const backoff = backoffs.get(member.slot) ?? new RespawnBackoff();
    backoffs.set(member.slot, backoff);
    const delay = backoff.delayAfter(Date.now() - member.startedAt);
    restarts.set(member.slot, (restarts.get(member.slot) ?? 0) + 1);
    const details = { slot: member.slot, workerPid: worker.process.pid, code, signal, restartInMs: delay };
    if (backoff.crashLoop > 1) log.error({ ...details, deathsInARow: backoff.crashLoop }, 'worker keeps dying soon after starting; replacing it after a delay');
    else log.warn(details, 'worker died; replacing it');
    const timer = setTimeout(() => {
      respawnTimers.delete(timer);
      if (!stopping) fork(member.slot);
    }, delay);
    respawnTimers.add(timer);
  });

  async function stop(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info({ signal, workers: members.size }, 'stopping the cluster');
    for (const timer of respawnTimers) clearTimeout(timer);
    const exits = [...members.values()].map((m) => new Promise<void>((resolve) => (m.worker.isDead() ? resolve() : m.worker.once('exit', () => resolve()))));
    for (const m of members.values()) m.worker.process.kill('SIGTERM');
    // Each worker bounds its own shutdown; this bounds a worker that hangs anyway.
    const bound = config.shutdownDelayMs + config.shutdownTimeoutMs + config.drainTimeoutMs + 5_000;
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([Promise.all(exits).then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), bound)))]);
    clearTimeout(timer);
    if (!inTime) {
      log.error({ boundMs: bound }, 'workers did not stop in time; killing them');
      for (const m of members.values()) m.worker.process.kill('SIGKILL');
    }
    try {
      await owned.closeAll();
    } finally {
      await lock.release();
    }
    log.info({}, 'cluster stopped');
  }

  const onSignal = (signal: string) =>
    void stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'cluster stop failed');
        process.exit(1);
      },
    );
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  log.info({ workers: config.clusterWorkers }, 'starting cluster');
  for (let slot = 1; slot <= config.clusterWorkers; slot++) fork(slot);
}
