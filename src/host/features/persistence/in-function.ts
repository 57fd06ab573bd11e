/**
 * The datasources a function instance may use. A function's disk (Lambda's /tmp,
 * a Cloud Run instance's memory-backed filesystem) is gone when the platform
 * recycles the instance, and concurrent instances each have their own: the file
 * datasource would acknowledge writes it then loses, so it is refused, at start
 * when it is the default and at load for a model whose spec names it. Memory is
 * allowed (trials, caches) with a warning: it has the same limits, but says so
 * in its name.
 */
import type { DatasourceFactory } from '../../../domain/datasource.js';
import type { Logger } from '../../../adapters/logging/logger.js';

/** The file datasource was asked for in a function: the host refuses to start (default) or to load the model. */
export class FileDatasourceInFunctionError extends Error {
  constructor(what: string) {
    super(
      `${what}: the file datasource cannot run in a function (its disk is not durable: it is lost when the instance is recycled and not shared between instances); ` +
        'use DATASOURCE_ADAPTER=mongodb with MONGODB_URL (or memory, for data that may be lost)',
    );
    this.name = 'FileDatasourceInFunctionError';
  }
}

/**
 * The factories of a function instance: `file` replaced by one that refuses, with the
 * model's name. Throws {@link FileDatasourceInFunctionError} when `defaultKind` is file.
 */
export function datasourcesInFunction(factories: Readonly<Record<string, DatasourceFactory>>, defaultKind: string, logger: Logger): Readonly<Record<string, DatasourceFactory>> {
  if (defaultKind === 'file') throw new FileDatasourceInFunctionError('DATASOURCE_ADAPTER is "file" (its default when unset)');
  if (defaultKind === 'memory') {
    logger.warn({ datasource: 'memory' }, 'DATASOURCE_ADAPTER=memory in a function: records live in this instance only, lost when the platform recycles it and not seen by concurrent instances');
  }
  const refuseFile: DatasourceFactory = (options) => {
    throw new FileDatasourceInFunctionError(`model "${options.collection}" names the file datasource in its spec`);
  };
  return { ...factories, file: refuseFile };
}
