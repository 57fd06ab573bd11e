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
import { parseModelSpecs } from './domain/spec-parser.js';
import { Model } from './domain/model.js';
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
import { createModelRouter, MODELS_PREFIX } from './adapters/http/model-router.js';
import { RouteTable, RouteTableRef, type ModelRoute } from './adapters/http/route-table.js';
import { builtInDatasources, DatasourceRegistry } from './adapters/persistence/datasource-registry.js';
import type { Logger } from './adapters/logging/logger.js';

export interface Host {
  readonly server: Server;
  readonly deployment: Deployment;
  readonly events: EventBroker;
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

export async function createHost(config: HostConfig, logger: Logger): Promise<Host> {
  const entries = await readRemoteEntries(config.remoteEntriesPath);
  const datasources = new DatasourceRegistry(builtInDatasources, {
    kind: config.defaultDatasource,
    dataDir: config.dataDir,
    logger: logger.child({ component: 'datasource' }),
  });
  const table = new RouteTableRef();
  const broker = new EventBroker({
    onHandlerError: (error, event, subscription) =>
      logger.error({ err: error, event: event.eventName, eventId: event.id, pattern: subscription.pattern, owner: subscription.owner }, 'event handler failed'),
  });
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
    const specs = modelsModule === undefined ? [] : parseModelSpecs(modelsModule);
    const models = specs.map((spec) => new Model(spec, { remote, version: loaded.version }, { events: forModel(broker, spec.modelName, owner) }));
    const services = await Promise.all(
      models.map(async (model) => {
        const datasource = await datasources.forModel(model.name, model.spec.datasource);
        return { model, service: new ModelService(model, datasource, systemClock, broker), servedBy: `${remote}@${loaded.version}` } satisfies ModelRoute;
      }),
    );
    // From here on synchronous: read the current table and replace it in one step.
    const replaced = table.current;
    const routes = new Map([...replaced.routes].filter(([, route]) => route.model.identity.remote !== remote));
    const names = new Map([...routes.values()].map((route) => [route.model.name, route.model.identity.remote]));
    for (const route of services) {
      const taken = routes.get(route.model.endpoint);
      if (taken) throw new Error(`endpoint "${route.model.endpoint}" is already served by remote "${taken.model.identity.remote}"`);
      const owner = names.get(route.model.name);
      if (owner) throw new Error(`model "${route.model.name}" is already served by remote "${owner}"`);
      routes.set(route.model.endpoint, route);
      names.set(route.model.name, remote);
    }
    for (const { model } of services) {
      // A spec's eventHandlers receive that model's own events.
      for (const handler of model.spec.eventHandlers ?? []) {
        broker.subscribe('*', (event) => (event.modelName === model.name ? handler(event) : undefined), { owner });
      }
    }
    table.current = new RouteTable(routes);
    for (const route of replaced.routes.values()) {
      if (route.model.identity.remote === remote && !routes.has(route.model.endpoint)) {
        logger.warn({ remote, model: route.model.name, route: `${MODELS_PREFIX}${route.model.endpoint}` }, 'model no longer served; its data is kept');
      }
    }
    for (const { model, service } of services) {
      logger.info({ remote, model: model.name, route: `${MODELS_PREFIX}${model.endpoint}`, datasource: service.datasource.kind }, 'serving model');
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

  const handleModelRequest = createModelRouter(table, {
    bodyLimitBytes: config.bodyLimitBytes,
    defaultPageSize: config.defaultPageSize,
    maxPageSize: config.maxPageSize,
    onInternalError: (error, req) => logger.error({ err: error, method: req.method, url: req.url }, 'request failed'),
  });
  deployment.on('retired', ({ loaded }: { loaded: LoadedRemote }) => {
    const owner = owners.get(loaded);
    if (owner) broker.disposeOwner(owner);
  });
  // Deploys are events too: listeners (and later the dashboard and other hosts) see them.
  deployment.on('reloaded', (result: ReloadResult) => void broker.publish(makeEvent('remoteReloaded', { data: result })));
  deployment.on('reload-failed', (result: ReloadResult) => void broker.publish(makeEvent('remoteReloadFailed', { data: result })));

  const reloadRoutes = createReloadRoutes({
    deployment,
    entries,
    webhookSecret: config.webhookSecret,
    adminToken: config.adminToken,
    devMode: config.devMode,
    logger,
  });
  const adminApp = createAdminApp({ table, deployment, reloadRoutes });
  const poller = new Poller(deployment, config.pollIntervalMs);
  const server = createHttpServer({ handleModelRequest, adminApp });

  return {
    server,
    deployment,
    events: broker,
    async start() {
      if (config.devMode) logger.warn({}, 'MICROLIB_DEV_MODE=true: reload and rollback need no credential; never run so in production');
      await deployment.loadAll();
      poller.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return (server.address() as AddressInfo).port;
    },
    async stop() {
      poller.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await deployment.dispose();
      await datasources.closeAll();
    },
  };
}
