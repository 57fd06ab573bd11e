/**
 * The composition root: the one place that knows every implementation and wires
 * them. Config → sources and loader → deployment; each loaded version →
 * models → datasources → model services → route table → HTTP server.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { HostConfig } from './config/env.js';
import { readRemoteEntries } from './config/remote-entries.js';
import { normalisePortOverrides } from './config/port-overrides.js';
import { normaliseRemoteModels } from './config/remote-models.js';
import { RemoteModelClient } from './adapters/http/remote-model-client.js';
import { normalisePlacements, selectPlacement } from './config/placements.js';
import { Forwarder } from './adapters/http/forwarder.js';
import { createPlacementRouting } from './adapters/http/placement-routing.js';
import { placedModelLookup } from './adapters/http/placed-model-client.js';
import { parseModelSpecs } from './domain/spec-parser.js';
import { Model } from './domain/model.js';
import type { FieldCipher } from './domain/field-protection.js';
import { loadFieldCipher } from './config/encryption-keys.js';
import { BreakerRegistry } from './domain/ports/breaker-registry.js';
import { FlowRunner, type FlowWorld } from './domain/ports/flow-runner.js';
import { parseAdapters, parseServices } from './domain/ports/binding-modules.js';
import { BUILT_IN_SERVICES, builtInServices } from './adapters/ports/built-in-services.js';
import { ModelService, type ServiceClock } from './domain/model-service.js';
import { Deployment, type Activation, type ReloadResult } from './federation/deployment.js';
import { EventBroker, forModel, makeEvent } from './domain/events/index.js';
import { FederationRuntime } from './federation/federation-runtime.js';
import type { LoadedRemote } from './federation/remote-loader.js';
import { SnapshotCache } from './federation/snapshot-cache.js';
import { createAdminApp } from './adapters/http/admin-app.js';
import { createReloadRoutes } from './adapters/http/reload-routes.js';
import { Poller } from './federation/poller.js';
import { createHttpServer } from './adapters/http/http-server.js';
import { requestIdOf } from './adapters/http/request-id.js';
import { createRedirectServer, loadTlsOptions } from './adapters/http/tls.js';
import { EVENTS_WS_PATH, EventStreamServer } from './adapters/ws/event-stream-server.js';
import { EventTransports } from './adapters/events/event-transports.js';
import { HostMetrics } from './adapters/metrics/metrics.js';
import { readAuthConfig } from './config/auth-config.js';
import { createJwtVerifier } from './adapters/auth/jwt-verifier.js';
import { createRequestAuthenticator } from './adapters/auth/request-authenticator.js';
import { checkOperation, ownedBy } from './domain/access.js';
import { MicrolibError } from './domain/errors.js';
import { createModelRouter, MODELS_PREFIX } from './adapters/http/model-router.js';
import { RouteTable, RouteTableRef, type Bound, type ModelRoute, type PlacedElsewhere } from './adapters/http/route-table.js';
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

export interface Host {
  readonly server: Server;
  readonly deployment: Deployment;
  readonly events: EventBroker;
  readonly flows: FlowRunner;
  /** Loads the remotes and starts listening; resolves with the bound port. */
  start(): Promise<number>;
  stop(): Promise<void>;
}

/** ISO time of the current millisecond, formatted once per millisecond (it is per request otherwise). */
let clockMs = 0;
let clockIso = '';
const systemClock: ServiceClock = {
  now() {
    const ms = Date.now();
    if (ms !== clockMs) {
      clockMs = ms;
      clockIso = new Date(ms).toISOString();
    }
    return clockIso;
  },
  newId: () => randomUUID(),
};

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
  const table = new RouteTableRef();
  const placedModel = placedModelLookup(() => table.current.elsewhereByModelName, { timeoutMs: config.relationTimeoutMs, self: placement.label });
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
      const placed = table.current.elsewhereByModelName.get(name);
      if (placed) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `persistence: model "${name}" runs in placement "${placed.placement.name}" (${placed.placement.nodes.join(', ')}), not on this node; read it through a relation or its API there`);
      return table.current.byModelName.get(name)?.service;
    },
  });
  /** Ports bind when called, to the table of the moment; a replaced table is disposed after its users release it. */
  const world: FlowWorld = {
    acquire() {
      const current = table.current;
      current.enter();
      const { adapters, services } = current.bindings;
      return {
        env: {
          service: (name) => current.byModelName.get(name)?.service,
          remoteModel: (name) => remoteModels.get(name) ?? placedModel(name),
          bindings: {
            adapter: (name) => adapters.get(name)?.value,
            service: (name) => {
              const bound = services.get(name);
              if (bound) return { found: true, value: bound.value };
              return hostServices.has(name) ? { found: true, value: hostServices.get(name) } : { found: false, value: undefined };
            },
          },
        },
        release: () => current.leave(),
      };
    },
  };
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
  /** The key of sensitive fields, derived once, when a model first needs it (scrypt takes ~100 ms). */
  let cipherLoad: Promise<FieldCipher> | undefined;
  const fieldCipher = () =>
    (cipherLoad ??= loadFieldCipher({ password: config.encryptionPassword, dataDir: config.dataDir, warn: (message) => logger.warn({}, message) }).catch((error: unknown) => {
      cipherLoad = undefined;
      throw error;
    }));
  /** The broker owner of each active version: its subscriptions end with it. */
  const owners = new WeakMap<LoadedRemote, string>();
  let activations = 0;

  /** Builds the routes of one loaded version and swaps them in, or throws and changes nothing. */
  async function activate(remote: string, loaded: LoadedRemote): Promise<Activation> {
    const owner = `${remote}@${loaded.version}#${++activations}`;
    try {
      const activation = await build(remote, loaded, owner);
      owners.set(loaded, owner);
      return activation;
    } catch (error) {
      // Whatever the refused version subscribed (its factories may listen) goes with it.
      broker.disposeOwner(owner);
      throw error;
    }
  }

  async function build(remote: string, loaded: LoadedRemote, owner: string): Promise<Activation> {
    const modelsModule = loaded.modules.get('./models');
    const allSpecs = modelsModule === undefined ? [] : parseModelSpecs(modelsModule);
    // Models of another placement: no datasource, flows or handlers here (their factories do not even run).
    const placedHere: PlacedElsewhere[] = allSpecs.flatMap((spec) => {
      const where = placement.elsewhere(spec.modelName);
      return where ? [{ modelName: spec.modelName, endpoint: spec.endpoint, remote, placement: where }] : [];
    });
    const specs = allSpecs.filter((spec) => !placement.elsewhere(spec.modelName));
    const portDefaults = { timeoutMs: config.portTimeoutMs };
    const cipher = specs.some((spec) => Object.values(spec.fields ?? {}).some((field) => field.sensitive)) ? await fieldCipher() : undefined;
    const models = specs.map(
      (spec) =>
        new Model(spec, { remote, version: loaded.version }, { events: forModel(broker, spec.modelName, owner) }, {
          ports: { defaults: portDefaults, overrides: portOverrides.get(spec.modelName) },
          cipher,
        }),
    );
    const adapters = parseAdapters(loaded.modules.get('./adapters'));
    const exposedServices = parseServices(loaded.modules.get('./services'));
    for (const name of exposedServices.keys()) {
      if ((BUILT_IN_SERVICES as readonly string[]).includes(name)) throw new Error(`./services export "${name}" has the name of a host built-in service; rename it`);
    }
    const services = await Promise.all(
      models.map(async (model) => {
        const datasource = await datasources.forModel(model.name, model.spec.datasource);
        return { model, service: new ModelService(model, datasource, systemClock, broker, flows), servedBy: `${remote}@${loaded.version}` } satisfies ModelRoute;
      }),
    );
    // From here on synchronous: read the current table and replace it in one step.
    const replaced = table.current;
    const bindings = {
      adapters: mergeExports('adapter', replaced.bindings.adapters, adapters, remote),
      services: mergeExports('service', replaced.bindings.services, exposedServices, remote),
    };
    const routes = new Map([...replaced.routes].filter(([, route]) => route.model.identity.remote !== remote));
    const elsewhere = new Map([...replaced.elsewhere].filter(([, placed]) => placed.remote !== remote));
    const names = new Map([...routes.values()].map((route) => [route.model.name, route.model.identity.remote]));
    for (const placed of elsewhere.values()) names.set(placed.modelName, placed.remote);
    for (const placed of placedHere) {
      const taken = routes.get(placed.endpoint)?.model.identity.remote ?? elsewhere.get(placed.endpoint)?.remote;
      if (taken) throw new Error(`endpoint "${placed.endpoint}" is already served by remote "${taken}"`);
      const owner = names.get(placed.modelName);
      if (owner) throw new Error(`model "${placed.modelName}" is already served by remote "${owner}"`);
      elsewhere.set(placed.endpoint, placed);
      names.set(placed.modelName, remote);
    }
    for (const route of services) {
      const taken = routes.get(route.model.endpoint)?.model.identity.remote ?? elsewhere.get(route.model.endpoint)?.remote;
      if (taken) throw new Error(`endpoint "${route.model.endpoint}" is already served by remote "${taken}"`);
      const owner = names.get(route.model.name);
      if (owner) throw new Error(`model "${route.model.name}" is already served by remote "${owner}"`);
      routes.set(route.model.endpoint, route);
      names.set(route.model.name, remote);
    }
    for (const { model, service } of services) {
      // A spec's eventHandlers receive that model's own events.
      for (const handler of model.spec.eventHandlers ?? []) {
        broker.subscribe('*', (event) => (event.modelName === model.name ? handler(event) : undefined), { owner });
      }
      for (const trigger of flows.triggers(service)) broker.subscribe(trigger.eventName, trigger.handler, { owner });
    }
    table.current = new RouteTable(routes, bindings, elsewhere);
    for (const { model, service } of services) {
      // Flows of a model that was not served a moment ago (host start, or its remote is back) resume now.
      if (replaced.byModelName.get(model.name)?.model.identity.remote === remote) continue;
      flows.resume(service).then(
        (count) => count > 0 && logger.info({ model: model.name, flows: count }, 'resuming unfinished flows'),
        (error: unknown) => logger.error({ err: error, model: model.name }, 'could not list unfinished flows'),
      );
    }
    for (const route of replaced.routes.values()) {
      if (route.model.identity.remote === remote && !routes.has(route.model.endpoint)) {
        logger.warn({ remote, model: route.model.name, route: `${MODELS_PREFIX}${route.model.endpoint}` }, 'model no longer served; its data is kept');
      }
    }
    for (const { model, service } of services) {
      logger.info({ remote, model: model.name, route: `${MODELS_PREFIX}${model.endpoint}`, datasource: service.datasource.kind }, 'serving model');
    }
    for (const placed of placedHere) {
      logger.info({ remote, model: placed.modelName, route: `${MODELS_PREFIX}${placed.endpoint}`, placement: placed.placement.name, nodes: placed.placement.nodes }, 'forwarding model to its placement');
    }
    return { drained: replaced.whenIdle() };
  }

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

  const auth = config.authEnabled ? await readAuthConfig(config.authKeySetPath) : undefined;
  const authenticate = auth
    ? createRequestAuthenticator({ verify: await createJwtVerifier(auth), logger: logger.child({ component: 'auth' }), maxFailuresPerMinute: config.authMaxFailuresPerMinute })
    : undefined;
  const metrics = new HostMetrics({ breakers: () => breakers.list(), eventStats: () => ({ ...transports.stats(), websocketClients: eventStream.stats() }) });
  deployment.on('reloaded', (result: ReloadResult) => metrics.reload(result.remote, result.reason, result.outcome, result.ms));
  deployment.on('reload-failed', (result: ReloadResult) => metrics.reload(result.remote, result.reason, result.outcome, result.ms));
  const reloadLog = new ReloadLog();
  deployment.on('reloaded', (result: ReloadResult) => reloadLog.add(result));
  deployment.on('reload-failed', (result: ReloadResult) => reloadLog.add(result));
  const forwarder = new Forwarder({ self: placement.label, timeoutMs: config.forwardTimeoutMs });
  const handleLocalModelRequest = createModelRouter(table, {
    observe: (model, route, method, status, startedAt) => metrics.request(model, route, method, status, startedAt),
    ...(authenticate ? { authenticate } : {}),
    bodyLimitBytes: config.bodyLimitBytes,
    defaultPageSize: config.defaultPageSize,
    maxPageSize: config.maxPageSize,
    remoteModel: (name) => remoteModels.get(name) ?? placedModel(name),
    onInternalError: (error, req) => {
      metrics.internalError();
      logger.error({ err: error, requestId: requestIdOf(req), method: req.method, url: req.url }, 'request failed');
    },
  });
  const handleModelRequest = createPlacementRouting({
    table,
    forwarder,
    nodeLabel: placement.label,
    handleLocal: handleLocalModelRequest,
    ...(authenticate ? { authenticate } : {}),
    observe: (model, to, status) => metrics.forwarded(model, to, status),
    onInternalError: (error, req) => {
      metrics.internalError();
      logger.error({ err: error, requestId: requestIdOf(req), method: req.method, url: req.url }, 'forwarding failed');
    },
  });
  deployment.on('retired', ({ loaded }: { loaded: LoadedRemote }) => {
    const owner = owners.get(loaded);
    if (owner) broker.disposeOwner(owner);
  });
  // Deploys are events too: listeners (and later the dashboard and other hosts) see them.
  deployment.on('reloaded', (result: ReloadResult) => void broker.publish(makeEvent('remoteReloaded', { data: result })));
  deployment.on('reload-failed', (result: ReloadResult) => void broker.publish(makeEvent('remoteReloadFailed', { data: result })));

  const isAdmin =
    authenticate && auth
      ? (req: import('node:http').IncomingMessage) =>
          authenticate(req).then(
            (caller) => !!caller.permissions?.some((p) => p === auth.adminPermission || p === '*'),
            () => false,
          )
      : undefined;
  const reloadRoutes = createReloadRoutes({
    deployment,
    entries,
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
    table,
    deployment,
    reloadRoutes: cluster ? express.Router().use(reloadRoutes, createClusterRoutes(cluster.slot, () => cluster.info())) : reloadRoutes,
    breakers,
    builtInServices: BUILT_IN_SERVICES,
    onInternalError: (error, req) => {
      metrics.internalError();
      logger.error({ err: error, requestId: requestIdOf(req), method: req.method, url: req.url }, 'request failed');
    },
    eventStats: () => ({ ...transports.stats(), websocketClients: eventStream.stats() }),
    ...(authenticate && auth ? { authenticate, adminPermission: auth.adminPermission } : {}),
    dashboardPages: createDashboardRoutes(),
    dashboardApi: createDashboardApi({
      table,
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
    knownModel: (name) => table.current.byModelName.has(name) || table.current.elsewhereByModelName.has(name),
    logger: logger.child({ component: 'ws' }),
    maxBufferedBytes: config.wsMaxBufferedBytes,
    maxSubscriptions: config.wsMaxSubscriptions,
    maxMessageBytes: 65_536,
    heartbeatMs: 30_000,
    ...(authenticate && auth
      ? {
          authenticate,
          authorizeModel: (modelName: string, caller: Parameters<typeof ownedBy>[2]) => {
            const access = table.current.byModelName.get(modelName)?.model.spec.access;
            checkOperation(modelName, access, 'read', caller);
            return ownedBy(modelName, access, caller);
          },
          authorizeEventNames: (caller: { permissions?: readonly string[] }) => {
            // Events by name may carry any model's records: admins only.
            if (!caller.permissions?.includes(auth.adminPermission) && !caller.permissions?.includes('*')) {
              throw new MicrolibError('MLB_ERR_FORBIDDEN', `subscribing to events by name needs the permission ${auth.adminPermission}`);
            }
          },
        }
      : {}),
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
    ? (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, startedAt: number) =>
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
        const everywhere = [...table.current.byModelName.keys()].filter((name) => !placement.isPlaced(name));
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

/**
 * The adapters (or services) of every loaded version after `remote` exposes
 * `exposed`: its previous exports go, another remote's export of the same name
 * refuses the version.
 */
function mergeExports<T>(kind: string, current: ReadonlyMap<string, Bound<T>>, exposed: ReadonlyMap<string, T>, remote: string): Map<string, Bound<T>> {
  const merged = new Map([...current].filter(([, bound]) => bound.remote !== remote));
  for (const [name, value] of exposed) {
    const taken = merged.get(name);
    if (taken) throw new Error(`${kind} "${name}" is already exposed by remote "${taken.remote}"`);
    merged.set(name, { value, remote });
  }
  return merged;
}
