/**
 * A running canary as `/microlib/api/remotes` shows it: both versions, the split,
 * when it started, and each version's requests, errors and latency since then
 * (this process's tallies).
 */
import { summariseTally } from '../../domain/resilience/version-tally.js';
import type { CanaryView } from './remote-control.js';

export function canaryListing(canary: CanaryView) {
  return {
    version: canary.loaded.version,
    stableVersion: canary.stableVersion,
    weight: canary.split.weight,
    sticky: canary.split.sticky ?? null,
    mode: canary.split.mode,
    startedAt: canary.startedAt,
    stats: {
      stable: { version: canary.stableVersion, ...summariseTally(canary.tallies.stable.snapshot()) },
      canary: { version: canary.loaded.version, ...summariseTally(canary.tallies.canary.snapshot()) },
    },
  };
}
