/** Sends GitHub-style push webhooks, signed like GitHub signs them. */
import { createHmac, randomUUID } from 'node:crypto';

export interface WebhookResponse {
  status: number;
  body: any;
}

export async function sendWebhook(
  hostUrl: string,
  options: { event?: string; payload: unknown; secret?: string; signature?: string; delivery?: string },
): Promise<WebhookResponse> {
  const raw = JSON.stringify(options.payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': options.event ?? 'push',
    'x-github-delivery': options.delivery ?? randomUUID(),
    'user-agent': 'GitHub-Hookshot/test',
  };
  if (options.signature !== undefined) headers['x-hub-signature-256'] = options.signature;
  else if (options.secret) headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', options.secret).update(raw).digest('hex')}`;
  const response = await fetch(`${hostUrl}/microlib/reload`, { method: 'POST', headers, body: raw, signal: AbortSignal.timeout(60_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: response.status, body };
}

/** A push event's payload; `forced` marks a force push, as GitHub does. */
export function pushPayload(repository: string, branch: string, after: string, before = '0'.repeat(40), forced = false) {
  return {
    ref: branch.startsWith('refs/') ? branch : `refs/heads/${branch}`,
    before,
    after,
    forced,
    repository: { full_name: repository, name: repository.split('/')[1], owner: { login: repository.split('/')[0] } },
    pusher: { name: 'tester' },
  };
}
