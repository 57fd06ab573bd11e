/**
 * Loads one version of a remote: resolve the version at its source, make sure
 * its files are in the snapshot cache, evaluate the container and its exposes.
 * Bounded by a timeout; every failure says which remote, which version and why.
 */
import type { RemoteEntry } from '../config/remote-entries.js';
import type { FederationRuntime } from './federation-runtime.js';
import type { SnapshotCache } from './snapshot-cache.js';
import type { RemoteSource, ResolvedVersion } from './sources/source.js';

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

/** Which version to load. */
export interface LoadTarget {
  /** Load exactly this version: from the cache, else through the source's `at` (a pushed commit). */
  version?: string;
  /** After resolving, stop without loading when the version is this one (the active one). */
  unlessVersion?: string;
  /** If the source cannot be reached, load the last good cached version instead (at start-up). */
  fallbackToCache?: boolean;
}

/** The source named the version that is already active. */
export interface Unchanged {
  unchanged: string;
}

export async function loadRemote(entry: RemoteEntry, source: RemoteSource, deps: RemoteLoaderDeps, target: LoadTarget = {}): Promise<LoadedRemote | Unchanged> {
  const started = performance.now();
  const controller = new AbortController();
  let version: string | undefined = target.version;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new RemoteLoadError(entry.name, 'timeout', version, `did not finish within ${deps.timeoutMs} ms`));
    }, deps.timeoutMs);
  });

  /** The snapshot folder to evaluate, or the unchanged version. */
  const locate = async (): Promise<{ dir: string; fromCacheFallback: boolean } | Unchanged> => {
    const download = async (resolved: ResolvedVersion) => {
      try {
        return (await deps.cache.ensure(entry.name, resolved, controller.signal)).dir;
      } catch (error) {
        throw new RemoteLoadError(entry.name, 'download', resolved.version, messageOf(error), { cause: error });
      }
    };
    if (target.version !== undefined) {
      const cached = await deps.cache.cached(entry.name, target.version).catch(() => undefined);
      if (cached) return { dir: cached, fromCacheFallback: false };
      if (!source.at) throw new RemoteLoadError(entry.name, 'resolve', target.version, 'this version is not cached and the source cannot fetch a given version');
      let resolved: ResolvedVersion;
      try {
        resolved = source.at(target.version);
      } catch (error) {
        throw new RemoteLoadError(entry.name, 'resolve', undefined, messageOf(error), { cause: error });
      }
      return { dir: await download(resolved), fromCacheFallback: false };
    }
    let resolved: ResolvedVersion;
    try {
      resolved = await source.resolve(controller.signal);
    } catch (error) {
      if (controller.signal.aborted || !target.fallbackToCache) throw new RemoteLoadError(entry.name, 'resolve', undefined, messageOf(error), { cause: error });
      // Source unreachable at start-up: serve the last version that loaded, if we have it.
      const lastGood = await deps.cache.lastGood(entry.name);
      const cachedDir = lastGood && (await deps.cache.cached(entry.name, lastGood.version));
      if (!lastGood || !cachedDir) throw new RemoteLoadError(entry.name, 'resolve', undefined, messageOf(error), { cause: error });
      version = lastGood.version;
      deps.onFallback?.(entry.name, version, messageOf(error));
      return { dir: cachedDir, fromCacheFallback: true };
    }
    version = resolved.version;
    if (version === target.unlessVersion) return { unchanged: version };
    return { dir: await download(resolved), fromCacheFallback: false };
  };

  const work = async (): Promise<LoadedRemote | Unchanged> => {
    const located = await locate();
    if ('unchanged' in located) return located;
    const loadedVersion = version!;
    const containerName = `${entry.name}__${loadedVersion}__${++containerSequence}`;
    let container;
    try {
      container = await deps.runtime.load(containerName, located.dir, entry.exposes, entry.optionalExposes);
    } catch (error) {
      throw new RemoteLoadError(entry.name, 'evaluate', loadedVersion, messageOf(error), { cause: error });
    }
    if (controller.signal.aborted) {
      container.dispose();
      throw new RemoteLoadError(entry.name, 'timeout', loadedVersion, `did not finish within ${deps.timeoutMs} ms`);
    }
    return {
      name: entry.name,
      version: loadedVersion,
      source: source.describe(),
      loadedAt: new Date(),
      fromCacheFallback: located.fromCacheFallback,
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

// Reloading a version that is still draining must not reuse its container name.
let containerSequence = 0;
