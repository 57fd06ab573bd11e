/**
 * Persistence: the registry that gives each model its datasource (memory, file,
 * MongoDB). In a cluster the primary owns the single-process datasources and
 * workers reach them over IPC, so every worker sees the same records.
 */
import { builtInDatasources, DatasourceRegistry } from '../../../adapters/persistence/datasource-registry.js';
import type { Logger } from '../../../adapters/logging/logger.js';
import type { WorkerLink } from '../../../cluster/worker-link.js';
import type { Feature } from '../../feature.js';
import type { PersistenceSettings } from './settings.js';

export interface PersistenceFeature extends Feature {
  readonly datasources: DatasourceRegistry;
}

export function persistenceFeature(settings: PersistenceSettings, logger: Logger, cluster: WorkerLink | undefined): PersistenceFeature {
  const datasources = new DatasourceRegistry(cluster ? cluster.datasourceFactories(builtInDatasources) : builtInDatasources, {
    kind: settings.defaultDatasource,
    dataDir: settings.dataDir,
    logger: logger.child({ component: 'datasource' }),
    options: { defaultUrl: settings.mongodbUrl, defaultDatabase: settings.mongodbDatabase },
  });
  return { name: 'persistence', datasources, stop: () => datasources.closeAll() };
}
