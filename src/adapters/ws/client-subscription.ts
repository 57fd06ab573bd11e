/**
 * What a WebSocket client may ask for: `subscribe` to a model's created /
 * updated / deleted events (optionally one record, or records whose fields
 * equal given values) or to named events, and `unsubscribe`. Parsing is strict
 * so a bad message gets an error naming the field, never a crash.
 */
import type { DomainEvent } from '../../domain/events/index.js';
import type { Json } from '../../domain/model-spec.js';

export type CrudKind = 'created' | 'updated' | 'deleted';
const KINDS: readonly CrudKind[] = ['created', 'updated', 'deleted'];
const SUB_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const EVENT_NAME = /^[A-Za-z0-9_.:*-]{1,128}$/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface Subscription {
  /** The client's name for it, echoed on every event. */
  sub: string;
  /** Broker patterns to subscribe to. */
  patterns: string[];
  /** Only events about this record id. */
  id?: string;
  /** Only events whose record has these field values. */
  where?: Record<string, Json>;
}

export type ClientMessage = { type: 'subscribe'; subscription: Subscription; model?: string } | { type: 'unsubscribe'; sub: string } | { type: 'ping' };

export class ClientMessageError extends Error {
  constructor(
    message: string,
    readonly field?: string,
    readonly sub?: string,
  ) {
    super(message);
  }
}

/** Parses one text frame; `eventNameOf(model, kind)` gives a model's CRUD event name; `knownModel` says whether a model is served. */
export function parseClientMessage(text: string, eventNameOf: (model: string, kind: CrudKind) => string, knownModel: (model: string) => boolean): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ClientMessageError('the message is not JSON');
  }
  return readClientMessage(raw, eventNameOf, knownModel);
}

/** Checks one decoded message (a JSON text frame's, or a MessagePack binary frame's). */
export function readClientMessage(raw: unknown, eventNameOf: (model: string, kind: CrudKind) => string, knownModel: (model: string) => boolean): ClientMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ClientMessageError('the message must be a JSON object with a "type"', 'type');
  const message = raw as Record<string, unknown>;
  const sub = message.sub;
  const subName = typeof sub === 'string' ? sub : undefined;
  if (message.type === 'ping') return { type: 'ping' };
  if (typeof sub !== 'string' || !SUB_ID.test(sub)) throw new ClientMessageError('"sub" must name the subscription: 1 to 64 letters, digits, "_", ".", ":" or "-"', 'sub');
  if (message.type === 'unsubscribe') return { type: 'unsubscribe', sub };
  if (message.type !== 'subscribe') throw new ClientMessageError('"type" must be "subscribe", "unsubscribe" or "ping"', 'type', subName);

  const patterns: string[] = [];
  if (message.model !== undefined) {
    if (typeof message.model !== 'string' || !knownModel(message.model)) throw new ClientMessageError(`no model "${String(message.model)}" is served here`, 'model', sub);
    const kinds = message.events ?? KINDS;
    if (!Array.isArray(kinds) || kinds.length === 0 || kinds.some((k) => !KINDS.includes(k as CrudKind))) {
      throw new ClientMessageError('"events" must be a non-empty array of "created", "updated", "deleted"', 'events', sub);
    }
    for (const kind of new Set(kinds as CrudKind[])) patterns.push(eventNameOf(message.model, kind));
  } else if (message.event !== undefined) {
    if (typeof message.event !== 'string' || !EVENT_NAME.test(message.event)) throw new ClientMessageError('"event" must be an event name (letters, digits, "_", ".", ":", "-", "*" wildcards)', 'event', sub);
    patterns.push(message.event);
  } else {
    throw new ClientMessageError('a subscription names a "model" or an "event"', 'model', sub);
  }
  const subscription: Subscription = { sub, patterns };
  if (message.id !== undefined) {
    if (typeof message.id !== 'string' || message.id === '') throw new ClientMessageError('"id" must be a record id', 'id', sub);
    subscription.id = message.id;
  }
  if (message.where !== undefined) {
    const where = message.where;
    if (typeof where !== 'object' || where === null || Array.isArray(where)) throw new ClientMessageError('"where" must be an object of field values', 'where', sub);
    for (const [field, value] of Object.entries(where)) {
      if (!FIELD.test(field)) throw new ClientMessageError(`"where.${field}" is not a field name`, `where.${field}`, sub);
      if (value !== null && typeof value === 'object') throw new ClientMessageError(`"where.${field}" must be a string, number, boolean or null`, `where.${field}`, sub);
    }
    subscription.where = where as Record<string, Json>;
  }
  return typeof message.model === 'string' ? { type: 'subscribe', subscription, model: message.model } : { type: 'subscribe', subscription };
}

/** Whether an event passes a subscription's filters (the broker already matched its name). */
export function matches(subscription: Subscription, event: DomainEvent): boolean {
  if (subscription.id === undefined && subscription.where === undefined) return true;
  const data = event.data as { id?: unknown; record?: Record<string, unknown> } | undefined;
  if (subscription.id !== undefined && data?.id !== subscription.id) return false;
  if (subscription.where !== undefined) {
    const record = data?.record;
    if (!record) return false;
    for (const [field, value] of Object.entries(subscription.where)) {
      if (!Object.hasOwn(record, field) ? value !== null : record[field] !== value) return false;
    }
  }
  return true;
}
