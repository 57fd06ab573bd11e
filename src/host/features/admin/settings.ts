/** Who may reload and roll back: the webhook secret and the admin token. */
import { secret, type Env } from '../../../config/env-reader.js';

export interface AdminSettings {
  /** Secret of GitHub push webhooks (X-Hub-Signature-256). */
  webhookSecret: string | undefined;
  /** Bearer token for manual reloads and rollbacks. */
  adminToken: string | undefined;
}

export function readAdminSettings(env: Env): AdminSettings {
  return { webhookSecret: secret(env, 'WEBHOOK_SECRET'), adminToken: secret(env, 'ADMIN_TOKEN') };
}
