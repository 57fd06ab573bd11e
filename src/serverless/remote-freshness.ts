/**
 * REMOTE_TTL_SECONDS in a function. A frozen instance runs no timer, so the
 * check rides on invocations: the first one at least the TTL after the last
 * check asks every remote's source for a new version (as the poller does: a
 * reload that stops at "unchanged"; GitHub and HTTP sources ask conditionally)
 * and a new version is hot-swapped as on a server. The check runs in the
 * background: the invocation that starts it is answered at once by the current
 * version, and the ones after the swap by the new one (each answer names its
 * version in x-microlib-version). On Lambda the instance may be frozen right
 * after that answer; the check then finishes during the next invocation.
 */
import type { Host } from '../host/create-host.js';
import type { Logger } from '../adapters/logging/logger.js';

export interface RemoteFreshness {
  /** Called on each invocation: starts a check when the TTL has passed and none is under way. */
  touch(host: Host): void;
  /** The check under way, if any (tests, and stop). */
  pending(): Promise<void> | undefined;
}

export function remoteFreshness(ttlSeconds: number, logger: () => Logger | undefined, now: () => number = Date.now): RemoteFreshness {
  const ttlMs = ttlSeconds * 1_000;
  // The start just resolved every source (or loaded a bundle's versions): the first check is one TTL later.
  let checkedAt = now();
  let checking: Promise<void> | undefined;
  return {
    touch(host) {
      if (ttlMs <= 0 || checking || now() - checkedAt < ttlMs) return;
      checkedAt = now();
      const deployment = host.deployment;
      const reloads = deployment.remotes().map(async (state) => {
        // As the poller: a rollback pins the version, a canary holds it, a reload under way sees the change anyway.
        if (state.pinned || state.canary || deployment.busy(state.entry.name)) return;
        // The reload logs its own outcome (loaded, unchanged, failed), as a poll's.
        await deployment.reload(state.entry.name, { reason: 'poll' });
      });
      checking = Promise.allSettled(reloads).then((outcomes) => {
        for (const outcome of outcomes) if (outcome.status === 'rejected') logger()?.warn({ err: outcome.reason }, 'REMOTE_TTL_SECONDS check failed; the current version keeps serving');
        checking = undefined;
      });
    },
    pending: () => checking,
  };
}
