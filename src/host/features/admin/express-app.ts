/**
 * The host's own endpoints on Express: health and readiness, metrics, config,
 * remotes, ports, events, the OpenAPI document, reloads and rollbacks (webhook,
 * admin token or admin JWT), the dashboard and, in a cluster, the workers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import express from 'express';
import { createAdminApp } from '../../../adapters/http/admin-app.js';
import { createReloadRoutes } from '../../../adapters/http/reload-routes.js';
import { createCanaryRoutes } from '../../../adapters/http/canary-routes.js';
import { createReloadAccess } from '../../../adapters/http/reload-access.js';
import { DELIVERY_FILE, DeliveryFile } from '../../../adapters/http/delivery-file.js';
import { createClusterRoutes } from '../../../adapters/http/cluster-routes.js';
import { createDashboardApi } from '../../../adapters/http/dashboard-api.js';
import { createDashboardRoutes } from '../../../adapters/http/dashboard-routes.js';
import { BUILT_IN_SERVICES } from '../../../adapters/ports/built-in-services.js';
import type { BodyBudget } from '../../../adapters/http/body-budget.js';
import type { HostMetrics } from '../../../adapters/metrics/metrics.js';
import type { Logger } from '../../../adapters/logging/logger.js';
import type { CatalogView } from '../../../catalog/live-catalog.js';
import type { RemoteEntry } from '../../../config/remote-entries.js';
import type { CanaryChange, CanaryReport, ReloadResult } from '../../../federation/deployment.js';
import { pushTargets } from '../../../federation/push-targets.js';
import type { WorkerLink } from '../../../cluster/worker-link.js';
import type { Security } from '../security/feature.js';
import type { FederationFeature } from '../federation/feature.js';
import type { FlowsFeature } from '../flows/feature.js';
import type { InternalFailure } from '../../internal-failure.js';
import type { Readiness } from '../readiness/feature.js';
import type { AdminSettings } from './settings.js';

export interface AdminDeps {
  settings: AdminSettings & { devMode: boolean; authEnabled: boolean; dataDir: string };
  entries: RemoteEntry[];
  catalog: CatalogView;
  federation: Pick<FederationFeature, 'deployment' | 'reloadLog'>;
  flows: Pick<FlowsFeature, 'breakers' | 'portFailures'>;
  security: Security;
  metrics: HostMetrics;
  eventStats(): Record<string, unknown>;
  readiness(): Readiness;
  logger: Logger;
  cluster: WorkerLink | undefined;
  internalFailure: InternalFailure;
  /** The process's budget of buffered request bodies, shared with the generated API. */
  bodyBudget: BodyBudget;
}

/** The admin app answers every request outside the generated API (feature.ts loads this module). */
export function expressAdminApp(deps: AdminDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { settings, security, cluster } = deps;
  const { isAdmin, authenticate } = security;
  const reloadRoutes = createReloadRoutes({
    deployment: deps.federation.deployment,
    pushTargets: (push) => pushTargets(deps.entries, push),
    // Seen delivery ids survive a restart: in DATA_DIR, written by the process that locks it (the primary in a cluster).
    deliveries: cluster ? { firstTime: (id: string) => cluster.firstDelivery(id) } : new DeliveryFile(path.join(settings.dataDir, DELIVERY_FILE)),
    webhookSecret: settings.webhookSecret,
    adminToken: settings.adminToken,
    devMode: settings.devMode,
    bodyLimits: { maxBodyBytes: settings.webhookMaxBodyBytes, maxUnverified: settings.webhookMaxUnverified, budget: deps.bodyBudget },
    logger: deps.logger,
    ...(isAdmin ? { isAdmin } : {}),
    ...(cluster ? { fanOut: (result: ReloadResult) => cluster.broadcastReload(result) } : {}),
  });
  const canaryRoutes = createCanaryRoutes({
    deployment: deps.federation.deployment,
    adminToken: settings.adminToken,
    devMode: settings.devMode,
    bodyLimits: { maxBodyBytes: settings.webhookMaxBodyBytes, maxUnverified: settings.webhookMaxUnverified, budget: deps.bodyBudget },
    logger: deps.logger,
    ...(isAdmin ? { isAdmin } : {}),
    ...(cluster ? { spread: (remote: string, result: CanaryReport) => cluster.broadcastCanary(remote, result.change as CanaryChange, result) } : {}),
  });
  const remoteRoutes = express.Router().use(reloadRoutes, canaryRoutes);
  return createAdminApp({
    readiness: deps.readiness,
    metrics: deps.metrics.registry,
    catalog: deps.catalog,
    deployment: deps.federation.deployment,
    reloadRoutes: cluster ? express.Router().use(remoteRoutes, createClusterRoutes(cluster.slot, () => cluster.info())) : remoteRoutes,
    breakers: deps.flows.breakers,
    builtInServices: BUILT_IN_SERVICES,
    onInternalError: deps.internalFailure('request failed'),
    eventStats: deps.eventStats,
    ...(authenticate && security.adminPermission ? { authenticate, adminPermission: security.adminPermission } : {}),
    ...(settings.adminToken ? { adminToken: settings.adminToken } : {}),
    dashboardPages: createDashboardRoutes(),
    dashboardApi: createDashboardApi({
      catalog: deps.catalog,
      authEnabled: settings.authEnabled,
      reloadAccess: createReloadAccess({ adminToken: settings.adminToken, devMode: settings.devMode, ...(isAdmin ? { isAdmin } : {}) }),
    }),
    portFailures: deps.flows.portFailures,
    reloadLog: deps.federation.reloadLog,
  });
}
