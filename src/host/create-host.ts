/**
 * The composition root: the one place that knows every implementation. A host
 * is a list of features (`features/*`), started in order and stopped in reverse
 * (`feature.ts`); they share the catalog of what is served now (`src/catalog`),
 * the local event broker and the metrics. Follow a request from `features/http`
 * → `features/api` → the model router; a remote load from `features/federation`
 * → `activation.ts` → the catalog.
 */
import type { Server } from 'node:http';
import type { HostConfig } from './host-config.js';
import { readRemoteEntries } from '../config/remote-entries.js';
import { normalisePortOverrides } from '../config/port-overrides.js';
import { normalisePlacements, selectPlacement } from '../config/placements.js';
import { EventBroker } from '../domain/events/index.js';
import type { FlowRunner } from '../domain/flows/flow-runner.js';
import type { Deployment } from '../federation/deployment.js';
import { HostMetrics } from '../adapters/metrics/metrics.js';
import type { Logger } from '../adapters/logging/logger.js';
import type { WorkerLink } from '../cluster/worker-link.js';
import { LiveCatalog } from '../catalog/live-catalog.js';
import { BodyBudget } from '../adapters/http/body-budget.js';
import { createActivator } from './activation.js';
import { Lifecycle } from './feature.js';
import { injector, type InjectRequest, type InjectResponse } from './inject.js';
import { internalFailureReporter } from './internal-failure.js';
import type { StrayErrorCounts } from './stray-errors.js';
import { persistenceFeature } from './features/persistence/feature.js';
import { otherModels as otherModelLookup } from './features/api/model-lookups.js';
import { flowsFeature } from './features/flows/feature.js';
import { federationFeature } from './features/federation/feature.js';
import { createSecurity } from './features/security/feature.js';
import { eventsFeature } from './features/events/feature.js';
import { apiFeature } from './features/api/feature.js';
import { adminApp } from './features/admin/feature.js';
import { httpFeature } from './features/http/feature.js';
import { readinessFeature } from './features/readiness/feature.js';
import { metricsListenerFeature } from './features/metrics/feature.js';
import { datasourceMetrics, datasourcesDown } from './features/persistence/datasource-reachability.js';
import { reencryptionFeature } from './features/persistence/reencryption.js';
import { fieldKeyLoader, type FieldKeyLoader } from './field-keys.js';
import { unloadedRemotes } from '../adapters/http/unloaded-remotes.js';

export interface Host {
  readonly server: Server;
  readonly deployment: Deployment;
  readonly events: EventBroker;
  readonly flows: FlowRunner;
  /** Loads the remotes and starts listening; resolves with the bound port. */
  start(): Promise<number>;
  /** Stops every feature, last started first: readiness, polling, HTTP (in-flight requests finish), events, flows, remotes, datasources. */
  stop(): Promise<void>;
  /**
   * Answers one request in-process, without a network socket, exactly as the server
   * would (`{ method, url, headers, body }`, or a path for a GET): for tests and
   * in-process front doors. Works whether or not the host listens.
   */
  inject(request: InjectRequest | string): Promise<InjectResponse>;
}

/** Options of a host that runs as a cluster worker. */
export interface HostOptions {
  /** The channel to the cluster primary (cluster mode only). */
  cluster?: WorkerLink;
  /** Errors nobody caught that the process survived, for /metrics (`npm start` installs the handlers that count them). */
  strayErrors?: () => Readonly<StrayErrorCounts>;
  /**
   * A function instance (`microlib/serverless`): nothing listens (requests come in
   * through `inject` or the server's request listener), and the file datasource is
   * refused, since a function's disk does not outlive the instance.
   */
  runsAsFunction?: boolean;
  /** The version of each named remote to load at start from REMOTE_CACHE_DIR, asking no source (a function's bundle). */
  startVersions?: Readonly<Record<string, string>>;
  /** The field key's loader, when the caller started deriving the key already (a function, before importing the host). */
  fieldKeys?: FieldKeyLoader;
}

export async function createHost(config: HostConfig, logger: Logger, hostOptions: HostOptions = {}): Promise<Host> {
  const cluster = hostOptions.cluster;
  const { entries, ports: portsConfig, remoteModels: remoteModelsConfig, placements: placementsConfig } = await readRemoteEntries(config.remoteEntriesPath);
  // Placements: this node activates its own models; the others' endpoints forward to their nodes.
  const placement = selectPlacement(normalisePlacements(placementsConfig), config.placement, config.nodeName);

  // What every feature shares: the catalog of what is served now, the local broker, the metrics.
  const catalog = new LiveCatalog();
  const broker = new EventBroker({
    onHandlerError: (error, event, subscription) =>
      logger.error({ err: error, event: event.eventName, eventId: event.id, pattern: subscription.pattern, owner: subscription.owner }, 'event handler failed'),
  });
  const metrics = new HostMetrics({
    breakers: () => flows.breakers.list(),
    eventStats: () => events.stats(),
    datasources: () => datasourceMetrics(catalog),
    canaries: () => catalog.current.canaries(),
    ...(hostOptions.strayErrors ? { strayErrors: hostOptions.strayErrors } : {}),
  });
  cluster?.registerMetrics(metrics.registry);
  const internalFailure = internalFailureReporter(metrics, logger);
  // One budget of buffered request bodies for the whole process: API bodies and webhooks alike.
  const bodyBudget = new BodyBudget(config.maxBufferedBodyBytes);
  const otherModels = otherModelLookup(remoteModelsConfig, catalog, placement, config);

  const persistence = persistenceFeature(config, logger, cluster, { runsAsFunction: hostOptions.runsAsFunction === true });
  const flows = flowsFeature({ settings: config, logger, catalog, broker, otherModels });
  const fieldKeys = hostOptions.fieldKeys ?? fieldKeyLoader(config, logger);
  const activator = createActivator({ config, fieldKeys, placement, portOverrides: normalisePortOverrides(portsConfig), broker, flows: flows.flows, datasources: persistence.datasources, catalog, logger });
  const federation = federationFeature({ settings: config, entries, activator, broker, metrics, logger, cluster, startVersions: hostOptions.startVersions, afterLoad: () => logPlacement() });
  const reencryption = reencryptionFeature({
    settings: config,
    fieldKeys,
    catalog,
    logger,
    registry: metrics.registry,
    unloadedRemotes: () => unloadedRemotes(federation.deployment.remotes()).map((remote) => remote.remote),
    runsTask: (cluster?.slot ?? 1) === 1,
  });
  const security = await createSecurity(config, logger, catalog);
  const events = eventsFeature({ settings: config, broker, catalog, logger, cluster, streamAccess: security.streamAccess });
  const api = apiFeature({ settings: config, catalog, placement, otherModels, authenticate: security.authenticate, metrics, internalFailure, bodyBudget });
  const readiness = readinessFeature({
    settings: config,
    remotes: () => federation.deployment.remotes(),
    cluster,
    conditions: config.readyRequiresDatasources ? [datasourcesDown(catalog)] : [],
  });
  const http = await httpFeature({
    settings: config,
    logger,
    handleModelRequest: api.handleModelRequest,
    adminApp: adminApp({ settings: config, entries, catalog, federation, flows, security, metrics, eventStats: events.stats, readiness: readiness.readiness, logger, cluster, internalFailure, bodyBudget }, { loadOnFirstRequest: hostOptions.runsAsFunction === true }),
    upgrades: events.upgrades,
    cluster,
    listen: hostOptions.runsAsFunction !== true,
  });

  // Started in this order, stopped in reverse: a feature may rely on those before it while it runs.
  const lifecycle = new Lifecycle([persistence, http.portCheck, federation, reencryption, flows, api, http.closed, events, http, metricsListenerFeature(config, metrics.registry, logger), federation.polling, readiness], {
    onStopError: (error, feature) => logger.error({ err: error, feature }, `stopping ${feature} failed`),
  });

  function logPlacement(): void {
    if (!placement.self) return;
    const everywhere = [...catalog.current.models()].map((served) => served.model.name).filter((name) => !placement.isPlaced(name));
    logger.info({ placement: placement.self.name, node: config.nodeName, models: placement.self.models }, `this node runs placement "${placement.self.name}"`);
    if (everywhere.length > 0) logger.info({ models: everywhere }, 'models in no placement are served by every node');
  }

  return {
    server: http.server,
    deployment: federation.deployment,
    events: broker,
    flows: flows.flows,
    async start() {
      if (config.devMode) logger.warn({}, 'MICROLIB_DEV_MODE=true: reload and rollback need no credential; never run so in production');
      if (!config.authEnabled) logger.warn({}, 'AUTH_ENABLED is not set: the API and the WebSocket stream are open to anyone who can reach this host');
      await lifecycle.start();
      return http.port();
    },
    stop: () => lifecycle.stop(),
    inject: injector(http.server),
  };
}
