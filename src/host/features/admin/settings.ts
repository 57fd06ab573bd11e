/** Who may reload and roll back (the webhook secret and the admin token), and how much of their bodies is read. */
import { integer, secret, type Env } from '../../../config/env-reader.js';

export interface AdminSettings {
  /** Secret of GitHub push webhooks (X-Hub-Signature-256). */
  webhookSecret: string | undefined;
  /** Bearer token for manual reloads and rollbacks. */
  adminToken: string | undefined;
  /** Largest webhook, reload or rollback body (413 beyond). */
  webhookMaxBodyBytes: number;
  /** Webhook bodies read at once before their signature can be checked (503 beyond). */
  webhookMaxUnverified: number;
}

export function readAdminSettings(env: Env): AdminSettings {
  return {
    webhookSecret: secret(env, 'WEBHOOK_SECRET'),
    adminToken: secret(env, 'ADMIN_TOKEN'),
    // GitHub never sends more than 25 MB; a push is a few kilobytes.
    webhookMaxBodyBytes: integer(env, 'WEBHOOK_MAX_BODY_BYTES', 1_048_576, 1, 26_214_400),
    webhookMaxUnverified: integer(env, 'WEBHOOK_MAX_UNVERIFIED', 8, 1, 10_000),
  };
}
