/**
 * The MongoDB datasource factory the registry offers: the options are checked
 * at once, as before, but the driver (about 0.2 s to import) is loaded only when
 * a model's datasource opens, so a host or function that uses no MongoDB never
 * loads it.
 */
import type { Datasource, DatasourceOptions, DatasourceReachability } from '../../../domain/datasource.js';
import { readSettings } from './mongodb-settings.js';

export function createDeferredMongoDatasource(options: DatasourceOptions): Datasource {
  readSettings(options);
  let inner: Datasource | undefined;
  const opened = (): Datasource => {
    if (!inner) throw new Error(`mongodb datasource "${options.collection}" is used before it was opened`);
    return inner;
  };
  return {
    kind: 'mongodb',
    async open() {
      const { createMongoDatasource } = await import('./mongodb-datasource.js');
      inner ??= createMongoDatasource(options);
      await inner.open();
    },
    get: (id, read) => opened().get(id, read),
    create: (record) => opened().create(record),
    createMany: (records) => opened().createMany!(records),
    replace: (record, expectedRevision) => opened().replace(record, expectedRevision),
    delete: (id, expectedRevision) => opened().delete(id, expectedRevision),
    list: (query) => opened().list(query),
    close: async () => inner?.close(),
    reachability: (): DatasourceReachability => inner?.reachability?.() ?? { reachable: true, outages: 0, server: '' },
  };
}
