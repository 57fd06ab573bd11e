/**
 * `npm start`: reads the configuration, starts the host, stops it cleanly on
 * SIGTERM/SIGINT. Follow `createHost` for everything else.
 */
import { ConfigError, readConfig } from './host/host-config.js';
import { RemoteEntriesError } from './config/remote-entries.js';
import { UnknownDatasourceError } from './adapters/persistence/datasource-registry.js';
import { DataDirLockedError } from './adapters/persistence/file/data-dir-lock.js';
import { createLogger } from './adapters/logging/logger.js';
import { createHost } from './host/create-host.js';
import { keepServingOnStrayErrors } from './host/stray-errors.js';
import { TlsConfigError } from './adapters/http/tls.js';
import { AuthConfigError } from './adapters/auth/auth-config.js';
import cluster from 'node:cluster';
import { runPrimary } from './cluster/primary.js';
import { WorkerLink } from './cluster/worker-link.js';
import { boundAddress, boundUrl } from './adapters/http/bound-url.js';
import { PortInUseError } from './host/features/http/feature.js';
import { FieldKeyError } from './adapters/crypto/encryption-keys.js';

async function main(): Promise<void> {
  let config;
  try {
    config = readConfig();
  } catch (error) {
    console.error(`microlib: configuration error: ${(error as Error).message}`);
    process.exit(1);
  }
  const baseLogger = createLogger(config.logLevel, { format: config.logFormat, devMode: config.devMode });
  const slot = cluster.isWorker ? config.workerSlot : undefined;
  const logger = slot === undefined ? baseLogger : baseLogger.child({ slot });
  // One team's stray error must not stop every team: log it and keep serving (the primary and each worker alike).
  const strayErrors = keepServingOnStrayErrors(logger, config.cacheDir);
  // Cluster mode: the primary only supervises; each worker below runs the host as a single process would.
  if (config.clusterEnabled && cluster.isPrimary) return runPrimary(config, baseLogger);
  const link = slot === undefined ? undefined : new WorkerLink(slot, config.loadTimeoutMs + 15_000);
  const host = await createHost(config, logger, { ...(link ? { cluster: link } : {}), strayErrors: () => strayErrors });
  const port = await host.start();
  const remotes = host.deployment.remotes();
  logger.info(
    {
      port,
      remotes: remotes.map((r) => ({ name: r.entry.name, status: r.status, version: r.current?.version ?? null })),
    },
    `${slot === undefined ? '' : 'worker '}listening on ${boundUrl(config.tls ? 'https' : 'http', boundAddress(host.server.address(), config.host, port))}`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  // Mistakes in configuration, and a data folder another host holds, get their message alone; anything else its stack.
  const known =
    error instanceof ConfigError ||
    error instanceof RemoteEntriesError ||
    error instanceof UnknownDatasourceError ||
    error instanceof TlsConfigError ||
    error instanceof AuthConfigError ||
    error instanceof DataDirLockedError ||
    error instanceof PortInUseError ||
    error instanceof FieldKeyError;
  console.error(`microlib: failed to start: ${known ? (error as Error).message : ((error as Error)?.stack ?? String(error))}`);
  process.exit(1);
});
