/**
 * Who may trigger a reload: GitHub, proven by the HMAC signature of the raw
 * body with the webhook secret, or an operator with the admin token. Both
 * comparisons are constant-time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A secret, or while it rotates the new one and the previous one: either is accepted,
 * so a secret changes without a moment when neither side's value works.
 */
export type RotatingSecret = string | readonly string[];

const eachSecret = (secret: RotatingSecret): readonly string[] => (typeof secret === 'string' ? [secret] : secret);

/** Checks `X-Hub-Signature-256: sha256=<hex>` against the raw body. */
export function validWebhookSignature(rawBody: Buffer, header: string | undefined, secret: RotatingSecret): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  let valid = false;
  for (const value of eachSecret(secret)) {
    const expected = createHmac('sha256', value).update(rawBody).digest();
    // Every secret is tried: the time taken does not say which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
  }
  return valid;
}

/** Checks `Authorization: Bearer <token>`; hashing first makes the comparison length-independent. */
export function validAdminToken(authorization: string | undefined, token: RotatingSecret): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const given = digest(match[1]!);
  let valid = false;
  for (const value of eachSecret(token)) if (timingSafeEqual(given, digest(value))) valid = true;
  return valid;
}

/** Remembers recent webhook delivery ids, so a replayed delivery is ignored. */
export class DeliveryLog {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 1000) {}

  /** True the first time an id is offered. */
  firstTime(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}
