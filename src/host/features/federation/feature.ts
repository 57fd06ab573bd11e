/**
 * Federation: the remotes of `remoteEntries.js`, loaded from their sources and
 * activated into the catalog (`../../activation.ts`), reloaded on a push or
 * by hand, remembered in the reload log, counted in metrics and announced as
 * events. Starting it loads every remote; stopping it disposes every loaded version.
 */
import { Deployment, type ReloadResult } from '../../../federation/deployment.js';
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
  settings: FederationSettings;
  entries: RemoteEntry[];
  activator: Activator;
  broker: EventBroker;
  metrics: HostMetrics;
  logger: Logger;
  cluster: WorkerLink | undefined;
  /** Logged once every remote is loaded (the placement of this node). */
  afterLoad(): void;
}

export function federationFeature({ settings, entries, activator, broker, metrics, logger, cluster, afterLoad }: FederationDeps): FederationFeature {
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
    cache: new SnapshotCache(settings.cacheDir),
    sources: { githubApiUrl: settings.githubApiUrl, githubToken: settings.githubToken, fetchTimeoutMs: settings.fetchTimeoutMs },
    loadTimeoutMs: settings.loadTimeoutMs,
    logger,
    activate: activator.activate,
    keepVersions: settings.keepVersions,
    drainTimeoutMs: settings.drainTimeoutMs,
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
  cluster?.serveReloads(deployment);

  const poller = new Poller(deployment, settings.pollIntervalMs);
  return {
    name: 'federation',
    deployment,
    reloadLog,
    async start() {
      // A cluster worker loads what the other workers run, even if a branch moved since.
      await deployment.loadAll(cluster ? await cluster.deployedVersions() : {});
      afterLoad();
    },
    stop: () => deployment.dispose(),
    polling: {
      name: 'polling',
      // One poller per cluster: slot 1's, whose reloads reach the other workers.
      start: () => (!cluster || cluster.slot === 1 ? poller.start() : undefined),
      stop: () => poller.stop(),
    },
  };
}
