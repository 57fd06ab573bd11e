/**
 * Gives each model its datasource: the one its spec names, else the host default.
 * A datasource is opened once per model and kept across reloads of its remote,
 * so stored records outlive any version of the code. New kinds plug in through
 * the factory map.
 */
import type { Datasource, DatasourceFactory, DatasourceLogger } from '../../domain/datasource.js';
import type { DatasourceSpec } from '../../domain/model-spec.js';
import { createFileDatasource } from './file/file-datasource.js';
import { createMemoryDatasource } from './memory/memory-datasource.js';
import { createDeferredMongoDatasource } from './mongodb/deferred-mongodb.js';

export const builtInDatasources: Readonly<Record<string, DatasourceFactory>> = {
  memory: createMemoryDatasource,
  file: createFileDatasource,
  mongodb: createDeferredMongoDatasource,
};

export class UnknownDatasourceError extends Error {}

export class DatasourceRegistry {
  private readonly open = new Map<string, Promise<Datasource>>();

  constructor(
    private readonly factories: Readonly<Record<string, DatasourceFactory>>,
    private readonly defaults: {
      kind: string;
      dataDir: string;
      logger?: DatasourceLogger;
      /** Host-wide options every datasource gets before the spec's own (e.g. MongoDB's defaultUrl). */
      options?: Readonly<Record<string, unknown>>;
    },
  ) {
    if (!factories[defaults.kind]) {
      throw new UnknownDatasourceError(`DATASOURCE_ADAPTER "${defaults.kind}" is not one of: ${Object.keys(factories).join(', ')}`);
    }
  }

  /** The kind a spec's `datasource` option selects. */
  kindOf(spec: DatasourceSpec | undefined): string {
    const kind = spec === undefined ? this.defaults.kind : typeof spec === 'string' ? spec : spec.adapter;
    // The original MicroLib named adapters DataSourceFile, DataSourceMemory, DataSourceMongoDb.
    const normalised = kind.replace(/^DataSource/i, '').toLowerCase();
    if (!this.factories[normalised]) {
      throw new UnknownDatasourceError(`datasource "${kind}" is not one of: ${Object.keys(this.factories).join(', ')}`);
    }
    return normalised;
  }

  /** The open datasource of a model, opening it on first use. */
  forModel(modelName: string, spec: DatasourceSpec | undefined): Promise<Datasource> {
    const kind = this.kindOf(spec);
    const key = `${kind}:${modelName}`;
    let datasource = this.open.get(key);
    if (!datasource) {
      const options = typeof spec === 'object' ? spec : {};
      const created = this.factories[kind]!({
        ...this.defaults.options,
        ...options,
        collection: modelName,
        dataDir: this.defaults.dataDir,
        ...(this.defaults.logger ? { logger: this.defaults.logger } : {}),
      });
      datasource = created.open().then(() => created);
      // A datasource that failed to open is retried on the next load, not cached broken.
      datasource.catch(() => this.open.delete(key));
      this.open.set(key, datasource);
    }
    return datasource;
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(async (pending) => (await pending.catch(() => undefined))?.close()));
  }
}
