/**
 * Whether the served models' datasources reach their servers, read from the
 * catalog when asked (a scrape of /metrics, a readiness probe): only datasources
 * that depend on a server (MongoDB) report it.
 */
import type { CatalogView } from '../../../catalog/live-catalog.js';
import type { DatasourceReachability } from '../../../domain/datasource.js';
import type { DatasourceStatus } from '../../../adapters/metrics/metrics.js';

/** One served model's datasource and what it knows about its server. */
export interface ServedDatasource {
  model: string;
  adapter: string;
  status: DatasourceReachability;
}

export function servedDatasources(catalog: CatalogView): ServedDatasource[] {
  const found: ServedDatasource[] = [];
  for (const { model, service } of catalog.current.models()) {
    const status = service.datasource.reachability?.();
    if (status) found.push({ model: model.name, adapter: service.datasource.kind, status });
  }
  return found;
}

/** For /metrics: each model's datasource up or down, and its outages. */
export function datasourceMetrics(catalog: CatalogView): DatasourceStatus[] {
  return servedDatasources(catalog).map(({ model, adapter, status }) => ({ model, adapter, reachable: status.reachable, outages: status.outages }));
}

/**
 * The readiness condition READY_REQUIRES_DATASOURCES adds: the models whose
 * datasource is down (named in the 503's body), or undefined when none is.
 */
export function datasourcesDown(catalog: CatalogView): () => Record<string, unknown> | undefined {
  return () => {
    const down = servedDatasources(catalog).filter(({ status }) => !status.reachable);
    if (down.length === 0) return undefined;
    return {
      datasourcesDown: down.map(({ model, adapter, status }) => ({
        model,
        datasource: adapter,
        ...(status.downSince === undefined ? {} : { since: new Date(status.downSince).toISOString() }),
      })),
    };
  };
}
