/** Who may reload and roll back (the webhook secret and the admin token), and how much of their bodies is read. */
import { ConfigError, integer, secret, type Env } from '../../../config/env-reader.js';

export interface AdminSettings {
  /** Secret of GitHub push webhooks (X-Hub-Signature-256); while it rotates, the new one and the previous one. */
  webhookSecret: readonly string[] | undefined;
  /** Bearer token for manual reloads, rollbacks and the host's API; while it rotates, the new one and the previous one. */
  adminToken: readonly string[] | undefined;
  /** Largest webhook, reload or rollback body (413 beyond). */
  webhookMaxBodyBytes: number;
  /** Webhook bodies read at once before their signature can be checked (503 beyond). */
  webhookMaxUnverified: number;
}

export function readAdminSettings(env: Env): AdminSettings {
  return {
    webhookSecret: rotating('WEBHOOK_SECRET', secret(env, 'WEBHOOK_SECRET'), secret(env, 'WEBHOOK_SECRET_PREVIOUS')),
    adminToken: rotating('ADMIN_TOKEN', secret(env, 'ADMIN_TOKEN'), secret(env, 'ADMIN_TOKEN_PREVIOUS')),
    // GitHub never sends more than 25 MB; a push is a few kilobytes.
    webhookMaxBodyBytes: integer(env, 'WEBHOOK_MAX_BODY_BYTES', 1_048_576, 1, 26_214_400),
    webhookMaxUnverified: integer(env, 'WEBHOOK_MAX_UNVERIFIED', 8, 1, 10_000),
  };
}

/**
 * `NAME`, and `NAME_PREVIOUS` while the secret rotates: both are accepted until the
 * previous one is removed, so a secret changes without refusing anyone in between.
 */
function rotating(name: string, current: string | undefined, previous: string | undefined): readonly string[] | undefined {
  if (previous !== undefined && current === undefined) throw new ConfigError(`${name}_PREVIOUS`, `is set without ${name}: set ${name} to the new secret and ${name}_PREVIOUS to the one it replaces`);
  if (current === undefined) return undefined;
  return previous === undefined || previous === current ? [current] : [current, previous];
}
