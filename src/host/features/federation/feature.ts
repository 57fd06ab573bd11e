/**
 * Federation: the remotes of `remoteEntries.js`, loaded from their sources and
 * activated into the catalog (`../../activation.ts`), reloaded on a push or
 * by hand, remembered in the reload log, counted in metrics and announced as
 * events. Starting it loads every remote and resumes the canaries that ran
 * (`canaries.json` in DATA_DIR, or the cluster primary's); stopping it disposes
 * every loaded version. Remotes with a `rollout` are stepped up by the rollout
 * driver (in a cluster, the worker in slot 1's); each canary change goes to the
 * reload log and, where it was made, to the broker (`canary*` events).
 */
import path from 'node:path';
import { Deployment, type CanaryChangeEvent, type ReloadResult, type SavedCanary } from '../../../federation/deployment.js';
import { CANARY_EVENTS } from '../../../federation/canary-record.js';
import { ANALYSIS_INTERVAL_MS, RolloutDriver } from '../../../federation/rollout-driver.js';
import { PeerTallies, tallyReports } from '../../../federation/peer-tallies.js';
import { CANARY_FILE, CanaryFile } from '../../../adapters/http/canary-file.js';
import { IsolatingRuntime } from '../../../federation/isolation/isolating-runtime.js';
import type { LoadedRemote } from '../../../federation/remote-loader.js';
import { SnapshotCache } from '../../../federation/snapshot-cache.js';
import { ReloadLog } from '../../../federation/reload-log.js';
import { Poller } from '../../../federation/poller.js';
import type { RemoteEntry } from '../../../config/remote-entries.js';
import { makeEvent, type EventBroker } from '../../../domain/events/index.js';
import type { HostMetrics } from '../../../adapters/metrics/metrics.js';
import type { Logger } from '../../../adapters/logging/logger.js';
import type { WorkerLink } from '../../../cluster/worker-link.js';
import type { Activator } from '../../activation.js';
import type { Feature } from '../../feature.js';
import type { FederationSettings } from './settings.js';

export interface FederationFeature extends Feature {
  readonly deployment: Deployment;
  readonly reloadLog: ReloadLog;
  /** Asks the sources for new versions every POLL_INTERVAL_MS: started last, stopped first. */
  readonly polling: Feature;
}

export interface FederationDeps {
  settings: FederationSettings & { dataDir: string };
  entries: RemoteEntry[];
  activator: Activator;
  broker: EventBroker;
  metrics: HostMetrics;
  logger: Logger;
  cluster: WorkerLink | undefined;
  /** Versions to load at start instead of resolving the sources (a function's bundle); a saved canary's stable version wins. */
  startVersions?: Readonly<Record<string, string>> | undefined;
  /** Logged once every remote is loaded (the placement of this node). */
  afterLoad(): void;
}

export function federationFeature({ settings, entries, activator, broker, metrics, logger, cluster, startVersions = {}, afterLoad }: FederationDeps): FederationFeature {
  const cache = new SnapshotCache(settings.cacheDir);
  // One writer of DATA_DIR: the host, or in a cluster the primary (its workers ask it).
  const canaryFile = cluster ? undefined : new CanaryFile(path.join(settings.dataDir, CANARY_FILE), (message) => logger.error({}, message));
  const deployment = new Deployment(entries, {
    runtime: new IsolatingRuntime({
      defaults: settings.isolation,
      loadTimeoutMs: settings.loadTimeoutMs,
      onCrash: (crash) => {
        metrics.workerCrash(crash.remote);
        const details = { remote: crash.remote, version: crash.version, reason: crash.reason, restarts: crash.restarts, stack: crash.stack };
        if (!crash.looping) return logger.warn(details, 'remote worker stopped; restarting it');
        logger.error(details, 'remote worker keeps crashing; the version is marked failed and retried every 30 s');
        rollBackCrashLoop(crash.remote, crash.version);
      },
    }),
    cache,
    sources: { githubApiUrl: settings.githubApiUrl, githubToken: settings.githubToken, fetchTimeoutMs: settings.fetchTimeoutMs },
    loadTimeoutMs: settings.loadTimeoutMs,
    logger,
    activate: activator.activate,
    keepVersions: settings.keepVersions,
    drainTimeoutMs: settings.drainTimeoutMs,
    canaries: activator.canaries,
    ...(canaryFile ? { canaryStore: canaryFile } : {}),
  });
  /**
   * A deployed version that crash-loops goes back to the one before it (once per
   * version), as a broken build would never have replaced it; a remote with
   * nothing to return to stays failed and keeps being retried.
   */
  const rolledBack = new Set<string>();
  const rollBackCrashLoop = (remote: string, version: string) => {
    const state = deployment.remote(remote);
    const key = `${remote}@${version}`;
    if (state?.current?.version !== version || state.history.length === 0 || rolledBack.has(key)) return;
    rolledBack.add(key);
    deployment.rollback(remote).then(
      (result) => logger.warn({ remote, from: version, to: result.to, outcome: result.outcome }, 'rolled back a crash-looping version'),
      (error: unknown) => logger.error({ err: error, remote, version }, 'could not roll back a crash-looping version'),
    );
  };
  const reloadLog = new ReloadLog();
  const reported = (result: ReloadResult) => {
    metrics.reload(result.remote, result.reason, result.outcome, result.ms);
    reloadLog.add(result);
  };
  deployment.on('reloaded', reported);
  deployment.on('reload-failed', reported);
  deployment.on('retired', ({ loaded }: { loaded: LoadedRemote }) => activator.retire(loaded));
  // Deploys are events too: listeners, the dashboard and other hosts see them.
  deployment.on('reloaded', (result: ReloadResult) => void broker.publish(makeEvent('remoteReloaded', { data: result })));
  deployment.on('reload-failed', (result: ReloadResult) => void broker.publish(makeEvent('remoteReloadFailed', { data: result })));
  deployment.on('canary', ({ record, local, automatic, change }: CanaryChangeEvent) => {
    reloadLog.add(record);
    if (local) void broker.publish(makeEvent(CANARY_EVENTS[record.outcome], { data: record }));
    // The routes spread an operator's changes; the rollout's are spread here.
    if (cluster && automatic && change) {
      const outcome = record.outcome === 'stepped' ? 'updated' : record.outcome === 'rolledBack' ? 'aborted' : record.outcome;
      void cluster.broadcastCanary(record.remote, change, { outcome }).then((workers) => {
        const failed = workers.filter((w) => w.outcome === 'failed');
        if (failed.length > 0) logger.error({ remote: record.remote, change: change.action, workers: failed }, 'other workers could not follow the rollout');
      });
    }
  });
  cluster?.serveReloads(deployment);
  // One driver per cluster, as one poller: slot 1's, whose changes reach the other workers.
  // It judges every worker's requests: the others send it their tallies (through the primary).
  const peers = cluster?.slot === 1 ? new PeerTallies() : undefined;
  if (cluster && peers) cluster.onTallies((from, reports) => peers.record(from, reports));
  const rollouts = !cluster || cluster.slot === 1 ? new RolloutDriver(deployment, logger, ANALYSIS_INTERVAL_MS, peers) : undefined;
  let stopReports: (() => void) | undefined;

  const poller = new Poller(deployment, settings.pollIntervalMs);
  return {
    name: 'federation',
    deployment,
    reloadLog,
    async start() {
      const canaries = cluster
        ? await cluster.canaries()
        : await canaryFile!.load().catch((error: unknown) => {
            logger.error({ err: error, file: canaryFile!.file }, 'cannot read the saved canaries: none is resumed');
            return {};
          });
      // A cluster worker loads what the other workers run, even if a branch moved since; a canary's
      // stable version is the one it ran beside.
      try {
        const bundled = Object.fromEntries(Object.entries(startVersions).map(([remote, version]) => [remote, { version, pinned: false }]));
        await deployment.loadAll(cluster ? await cluster.deployedVersions() : { ...bundled, ...(await stableVersions(canaries, cache)) });
        await deployment.resumeCanaries(canaries);
      } finally {
        // Unfinished flows resume once every version they may belong to is back, a canary's included.
        activator.releaseFlowResumes();
      }
      rollouts?.start();
      stopReports = cluster?.reportTallies(() => tallyReports(deployment.remotes()), ANALYSIS_INTERVAL_MS);
      afterLoad();
    },
    stop: () => {
      rollouts?.stop();
      stopReports?.();
      return deployment.dispose();
    },
    polling: {
      name: 'polling',
      // One poller per cluster: slot 1's, whose reloads reach the other workers.
      start: () => (!cluster || cluster.slot === 1 ? poller.start() : undefined),
      stop: () => poller.stop(),
    },
  };
}

/**
 * The stable version each saved canary ran beside, to load at start instead of resolving the
 * source again; one no longer in the cache is left out (the remote then loads as usual).
 */
async function stableVersions(canaries: Readonly<Record<string, SavedCanary>>, cache: SnapshotCache): Promise<Record<string, { version: string; pinned: boolean }>> {
  const cached = await Promise.all(Object.entries(canaries).map(async ([remote, canary]) => ((await cache.cached(remote, canary.stable).catch(() => undefined)) ? [remote] : [])));
  const kept = new Set(cached.flat());
  return Object.fromEntries(Object.entries(canaries).filter(([remote]) => kept.has(remote)).map(([remote, canary]) => [remote, { version: canary.stable, pinned: false }]));
}
