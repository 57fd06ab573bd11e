/**
 * Errors nobody catches: a remote's `setTimeout(() => { throw … })`, a promise
 * rejected with no handler, an `error` event without a listener. Node exits on
 * them by default, which lets one team's bug stop every team's models; the host
 * instead logs each one (with its stack, and the remote whose code threw when the
 * stack shows it) and keeps serving. `/metrics` counts them by kind.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../adapters/logging/logger.js';
import type { StrayErrorKind } from '../adapters/metrics/metrics.js';

/** How many errors escaped so far, by kind (read when Prometheus scrapes). */
export type StrayErrorCounts = Record<StrayErrorKind, number>;

/** The process events a stray error arrives on; `process` itself, or a stand-in in unit tests. */
export interface ProcessEvents {
  on(event: 'uncaughtException', listener: (error: Error) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
}

/** The remote (and version) whose snapshot, under `cacheDir`, the stack passes through first. */
export function remoteOfStack(stack: string | undefined, cacheDir: string): { remote: string; version?: string } | undefined {
  if (!stack) return undefined;
  // Stacks name files by path, or by file URL for ES modules.
  for (const root of [cacheDir + path.sep, pathToFileURL(cacheDir).href + '/']) {
    const at = stack.indexOf(root);
    if (at === -1) continue;
    const [remote, version] = stack.slice(at + root.length).split(/[\\/:\s)]/, 2);
    if (remote) return version ? { remote, version } : { remote };
  }
  return undefined;
}

/**
 * Installs the handlers on `events` (once per process: `npm start` does it, in a
 * cluster's primary and in each of its workers). The returned counts keep growing.
 */
export function keepServingOnStrayErrors(logger: Logger, cacheDir: string, events: ProcessEvents = process): StrayErrorCounts {
  const counts: StrayErrorCounts = { exception: 0, rejection: 0 };
  const report = (kind: StrayErrorKind, error: unknown) => {
    counts[kind] += 1;
    const stack = error instanceof Error ? error.stack : undefined;
    const message = kind === 'exception' ? 'uncaught exception (the host keeps serving)' : 'unhandled promise rejection (the host keeps serving)';
    logger.error({ err: error, kind, ...remoteOfStack(stack, cacheDir) }, message);
  };
  events.on('uncaughtException', (error) => report('exception', error));
  events.on('unhandledRejection', (reason) => report('rejection', reason));
  return counts;
}
