/**
 * Persistence: the registry that gives each model its datasource (memory, file,
 * MongoDB). In a cluster the primary owns the single-process datasources and
 * workers reach them over IPC, so every worker sees the same records.
 *
 * A single host locks its data folder when it starts (first of all features,
 * before any log opens), so a second host on the same DATA_DIR refuses at once
 * instead of appending to the same logs. A cluster worker takes no lock: its
 * primary holds it for the workers it forks.
 */
import { builtInDatasources, DatasourceRegistry } from '../../../adapters/persistence/datasource-registry.js';
import { lockDataDir, type DataDirLock } from '../../../adapters/persistence/file/data-dir-lock.js';
import type { Logger } from '../../../adapters/logging/logger.js';
import type { WorkerLink } from '../../../cluster/worker-link.js';
import type { Feature } from '../../feature.js';
import type { PersistenceSettings } from './settings.js';
import { datasourcesInFunction } from './in-function.js';

export interface PersistenceFeature extends Feature {
  readonly datasources: DatasourceRegistry;
}

export function persistenceFeature(settings: PersistenceSettings, logger: Logger, cluster: WorkerLink | undefined, options: { runsAsFunction?: boolean } = {}): PersistenceFeature {
  const log = logger.child({ component: 'datasource' });
  // A function refuses the file datasource (in-function.ts); it never runs in a cluster.
  const factories = options.runsAsFunction ? datasourcesInFunction(builtInDatasources, settings.defaultDatasource, log) : builtInDatasources;
  const datasources = new DatasourceRegistry(cluster ? cluster.datasourceFactories(factories) : factories, {
    kind: settings.defaultDatasource,
    dataDir: settings.dataDir,
    logger: log,
    // acceptDataLoss is the file datasource's (log-open.ts); the others ignore it.
    options: { defaultUrl: settings.mongodbUrl, defaultDatabase: settings.mongodbDatabase, ...(settings.fileAcceptDataLoss ? { acceptDataLoss: true } : {}) },
  });
  let lock: DataDirLock | undefined;
  return {
    name: 'persistence',
    datasources,
    async start() {
      if (!cluster) lock = await lockDataDir(settings.dataDir, { warn: (message) => log.warn({ dataDir: settings.dataDir }, message) });
    },
    async stop() {
      try {
        await datasources.closeAll();
      } finally {
        // Released only once every log is closed: the next host may open them.
        await lock?.release();
        lock = undefined;
      }
    },
  };
}
