/**
 * The composition root: the one place that knows every implementation and wires
 * them. Config → sources and loader → deployment; each loaded version →
 * models → datasources → model services → catalog (host/activation.ts) →
 * HTTP server (model router, placement forwarding, admin app). Port calls see
 * the catalog of the moment (host/flow-world.ts); who may do what is
 * host/security.ts.
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { HostConfig } from './config/env.js';
import { readRemoteEntries } from './config/remote-entries.js';
import { normalisePortOverrides } from './config/port-overrides.js';
import { normaliseRemoteModels } from './config/remote-models.js';
import { RemoteModelClient } from './adapters/http/remote-model-client.js';
import { normalisePlacements, selectPlacement } from './config/placements.js';
import { Forwarder } from './adapters/http/forwarder.js';
import { createPlacementRouting } from './adapters/http/placement-routing.js';
import { placedModelLookup } from './adapters/http/placed-model-client.js';
import { BreakerRegistry } from './domain/ports/breaker-registry.js';
import { FlowRunner } from './domain/ports/flow-runner.js';
import { BUILT_IN_SERVICES, builtInServices } from './adapters/ports/built-in-services.js';
import { Deployment, type ReloadResult } from './federation/deployment.js';
import { EventBroker, makeEvent } from './domain/events/index.js';
import { FederationRuntime } from './federation/federation-runtime.js';
import type { LoadedRemote } from './federation/remote-loader.js';
import { SnapshotCache } from './federation/snapshot-cache.js';
import { createAdminApp } from './adapters/http/admin-app.js';
import { createReloadRoutes } from './adapters/http/reload-routes.js';
import { Poller } from './federation/poller.js';
import { pushTargets } from './federation/push-targets.js';
import { createHttpServer } from './adapters/http/http-server.js';
import { requestIdOf } from './adapters/http/request-id.js';
import { createRedirectServer, loadTlsOptions } from './adapters/http/tls.js';
import { EVENTS_WS_PATH, EventStreamServer } from './adapters/ws/event-stream-server.js';
import { EventTransports } from './adapters/events/event-transports.js';
import { HostMetrics } from './adapters/metrics/metrics.js';
import { MicrolibError } from './domain/errors.js';
import { createModelRouter } from './adapters/http/model-router.js';
import { LiveCatalog } from './catalog/live-catalog.js';
import { builtInDatasources, DatasourceRegistry } from './adapters/persistence/datasource-registry.js';
import type { Logger } from './adapters/logging/logger.js';
import { PortFailureLog } from './domain/ports/port-failure-log.js';
import { ReloadLog } from './federation/reload-log.js';
import { createReloadAccess } from './adapters/http/reload-access.js';
import { createDashboardApi } from './adapters/http/dashboard-api.js';
import { createDashboardRoutes } from './adapters/http/dashboard-routes.js';
import type { WorkerLink } from './cluster/worker-link.js';
import { InFlightRequests } from './adapters/http/in-flight.js';
import { createClusterRoutes } from './adapters/http/cluster-routes.js';
import express from 'express';
import { createFlowWorld } from './host/flow-world.js';
import { createActivator } from './host/activation.js';
import { createSecurity } from './host/security.js';

export interface Host {
  readonly server: Server;
  readonly deployment: Deployment;
  readonly events: EventBroker;
  readonly flows: FlowRunner;
  /** Loads the remotes and starts listening; resolves with the bound port. */
  start(): Promise<number>;
  stop(): Promise<void>;
}

/** Options of a host that runs as a cluster worker. */
export interface HostOptions {
  /** The channel to the cluster primary (cluster mode only). */
  cluster?: WorkerLink;
}

export async function createHost(config: HostConfig, logger: Logger, hostOptions: HostOptions = {}): Promise<Host> {
  const cluster = hostOptions.cluster;
  const { entries, ports: portsConfig, remoteModels: remoteModelsConfig, placements: placementsConfig } = await readRemoteEntries(config.remoteEntriesPath);
  // Placements: this node activates its own models; the others' endpoints forward to their nodes.
  const placement = selectPlacement(normalisePlacements(placementsConfig), config.placement, config.nodeName);
  const portOverrides = normalisePortOverrides(portsConfig);
  const remoteModels = new Map(
    [...normaliseRemoteModels(remoteModelsConfig)].map(([name, { url, headers }]) => [
      name,
      new RemoteModelClient({ modelName: name, url, timeoutMs: config.relationTimeoutMs, ...(headers ? { headers } : {}) }),
    ]),
  );
  // In a cluster, memory and file datasources live in the primary: every worker sees the same records.
  const datasources = new DatasourceRegistry(cluster ? cluster.datasourceFactories(builtInDatasources) : builtInDatasources, {
    kind: config.defaultDatasource,
    dataDir: config.dataDir,
    logger: logger.child({ component: 'datasource' }),
    options: { defaultUrl: config.mongodbUrl, defaultDatabase: config.mongodbDatabase },
  });
  const catalog = new LiveCatalog();
  const placedModel = placedModelLookup(catalog, { timeoutMs: config.relationTimeoutMs, self: placement.label });
  const broker = new EventBroker({
    onHandlerError: (error, event, subscription) =>
      logger.error({ err: error, event: event.eventName, eventId: event.id, pattern: subscription.pattern, owner: subscription.owner }, 'event handler failed'),
  });
  const breakers = new BreakerRegistry((model, port, change) =>
    logger.warn({ model, port, from: change.from, to: change.to }, `circuit of port ${model}.${port} is ${change.to}`),
  );
  const portFailures = new PortFailureLog();
  const hostServices = builtInServices({
    publish: (event) => broker.publish(event),
    lookup: (name) => {
      const placed = catalog.current.placedByModelName(name);
      if (placed) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `persistence: model "${name}" runs in placement "${placed.placement.name}" (${placed.placement.nodes.join(', ')}), not on this node; read it through a relation or its API there`);
      return catalog.current.byName(name)?.service;
    },
  });
  const world = createFlowWorld(catalog, (name) => remoteModels.get(name) ?? placedModel(name), hostServices);
  const flows = new FlowRunner({
    world,
    breakers,
    publish: (event) => broker.publish(event),
    onError: (error, { phase, ...where }) =>
      phase === 'start'
        ? logger.warn({ err: error, ...where }, `event ${where.event} did not start a flow`)
        : logger.error({ err: error, ...where }, 'flow stopped; it resumes when the host or the model comes back'),
    // Stable across a worker's replacement (same slot), unlike HOST_ID's default.
    runnerId: config.flowRunnerId,
    adoptUnowned: (config.workerSlot ?? 1) === 1,
    onStep: ({ error, ...report }) => {
      if (report.outcome === 'failed' || report.outcome === 'undo-failed') portFailures.record(report.model, report.port, { outcome: report.outcome, error, id: report.id });
      if (error === undefined) logger.debug(report, 'flow step');
      else logger.warn({ ...report, err: error }, `flow step ${report.outcome}`);
    },
  });
  const activator = createActivator({ config, placement, portOverrides, broker, flows, datasources, catalog, logger });
  const activate = activator.activate;

  const deployment = new Deployment(entries, {
    runtime: new FederationRuntime(),
    cache: new SnapshotCache(config.cacheDir),
    sources: { githubApiUrl: config.githubApiUrl, githubToken: config.githubToken, fetchTimeoutMs: config.fetchTimeoutMs },
    loadTimeoutMs: config.loadTimeoutMs,
    logger,
    activate,
    keepVersions: config.keepVersions,
    drainTimeoutMs: config.drainTimeoutMs,
  });

  const security = await createSecurity(config, logger, catalog);
  const { authenticate } = security;
  const metrics = new HostMetrics({ breakers: () => breakers.list(), eventStats: () => ({ ...transports.stats(), websocketClients: eventStream.stats() }) });
  deployment.on('reloaded', (result: ReloadResult) => metrics.reload(result.remote, result.reason, result.outcome, result.ms));
  deployment.on('reload-failed', (result: ReloadResult) => metrics.reload(result.remote, result.reason, result.outcome, result.ms));
  const reloadLog = new ReloadLog();
  deployment.on('reloaded', (result: ReloadResult) => reloadLog.add(result));
  deployment.on('reload-failed', (result: ReloadResult) => reloadLog.add(result));
  /** An error no request should meet: counted, and logged under the request's id (which its 500 answer names). */
  const internalFailure = (what: string) => (error: unknown, req: IncomingMessage) => {
    metrics.internalError();
    logger.error({ err: error, requestId: requestIdOf(req), method: req.method, url: req.url }, what);
  };
  const forwarder = new Forwarder({ self: placement.label, timeoutMs: config.forwardTimeoutMs });
  const handleLocalModelRequest = createModelRouter(catalog, {
    observe: (model, route, method, status, startedAt) => metrics.request(model, route, method, status, startedAt),
    ...(authenticate ? { authenticate } : {}),
    bodyLimitBytes: config.bodyLimitBytes,
    defaultPageSize: config.defaultPageSize,
    maxPageSize: config.maxPageSize,
    remoteModel: (name) => remoteModels.get(name) ?? placedModel(name),
    onInternalError: internalFailure('request failed'),
  });
  // Without a placement every model is served here: no routing layer, no node header.
  const handleModelRequest = !placement.self ? handleLocalModelRequest : createPlacementRouting({
    catalog,
    forwarder,
    nodeLabel: placement.label,
    handleLocal: handleLocalModelRequest,
    ...(authenticate ? { authenticate } : {}),
    observe: (model, to, status) => metrics.forwarded(model, to, status),
    onInternalError: internalFailure('forwarding failed'),
  });
  deployment.on('retired', ({ loaded }: { loaded: LoadedRemote }) => activator.retire(loaded));
  // Deploys are events too: listeners (and later the dashboard and other hosts) see them.
  deployment.on('reloaded', (result: ReloadResult) => void broker.publish(makeEvent('remoteReloaded', { data: result })));
  deployment.on('reload-failed', (result: ReloadResult) => void broker.publish(makeEvent('remoteReloadFailed', { data: result })));

  const { isAdmin } = security;
  const reloadRoutes = createReloadRoutes({
    deployment,
    pushTargets: (push) => pushTargets(entries, push),
    webhookSecret: config.webhookSecret,
    adminToken: config.adminToken,
    devMode: config.devMode,
    logger,
    ...(isAdmin ? { isAdmin } : {}),
    ...(cluster ? { fanOut: (result: ReloadResult) => cluster.broadcastReload(result) } : {}),
  });
  let ready = false;
  const adminApp = createAdminApp({
    ready: () => ready,
    metrics: metrics.registry,
    catalog,
    deployment,
    reloadRoutes: cluster ? express.Router().use(reloadRoutes, createClusterRoutes(cluster.slot, () => cluster.info())) : reloadRoutes,
    breakers,
    builtInServices: BUILT_IN_SERVICES,
    onInternalError: internalFailure('request failed'),
    eventStats: () => ({ ...transports.stats(), websocketClients: eventStream.stats() }),
    ...(authenticate && security.adminPermission ? { authenticate, adminPermission: security.adminPermission } : {}),
    dashboardPages: createDashboardRoutes(),
    dashboardApi: createDashboardApi({
      catalog,
      authEnabled: config.authEnabled,
      reloadAccess: createReloadAccess({ adminToken: config.adminToken, devMode: config.devMode, ...(isAdmin ? { isAdmin } : {}) }),
    }),
    portFailures,
    reloadLog,
  });
  const poller = new Poller(deployment, config.pollIntervalMs);
  const eventStream = new EventStreamServer({
    // In a cluster, WebSocket clients also see the events of the other workers.
    broker: cluster ? cluster.streamBroker(broker) : broker,
    // Events of models placed elsewhere arrive through Kafka: subscribing to them is fine here too.
    knownModel: (name) => catalog.current.knows(name),
    logger: logger.child({ component: 'ws' }),
    maxBufferedBytes: config.wsMaxBufferedBytes,
    maxSubscriptions: config.wsMaxSubscriptions,
    maxMessageBytes: 65_536,
    heartbeatMs: 30_000,
    ...security.streamAccess,
  });
  const transports = new EventTransports({
    broker,
    logger,
    hostId: config.hostId,
    share: config.eventsShare,
    webswitchHub: config.webswitchHub,
    webswitchUrl: config.webswitchUrl,
    webswitchSecret: config.webswitchSecret,
    kafka: config.kafka,
  });
  const upgrades = new Map([[EVENTS_WS_PATH, eventStream.handleUpgrade.bind(eventStream)], ...transports.upgrades()]);
  let tlsOptions: Awaited<ReturnType<typeof loadTlsOptions>> | undefined;
  if (config.tls) {
    tlsOptions = await loadTlsOptions(config.tls);
    for (const warning of tlsOptions.warnings) logger.warn({}, warning);
  }
  const accessLog = logger.child({ component: 'http' });
  const onResponse = config.logRequests
    ? (req: IncomingMessage, res: ServerResponse, startedAt: number) =>
        accessLog.info({ requestId: requestIdOf(req), method: req.method, url: req.url, status: res.statusCode, ms: Math.round((performance.now() - startedAt) * 10) / 10 }, 'request')
    : undefined;
  const server = createHttpServer({ handleModelRequest, adminApp, upgrades, ...(onResponse ? { onResponse } : {}) }, tlsOptions && { key: tlsOptions.key, cert: tlsOptions.cert, ...(tlsOptions.ca ? { ca: tlsOptions.ca } : {}) });
  const inFlight = new InFlightRequests(server);
  cluster?.tagResponses(server);
  cluster?.serveReloads(deployment);
  const redirect = config.sslRedirectPort ? createRedirectServer(() => (server.address() as AddressInfo).port) : undefined;

  return {
    server,
    deployment,
    events: broker,
    flows,
    async start() {
      if (config.devMode) logger.warn({}, 'MICROLIB_DEV_MODE=true: reload and rollback need no credential; never run so in production');
      if (!config.authEnabled) logger.warn({}, 'AUTH_ENABLED is not set: the API and the WebSocket stream are open to anyone who can reach this host');
      await deployment.loadAll(cluster ? await cluster.deployedVersions() : {});
      if (placement.self) {
        const everywhere = [...catalog.current.models()].map((served) => served.model.name).filter((name) => !placement.isPlaced(name));
        logger.info({ placement: placement.self.name, node: config.nodeName, models: placement.self.models }, `this node runs placement "${placement.self.name}"`);
        if (everywhere.length > 0) logger.info({ models: everywhere }, 'models in no placement are served by every node');
      }
      // One poller per cluster: slot 1's, whose reloads reach the other workers.
      if (!cluster || cluster.slot === 1) poller.start();
      await transports.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      if (redirect) {
        await new Promise<void>((resolve, reject) => {
          redirect.once('error', reject);
          redirect.listen(config.sslRedirectPort, config.host, () => resolve());
        });
        logger.info({ redirectPort: config.sslRedirectPort }, 'redirecting http to https');
      }
      ready = true;
      cluster?.ready();
      return (server.address() as AddressInfo).port;
    },
    async stop() {
      // Readiness turns false first, so a load balancer stops sending before connections close.
      ready = false;
      if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      poller.stop();
      redirect?.close();
      // No new connections; requests in flight finish (bounded), then their connections close.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (!(await inFlight.drain(config.shutdownTimeoutMs))) {
        logger.warn({ requests: inFlight.size, timeoutMs: config.shutdownTimeoutMs }, 'requests still in flight after SHUTDOWN_TIMEOUT_MS; closing their connections');
      }
      await eventStream.close();
      await transports.stop();
      server.closeAllConnections();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      forwarder.close();
      // Steps in progress are interrupted; their flows resume on the next start.
      await flows.stop(config.drainTimeoutMs);
      await deployment.dispose();
      await datasources.closeAll();
    },
  };
}
