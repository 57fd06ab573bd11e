/**
 * The host's own endpoints (config, remotes, health), on Express: they are not
 * on the hot path, and later features (auth, dashboard) plug in as middleware.
 */
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { CatalogView } from '../../catalog/live-catalog.js';
import { modelSummary } from './model-summary.js';
import type { BreakerRegistry } from '../../domain/ports/breaker-registry.js';
import { MicrolibError } from '../../domain/errors.js';
import { refusalHeaders, type RequestAuthenticator } from '../auth/request-authenticator.js';
import { validAdminToken, type RotatingSecret } from './reload-auth.js';
import { internalError, statusOf } from './respond.js';
import type { Registry } from 'prom-client';
import { buildOpenApiDocument } from './openapi.js';
import type { Catalog } from '../../catalog/catalog.js';
import type { RemoteControl } from './remote-control.js';
import { whyNoModels } from './why-no-models.js';
import { canaryListing } from './canary-listing.js';

export interface AdminAppDeps {
  catalog: CatalogView;
  /** The remotes `/microlib/api/remotes` lists. */
  deployment: Pick<RemoteControl, 'remotes'>;
  /** Reload and rollback routes. */
  reloadRoutes: express.Router;
  /** Circuit breakers of ports, whose state `/microlib/api/ports` shows. */
  breakers: BreakerRegistry;
  /** Names of the host's built-in services. */
  builtInServices: readonly string[];
  /** Counters of the event transports and WebSocket clients. */
  eventStats(): Record<string, unknown>;
  /**
   * Whether the host takes traffic (true once the remotes are loaded, false again while it
   * stops), and why not: answered as is by `/microlib/ready`, 200 when ready, else 503.
   */
  readiness(): { ready: boolean };
  /** Prometheus registry served at /metrics. */
  metrics?: Registry;
  /** When authentication is on: the host's own API needs a token holding `adminPermission`. */
  authenticate?: RequestAuthenticator;
  adminPermission?: string;
  /** ADMIN_TOKEN: with authentication on, it opens the host's own API and /metrics as an admin JWT does. */
  adminToken?: RotatingSecret;
  /** Logs an error the host did not expect (the answer is a 500 naming the request id). */
  onInternalError?(error: unknown, req: import('node:http').IncomingMessage): void;
  /** The dashboard's page and docs page (public: they hold no data) and its JSON (behind the admin check). */
  dashboardPages?: express.Router;
  dashboardApi?: express.Router;
  /** Recent failures per port, shown with each port. */
  portFailures?: { recent(model: string, port: string): readonly unknown[] };
  /** Recent reloads per remote, shown with each remote. */
  reloadLog?: { recent(remote: string): readonly unknown[] };
}

const LIVE_PAGE = fileURLToPath(new URL('../../../../public/live.html', import.meta.url));

export function createAdminApp(deps: AdminAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  // The live page: a browser example of the WebSocket event stream.
  app.get('/microlib/live', (_req, res) => {
    res.sendFile(LIVE_PAGE);
  });

  if (deps.dashboardPages) app.use(deps.dashboardPages);

  // Readiness for load balancers and orchestrators (liveness is /microlib/health).
  app.get('/microlib/ready', (_req, res) => {
    const readiness = deps.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });

  app.get('/microlib/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const authenticate = deps.authenticate;
  if (authenticate) {
    // Config, remotes, ports, events and metrics describe the whole host: admins only,
    // by an admin JWT or the operator's ADMIN_TOKEN (the CLI's credential).
    const adminToken = deps.adminToken;
    app.use(['/microlib/api', '/metrics'], (req, res, next) => {
      if (adminToken && validAdminToken(req.headers.authorization, adminToken)) return next();
      authenticate(req).then(
        (caller) => {
          const admin = deps.adminPermission ?? 'microlib:admin';
          if (caller.permissions?.includes(admin) || caller.permissions?.includes('*')) return next();
          res.status(403).json({ error: { code: 'MLB_ERR_FORBIDDEN', message: `this endpoint needs the permission ${admin}` } });
        },
        (error: unknown) => {
          const e = error instanceof MicrolibError ? error : new MicrolibError('MLB_ERR_UNAUTHORIZED', 'authentication failed');
          res.set(refusalHeaders(e) ?? {});
          res.status(statusOf(e.code)).json({ error: { code: e.code, message: e.message } });
        },
      );
    });
  }

  const registry = deps.metrics;
  if (registry) {
    app.get('/metrics', (_req, res, next) => {
      registry.metrics().then((text) => res.type(registry.contentType).send(text), next);
    });
  }

  // The OpenAPI document of what is served now: rebuilt once per catalog, so a hot deploy shows at once.
  const documents = new WeakMap<Catalog, Record<string, unknown>>();
  app.get('/microlib/api/openapi.json', (_req, res) => {
    const catalog = deps.catalog.current;
    let document = documents.get(catalog);
    if (!document) {
      document = buildOpenApiDocument([...catalog.models()], { title: 'microlib generated API', version: '1', authEnabled: deps.authenticate !== undefined });
      documents.set(catalog, document);
    }
    res.json(document);
  });

  if (deps.dashboardApi) app.use(deps.dashboardApi);

  app.get('/microlib/api/config', (_req, res) => {
    const models = [...deps.catalog.current.models()].map((route) => ({
      ...modelSummary(route),
      fields: route.model.spec.fields ?? null,
      relations: route.model.spec.relations ?? {},
    }));
    // No model served: say why, so an empty host is not a mystery (no remotes, none loaded, or none with models here).
    res.json(models.length > 0 ? { models } : { models, ...whyNoModels(deps.deployment.remotes()) });
  });

  // Every port of every served model: what it is bound to now, and its breaker.
  app.get('/microlib/api/ports', (_req, res) => {
    const current = deps.catalog.current;
    const { bindings } = current;
    const ports = [...current.models()].flatMap(({ model }) =>
      [...model.ports.values()].map((port) => {
        const adapter = port.adapter === undefined ? undefined : bindings.adapters.get(port.adapter);
        const service = port.service === undefined ? undefined : bindings.services.get(port.service);
        const serviceBound = port.service === undefined || service !== undefined || deps.builtInServices.includes(port.service);
        const adapterBound = port.adapter === undefined ? port.type === 'inbound' : adapter !== undefined;
        return {
          model: model.name,
          port: port.name,
          type: port.type,
          disabled: port.disabled,
          adapter: port.adapter ?? null,
          adapterRemote: adapter?.remote ?? null,
          service: port.service ?? null,
          serviceRemote: service?.remote ?? (port.service !== undefined && deps.builtInServices.includes(port.service) ? 'host' : null),
          bound: adapterBound && serviceBound,
          consumesEvent: port.consumesEvent ?? null,
          producesEvent: port.producesEvent ?? null,
          undo: typeof port.undo === 'string' ? port.undo : port.undo ? '(function)' : null,
          timeoutMs: port.timeoutMs,
          retries: port.retry.retries,
          circuitBreaker: port.breaker ? { ...port.breaker, ...(deps.breakers.snapshot(model.name, port.name) ?? { state: 'closed', failures: 0, successes: 0, failureRate: 0 }) } : null,
          recentFailures: deps.portFailures?.recent(model.name, port.name) ?? [],
        };
      }),
    );
    res.json({ ports });
  });

  app.get('/microlib/api/events', (_req, res) => {
    res.json(deps.eventStats());
  });

  app.get('/microlib/api/remotes', (_req, res) => {
    res.json({
      remotes: deps.deployment.remotes().map((state) => ({
        name: state.entry.name,
        kind: state.entry.source.kind,
        source: state.source.describe(),
        ref: state.entry.source.kind === 'github' ? (state.entry.source.semver ?? state.entry.source.ref ?? null) : null,
        status: state.status,
        version: state.current?.version ?? null,
        loadedAt: state.current?.loadedAt.toISOString() ?? null,
        loadMs: state.current?.loadMs ?? null,
        cacheFallback: state.current?.fromCacheFallback ?? false,
        pinned: state.pinned ?? null,
        exposes: state.current ? [...state.current.modules.keys()] : [],
        isolation: state.current ? (state.current.isolation?.status() ?? { isolation: 'none' }) : null,
        lastError: state.lastError ?? null,
        lastReload: state.lastReload ?? null,
        previousVersions: state.history,
        canary: state.canary ? canaryListing(state.canary, state.entry.rollout) : null,
        rollout: state.entry.rollout ?? null,
        lastRollout: state.lastRollout ?? null,
        reloads: deps.reloadLog?.recent(state.entry.name) ?? [],
      })),
    });
  });

  app.use(deps.reloadRoutes);

  app.use((req, res) => {
    res.status(404).json({ error: { code: 'MLB_ERR_NOT_FOUND', message: `no route ${req.method} ${req.path}` } });
  });

  // Express needs the four-argument signature to recognise an error handler.
  app.use((error: Error & { status?: number }, req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) deps.onInternalError?.(error, req);
    const message = status === 500 ? internalError(req).message : error.message;
    res.status(status).json({ error: { code: status === 500 ? 'MLB_ERR_INTERNAL' : 'MLB_ERR_BAD_REQUEST', message } });
  });
  return app;
}
