/**
 * The customers store both hand-written baselines share: a Map, the minimal
 * validation of the three fields, and the host-set fields. Sharing it keeps the
 * node:http and Express figures about the HTTP layer only.
 */
import { randomUUID } from 'node:crypto';

export interface Customer {
  firstName: string;
  lastName: string;
  email: string;
  tier: string;
  id: string;
  createdAt: string;
  updatedAt: string;
  revision: number;
}

export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 20;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function nameOk(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 100;
}

/** The three required fields as microlib's customer spec states them; the message, or undefined when valid. */
export function invalidField(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  const input = body as Record<string, unknown>;
  if (!nameOk(input.firstName)) return 'firstName must be 1 to 100 characters';
  if (!nameOk(input.lastName)) return 'lastName must be 1 to 100 characters';
  if (typeof input.email !== 'string' || !EMAIL.test(input.email)) return 'email must be an email address';
  return undefined;
}

export class CustomerStore {
  private readonly records = new Map<string, Customer>();

  get(id: string): Customer | undefined {
    return this.records.get(id);
  }

  /** Stores a validated body; the record has the same fields as microlib's answer. */
  create(input: { firstName: string; lastName: string; email: string }): Customer {
    const now = new Date().toISOString();
    const record: Customer = {
      firstName: input.firstName,
      lastName: input.lastName,
      email: input.email,
      tier: 'standard',
      id: randomUUID(),
      createdAt: now,
      updatedAt: now,
      revision: 1,
    };
    this.records.set(record.id, record);
    return record;
  }

  /** The first `limit` records after `offset`, in creation order (the Map's order). */
  page(limit: number, offset: number): Customer[] {
    const out: Customer[] = [];
    let skip = offset;
    for (const record of this.records.values()) {
      if (skip > 0) {
        skip--;
        continue;
      }
      if (out.length >= limit) break;
      out.push(record);
    }
    return out;
  }
}

/** `?limit=` and `?offset=` of a query string, clamped like microlib's; undefined for a bad value. */
export function pageParams(limitText: string | null | undefined, offsetText: string | null | undefined): { limit: number; offset: number } | undefined {
  const limit = limitText == null ? DEFAULT_LIMIT : Number(limitText);
  const offset = offsetText == null ? 0 : Number(offsetText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT || !Number.isInteger(offset) || offset < 0) return undefined;
  return { limit, offset };
}
