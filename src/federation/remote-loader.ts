/**
 * Loads one version of a remote: resolve the version at its source, make sure
 * its files are in the snapshot cache, evaluate the container and its exposes.
 * Bounded by a timeout; every failure says which remote, which version and why.
 */
import type { KeyObject } from 'node:crypto';
import type { RemoteEntry } from '../config/remote-entries.js';
import type { ContainerRuntime, IsolatedCode } from './container-runtime.js';
import { ed25519PublicKey, SignedManifestError, verifySignedBuild } from './signed-manifest.js';
import type { SnapshotCache } from './snapshot-cache.js';
import type { ResolvedVersion, Source } from './sources/source.js';
import { folderSize } from './folder-size.js';

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
  /** Present when the version's code runs in workers of its own (isolation `thread` or `process`). */
  readonly isolation?: IsolatedCode;
  /** Releases the container; call once nothing uses the version any more. */
  dispose(): void;
}

/** `verify`: the build failed the signed-manifest check of a remote pinned to a public key. */
export type LoadStage = 'resolve' | 'download' | 'verify' | 'evaluate' | 'timeout';

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
  runtime: ContainerRuntime;
  cache: SnapshotCache;
  timeoutMs: number;
  onFallback?: (remote: string, version: string, reason: string) => void;
  /** Progress of a load, for log lines: each stage done, and every few seconds while one takes long. */
  onProgress?: (progress: LoadProgress) => void;
  /** How often a stage that has not finished is reported (default 2 s). */
  progressIntervalMs?: number;
}

/** One progress report of a load. */
export type LoadProgress =
  | { remote: string; stage: 'resolved'; version: string; ms: number }
  | { remote: string; stage: 'downloaded'; version: string; files: number; bytes: number; ms: number }
  | { remote: string; stage: 'cached'; version: string; ms: number }
  | { remote: string; stage: 'evaluated'; version: string; ms: number }
  | { remote: string; stage: 'waiting'; on: 'resolve' | 'download' | 'evaluate'; version: string | undefined; ms: number };

const messageOf = (error: unknown) => String((error as Error)?.message ?? error);

/** Which version to load. */
export interface LoadTarget {
  /** Load exactly this version: from the cache, else through the source's `at` (a pushed commit). */
  version?: string;
  /** After resolving, stop without loading when the version is this one (the active one). */
  unlessVersion?: string;
  /** After resolving, stop without loading when the version is this one too (a version its rollout rolled back). */
  skipVersion?: string;
  /** If the source cannot be reached, load the last good cached version instead (at start-up). */
  fallbackToCache?: boolean;
}

/** The source named the version that is already active. */
export interface Unchanged {
  unchanged: string;
}

export async function loadRemote(entry: RemoteEntry, source: Source, deps: RemoteLoaderDeps, target: LoadTarget = {}): Promise<LoadedRemote | Unchanged> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let stage: 'resolve' | 'download' | 'evaluate' = 'resolve';
  const progress = deps.onProgress;
  const heartbeat = progress
    ? setInterval(() => progress({ remote: entry.name, stage: 'waiting', on: stage, version, ms: elapsed() }), deps.progressIntervalMs ?? 2_000).unref()
    : undefined;
  // Parsed per load (cheap) and before the timeout timer starts, so a bad key cannot leave it armed; the config already checked it.
  const publicKey = entry.publicKey === undefined ? undefined : ed25519PublicKey(entry.publicKey);
  const controller = new AbortController();
  let version: string | undefined = target.version;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new RemoteLoadError(entry.name, 'timeout', version, `did not finish within ${deps.timeoutMs} ms`));
    }, deps.timeoutMs);
  });

  /** Refuses a snapshot already in the cache that fails the signature check (it may predate the key). */
  const verifyCached = async (dir: string, cachedVersion: string): Promise<string> => {
    if (!publicKey) return dir;
    try {
      await verifySignedBuild(dir, publicKey);
    } catch (error) {
      throw new RemoteLoadError(entry.name, 'verify', cachedVersion, messageOf(error), { cause: error });
    }
    return dir;
  };

  /** The snapshot folder to evaluate, or the unchanged version. */
  const locate = async (): Promise<{ dir: string; fromCacheFallback: boolean } | Unchanged> => {
    const download = async (resolved: ResolvedVersion) => {
      stage = 'download';
      let ensured: { dir: string; downloaded: boolean };
      try {
        ensured = await deps.cache.ensure(entry.name, publicKey ? verifiedVersion(resolved, publicKey) : resolved, controller.signal);
      } catch (error) {
        const stage = error instanceof SignedManifestError ? 'verify' : 'download';
        throw new RemoteLoadError(entry.name, stage, resolved.version, messageOf(error), { cause: error });
      }
      if (progress) {
        if (!ensured.downloaded) progress({ remote: entry.name, stage: 'cached', version: resolved.version, ms: elapsed() });
        else {
          const size = await folderSize(ensured.dir).catch(() => ({ files: 0, bytes: 0 }));
          progress({ remote: entry.name, stage: 'downloaded', version: resolved.version, ...size, ms: elapsed() });
        }
      }
      // A fresh download was verified before it entered the cache; a cache hit was not.
      return ensured.downloaded ? ensured.dir : verifyCached(ensured.dir, resolved.version);
    };
    if (target.version !== undefined) {
      const cached = await deps.cache.cached(entry.name, target.version).catch(() => undefined);
      if (cached) return { dir: await verifyCached(cached, target.version), fromCacheFallback: false };
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
      await verifyCached(cachedDir, version);
      deps.onFallback?.(entry.name, version, messageOf(error));
      return { dir: cachedDir, fromCacheFallback: true };
    }
    version = resolved.version;
    progress?.({ remote: entry.name, stage: 'resolved', version, ms: elapsed() });
    if (version === target.unlessVersion || version === target.skipVersion) return { unchanged: version };
    return { dir: await download(resolved), fromCacheFallback: false };
  };

  const work = async (): Promise<LoadedRemote | Unchanged> => {
    const located = await locate();
    if ('unchanged' in located) return located;
    const loadedVersion = version!;
    const containerName = `${entry.name}__${loadedVersion}__${++containerSequence}`;
    let container;
    stage = 'evaluate';
    try {
      container = await deps.runtime.load({ containerName, dir: located.dir, entry, version: loadedVersion, signal: controller.signal });
    } catch (error) {
      throw new RemoteLoadError(entry.name, 'evaluate', loadedVersion, messageOf(error), { cause: error });
    }
    if (controller.signal.aborted) {
      container.dispose();
      throw new RemoteLoadError(entry.name, 'timeout', loadedVersion, `did not finish within ${deps.timeoutMs} ms`);
    }
    progress?.({ remote: entry.name, stage: 'evaluated', version: loadedVersion, ms: elapsed() });
    return {
      name: entry.name,
      version: loadedVersion,
      source: source.describe(),
      loadedAt: new Date(),
      fromCacheFallback: located.fromCacheFallback,
      loadMs: Math.round(performance.now() - started),
      modules: container.modules,
      ...(container.isolation ? { isolation: container.isolation } : {}),
      dispose: () => container.dispose(),
    };
  };
  try {
    return await Promise.race([work(), timedOut]);
  } finally {
    clearTimeout(timer);
    clearInterval(heartbeat);
  }
}

/**
 * The version whose writeSnapshot also checks the signed manifest, inside the
 * cache's temporary folder: a refused build is deleted with that folder, so it
 * never enters the cache, never lends blobs to later downloads and is never
 * marked last good.
 */
/**
 * Brings `version` into the snapshot cache, checked as a load checks it, without evaluating
 * it: a push's download then overlaps the question whether the push may deploy
 * (push-order.ts), which for GitHub is one more API round trip. Never rejects: when it
 * fails, the load downloads again and reports why.
 */
export async function prefetchVersion(entry: RemoteEntry, source: Source, cache: SnapshotCache, version: string, signal: AbortSignal): Promise<void> {
  if (!source.at) return;
  try {
    if (await cache.cached(entry.name, version)) return;
    const resolved = source.at(version);
    const publicKey = entry.publicKey === undefined ? undefined : ed25519PublicKey(entry.publicKey);
    await cache.ensure(entry.name, publicKey ? verifiedVersion(resolved, publicKey) : resolved, signal);
  } catch {
    // The load that follows tries again, and its error names the stage.
  }
}

function verifiedVersion(resolved: ResolvedVersion, publicKey: KeyObject): ResolvedVersion {
  return {
    version: resolved.version,
    async writeSnapshot(dir, signal, reuse) {
      await resolved.writeSnapshot(dir, signal, reuse);
      await verifySignedBuild(dir, publicKey);
    },
  };
}

// Reloading a version that is still draining must not reuse its container name.
let containerSequence = 0;
