/**
 * `npm start`: reads the configuration, starts the host, stops it cleanly on
 * SIGTERM/SIGINT. Follow `createHost` for everything else.
 */
import { ConfigError, readConfig } from './config/env.js';
import { RemoteEntriesError } from './config/remote-entries.js';
import { UnknownDatasourceError } from './adapters/persistence/datasource-registry.js';
import { createLogger } from './adapters/logging/logger.js';
import { createHost } from './host.js';
import { TlsConfigError } from './adapters/http/tls.js';
import { AuthConfigError } from './config/auth-config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = readConfig();
  } catch (error) {
    console.error(`microlib: configuration error: ${(error as Error).message}`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel, { format: config.logFormat, devMode: config.devMode });
  const host = await createHost(config, logger);
  const port = await host.start();
  const remotes = host.deployment.remotes();
  logger.info(
    {
      port,
      remotes: remotes.map((r) => ({ name: r.entry.name, status: r.status, version: r.current?.version ?? null })),
    },
    `listening on ${config.tls ? 'https' : 'http'}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
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
  // Mistakes in configuration get their message alone; anything else its stack.
  const known =
    error instanceof ConfigError || error instanceof RemoteEntriesError || error instanceof UnknownDatasourceError || error instanceof TlsConfigError || error instanceof AuthConfigError;
  console.error(`microlib: failed to start: ${known ? (error as Error).message : ((error as Error)?.stack ?? String(error))}`);
  process.exit(1);
});
