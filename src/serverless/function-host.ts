/**
 * The host of one function instance: configured from the environment like
 * `npm start`, started once, on first use, and kept for every invocation the
 * instance serves (remotes loaded, datasources and their MongoDB clients open).
 * Invocations that arrive while it starts wait for the same start; a start that
 * failed is tried again by the next invocation.
 *
 * What differs from a server: nothing listens (requests come in-process), the
 * file datasource is refused (see host/features/persistence/in-function.ts), and
 * the folders default to the one writable place a function has, the temp dir.
 */
import os from 'node:os';
import path from 'node:path';
import { readConfig, type HostConfig } from '../host/host-config.js';
// Types only: the host's code is imported once the start has begun what runs beside it (see start()).
import type { Host } from '../host/create-host.js';
import { fieldKeyLoader } from '../host/field-keys.js';
import { readRemoteEntries } from '../config/remote-entries.js';
import { prestartThreads } from '../federation/isolation/isolating-runtime.js';
import { createLogger, type Logger } from '../adapters/logging/logger.js';
import { bundledRemotes } from './bundled-remotes.js';
import { remoteFreshness, type RemoteFreshness } from './remote-freshness.js';

export interface FunctionHostOptions {
  /** The environment to configure the host from (default: `process.env`). */
  env?: Record<string, string | undefined>;
  /** Where relative paths (REMOTE_ENTRIES...) start (default: the working directory, the function's code folder on Lambda). */
  cwd?: string;
  /** Where the host logs (default: JSON lines on stdout, at LOG_LEVEL). */
  logger?: Logger;
}

export interface FunctionHost {
  /** The started host, starting it on the first call. */
  get(): Promise<Host>;
  /** The host's logger once configured, else none yet. */
  logger(): Logger | undefined;
  /** Stops the host if it was started (tests, and runtimes that announce shutdown). */
  stop(): Promise<void>;
}

/** Values of the function's variables when the environment gives none: a function may write only to its temp dir. */
export function functionDefaults(extra: Record<string, string> = {}): Record<string, string> {
  const root = path.join(os.tmpdir(), 'microlib');
  return { DATA_DIR: path.join(root, 'data'), REMOTE_CACHE_DIR: path.join(root, 'remotes'), ...extra };
}

export function functionHost(options: FunctionHostOptions, defaults: Record<string, string>): FunctionHost {
  let starting: Promise<Host> | undefined;
  let logger = options.logger;
  let freshness: RemoteFreshness | undefined;

  async function start(): Promise<Host> {
    const startedAt = performance.now();
    const configured = readConfig(withDefaults(options.env ?? process.env, defaults), options.cwd ?? process.cwd());
    logger ??= createLogger(configured.logLevel, { format: configured.logFormat, devMode: configured.devMode });
    if (configured.clusterEnabled) logger.warn({}, 'CLUSTER_ENABLED is ignored in a function: the platform runs more instances instead');
    if (configured.tls) logger.warn({}, "SSL_ENABLED is ignored in a function: the platform's front door terminates TLS");
    // What takes longest starts first, and runs while the host's code is imported (most of it, ~100 ms):
    // the remotes' worker threads, and the field key's scrypt on the thread pool.
    const fieldKeys = fieldKeyLoader(configured, logger);
    if (configured.encryptionPassword) {
      // Only with ENCRYPTION_PWD: without it, a key would be generated in DATA_DIR for models that may need none.
      if (!configured.encryptionSalt) {
        logger.warn({}, 'ENCRYPTION_SALT is not set: each function instance derives its key with a salt of its own (DATA_DIR is its temp dir), so sensitive fields one instance writes cannot be read by another; set ENCRYPTION_SALT (openssl rand -hex 16) on every instance');
      }
      void fieldKeys.load().catch(() => undefined);
    }
    const [startVersions] = await Promise.all([
      bundledRemotes(options.cwd ?? process.cwd(), configured.cacheDir),
      readRemoteEntries(configured.remoteEntriesPath).then(({ entries }) => prestartThreads(entries, configured.isolation)),
    ]);
    const { createHost } = await import('../host/create-host.js');
    const host = await createHost(forFunction(configured), logger, { runsAsFunction: true, fieldKeys, ...(startVersions ? { startVersions } : {}) });
    await host.start();
    freshness = remoteFreshness(configured.remoteTtlSeconds, () => logger);
    logger.info(
      { startMs: Math.round(performance.now() - startedAt), remotes: host.deployment.remotes().map((r) => ({ name: r.entry.name, status: r.status, version: r.current?.version ?? null })) },
      'function instance ready',
    );
    return host;
  }

  return {
    get() {
      starting ??= start().catch((error: unknown) => {
        starting = undefined;
        const message = `the function's host failed to start: ${(error as Error)?.message ?? String(error)}`;
        if (logger) logger.error({ err: error }, message);
        else console.error(`microlib: ${message}`);
        throw error;
      });
      // Every invocation asks for the host: that is when a warm instance may check its sources (REMOTE_TTL_SECONDS).
      return starting.then((host) => {
        freshness?.touch(host);
        return host;
      });
    },
    logger: () => logger,
    async stop() {
      const host = await starting?.catch(() => undefined);
      starting = undefined;
      await freshness?.pending();
      freshness = undefined;
      await host?.stop();
    },
  };
}

/** TLS is the front door's business, and a function is never a cluster primary. */
function forFunction(config: HostConfig): HostConfig {
  return { ...config, tls: undefined, sslRedirectPort: 0, clusterEnabled: false };
}

/** The environment with each default where the variable is unset or blank. */
function withDefaults(env: Record<string, string | undefined>, defaults: Record<string, string>): Record<string, string | undefined> {
  const merged = { ...env };
  for (const [name, value] of Object.entries(defaults)) if (!merged[name]?.trim()) merged[name] = value;
  return merged;
}
