/** When the host calls itself ready: every remote loaded, or at least one. */
import { oneOf, type Env } from '../../../config/env-reader.js';

export interface ReadinessSettings {
  /**
   * `all`: /microlib/ready answers 503 while any remote of remoteEntries.js has never loaded;
   * `any`: ready once at least one has (a host with no remotes listed is ready either way).
   */
  readyRemotes: 'all' | 'any';
}

export function readReadinessSettings(env: Env): ReadinessSettings {
  return { readyRemotes: oneOf(env, 'READY_REMOTES', ['all', 'any'] as const, 'all') };
}
