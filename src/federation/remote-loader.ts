/**
 * Loads one version of a remote: resolve the version at its source, make sure
 * its files are in the snapshot cache, evaluate the container and its exposes.
 * Bounded by a timeout; every failure says which remote, which version and why.
 */
import type { RemoteEntry } from '../config/remote-entries.js';
import type { FederationRuntime } from './federation-runtime.js';
import type { SnapshotCache } from './snapshot-cache.js';
import type { RemoteSource } from './sources/source.js';

export interface LoadedRemote {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly loadedAt: Date;
  /** True when the source was unreachable and the last good cached version was loaded instead. */
  readonly fromCacheFallback: boolean;
  /** Milliseconds from start of the load to loaded exposes. */
  readonly loadMs: number;
  /** Exposed module → its exports. */
  readonly modules: ReadonlyMap<string, unknown>;
  /** Releases the container; call once nothing uses the version any more. */
  dispose(): void;
}

export type LoadStage = 'resolve' | 'download' | 'evaluate' | 'timeout';

export class RemoteLoadError extends Error {
  constructor(
    readonly remote: string,
    readonly stage: LoadStage,
    readonly version: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`remote "${remote}"${version ? ` at ${version.slice(0, 12)}` : ''}: ${stage} failed: ${message}`, options);
    this.name = 'RemoteLoadError';
  }
}

export interface RemoteLoaderDeps {
  runtime: FederationRuntime;
  cache: SnapshotCache;
  timeoutMs: number;
  onFallback?: (remote: string, version: string, reason: string) => void;
}

const messageOf = (error: unknown) => String((error as Error)?.message ?? error);

export async function loadRemote(entry: RemoteEntry, source: RemoteSource, deps: RemoteLoaderDeps): Promise<LoadedRemote> {
  const started = performance.now();
  const controller = new AbortController();
  let version: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new RemoteLoadError(entry.name, 'timeout', version, `did not finish within ${deps.timeoutMs} ms`));
    }, deps.timeoutMs);
  });
  const work = async (): Promise<LoadedRemote> => {
    let dir: string;
    let fromCacheFallback = false;
    try {
      const resolved = await source.resolve(controller.signal);
      version = resolved.version;
      try {
        dir = (await deps.cache.ensure(entry.name, resolved, controller.signal)).dir;
      } catch (error) {
        throw new RemoteLoadError(entry.name, 'download', version, messageOf(error), { cause: error });
      }
    } catch (error) {
      if (error instanceof RemoteLoadError || controller.signal.aborted) throw error;
      // Source unreachable: serve the last version that loaded, if we have it.
      const lastGood = await deps.cache.lastGood(entry.name);
      const cachedDir = lastGood && (await deps.cache.cached(entry.name, lastGood.version));
      if (!lastGood || !cachedDir) throw new RemoteLoadError(entry.name, 'resolve', undefined, messageOf(error), { cause: error });
      version = lastGood.version;
      dir = cachedDir;
      fromCacheFallback = true;
      deps.onFallback?.(entry.name, version, messageOf(error));
    }
    const containerName = `${entry.name}__${version}`;
    let container;
    try {
      container = await deps.runtime.load(containerName, dir, entry.exposes, entry.optionalExposes);
    } catch (error) {
      throw new RemoteLoadError(entry.name, 'evaluate', version, messageOf(error), { cause: error });
    }
    if (controller.signal.aborted) {
      container.dispose();
      throw new RemoteLoadError(entry.name, 'timeout', version, `did not finish within ${deps.timeoutMs} ms`);
    }
    return {
      name: entry.name,
      version,
      source: source.describe(),
      loadedAt: new Date(),
      fromCacheFallback,
      loadMs: Math.round(performance.now() - started),
      modules: container.modules,
      dispose: () => container.dispose(),
    };
  };
  try {
    return await Promise.race([work(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
