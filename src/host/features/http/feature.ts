/**
 * The HTTP listener: one node:http (or https) server whose requests go to the
 * generated API or the admin app, and whose upgrades go to the WebSocket
 * endpoints. Stopping it refuses new connections, lets the requests in flight
 * finish (at most SHUTDOWN_TIMEOUT_MS) and then closes what is left.
 */
import { createServer, type AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createHttpServer } from '../../../adapters/http/http-server.js';
import { InFlightRequests } from '../../../adapters/http/in-flight.js';
import { requestIdOf } from '../../../adapters/http/request-id.js';
import { createRedirectServer, loadTlsOptions } from '../../../adapters/http/tls.js';
import type { Logger } from '../../../adapters/logging/logger.js';
import type { WorkerLink } from '../../../cluster/worker-link.js';
import type { Feature } from '../../feature.js';
import type { UpgradeHandler } from '../../../adapters/events/event-transport.js';
import type { HttpSettings } from './settings.js';

export interface HttpFeature extends Feature {
  readonly server: Server;
  /** The port bound once started. */
  port(): number;
  /**
   * Waits (at most 2 s) for the server's last connections to close. Listed before
   * the features whose connections must end first (the WebSocket stream), so it
   * runs after them when the host stops.
   */
  readonly closed: Feature;
  /**
   * Fails the start at once when the port is taken, before remotes load (which
   * can take long): listed first, right after the data folder is locked.
   */
  readonly portCheck: Feature;
}

/** Another process listens on the host's port (refused before anything else starts). */
export class PortInUseError extends Error {
  constructor(port: number, host: string) {
    super(`port ${port} on ${host} is in use by another process: stop it, or give this host another PORT`);
    this.name = 'PortInUseError';
  }
}

export interface HttpDeps {
  settings: HttpSettings & { logRequests: boolean };
  logger: Logger;
  handleModelRequest(req: IncomingMessage, res: ServerResponse): Promise<void>;
  adminApp(req: IncomingMessage, res: ServerResponse): void;
  upgrades: ReadonlyMap<string, UpgradeHandler>;
  cluster: WorkerLink | undefined;
  /** False for a function instance: requests arrive in-process, no port is bound (default true). */
  listen?: boolean;
}

export async function httpFeature({ settings, logger, handleModelRequest, adminApp, upgrades, cluster, listen: listens = true }: HttpDeps): Promise<HttpFeature> {
  let tls: Awaited<ReturnType<typeof loadTlsOptions>> | undefined;
  if (settings.tls) {
    tls = await loadTlsOptions(settings.tls);
    for (const warning of tls.warnings) logger.warn({}, warning);
  }
  const accessLog = logger.child({ component: 'http' });
  const onResponse = settings.logRequests
    ? (req: IncomingMessage, res: ServerResponse, startedAt: number) =>
        accessLog.info({ requestId: requestIdOf(req), method: req.method, url: req.url, status: res.statusCode, ms: Math.round((performance.now() - startedAt) * 10) / 10 }, 'request')
    : undefined;
  const inFlight = new InFlightRequests();
  const deps = { handleModelRequest, adminApp, upgrades, inFlight, ...(onResponse ? { onResponse } : {}) };
  const server = createHttpServer(deps, tls && { key: tls.key, cert: tls.cert, ...(tls.ca ? { ca: tls.ca } : {}) });
  cluster?.tagResponses(server);
  const redirect = settings.sslRedirectPort ? createRedirectServer(() => (server.address() as AddressInfo).port) : undefined;
  let closed: Promise<void> | undefined;

  return {
    name: 'http',
    server,
    port: () => (server.address() as AddressInfo | null)?.port ?? 0,
    async start() {
      if (!listens) return;
      await listen(server, settings.port, settings.host);
      if (redirect) {
        await listen(redirect, settings.sslRedirectPort, settings.host);
        logger.info({ redirectPort: settings.sslRedirectPort }, 'redirecting http to https');
      }
    },
    async stop() {
      redirect?.close();
      // No new connections; requests in flight finish (bounded), then their connections close.
      closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (!(await inFlight.drain(settings.shutdownTimeoutMs))) {
        logger.warn({ requests: inFlight.size, timeoutMs: settings.shutdownTimeoutMs }, 'requests still in flight after SHUTDOWN_TIMEOUT_MS; closing their connections');
      }
      server.closeAllConnections();
    },
    portCheck: {
      name: 'port check',
      async start() {
        // Port 0 picks a free one; cluster workers share the primary's socket; a function binds none.
        if (cluster || !listens) return;
        for (const port of [settings.port, settings.sslRedirectPort ?? 0]) {
          if (port !== 0) await probe(port, settings.host);
        }
      },
      stop() {},
    },
    closed: {
      name: 'http connections',
      async stop() {
        if (closed) await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      },
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Binds the port and lets it go: a port another process holds is refused now, not after the remotes loaded. */
async function probe(port: number, host: string): Promise<void> {
  const probeServer = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probeServer.once('error', reject);
      probeServer.listen({ port, host, exclusive: true }, () => resolve());
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(port, host);
    throw error;
  }
  await new Promise<void>((resolve) => probeServer.close(() => resolve()));
}
