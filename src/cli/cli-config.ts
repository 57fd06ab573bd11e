/** What the `microlib` CLI needs to reach a running host (the client side, not the host's configuration). */
import { httpUrl, integer, secret, type Env } from '../config/env-reader.js';

export interface CliConfig {
  /** Base URL of the host, without a trailing slash. */
  url: string;
  /** Bearer token for reloads, rollbacks and the host's own API. */
  adminToken: string | undefined;
  /** How long the CLI waits for a reload or rollback to answer. */
  reloadTimeoutMs: number;
}

/** The CLI's variables: MICROLIB_URL (default http://127.0.0.1:$PORT, PORT 8070), ADMIN_TOKEN, RELOAD_TIMEOUT_MS. */
export function readCliConfig(env: Env = process.env): CliConfig {
  const explicit = env.MICROLIB_URL?.trim();
  return {
    url: explicit ? httpUrl('MICROLIB_URL', explicit) : `http://127.0.0.1:${integer(env, 'PORT', 8070, 1, 65_535)}`,
    adminToken: secret(env, 'ADMIN_TOKEN'),
    reloadTimeoutMs: integer(env, 'RELOAD_TIMEOUT_MS', 120_000, 1, 3_600_000),
  };
}
