/**
 * A domain event as a Kafka record and back: the JSON value, the key that
 * keeps one record's events in order, the headers, and topic naming.
 *
 * @packageDocumentation
 */
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { DomainEvent } from '../../../domain/events/domain-event.js';

/** The topic every event goes to unless the bridge's `topicOf` says otherwise. */
export const DEFAULT_TOPIC = 'microlib-events';

/** Names of the headers the bridge writes on each record. */
export const HEADERS = {
  /** The event's id (also in the JSON value); lets tools filter without parsing. */
  eventId: 'microlib-event-id',
  /** The event's name. */
  eventName: 'microlib-event-name',
  /** The process that sent the record (the bridge's `origin`). */
  origin: 'microlib-origin',
  /** The consumer group of the sending bridge, i.e. its service. */
  group: 'microlib-group',
} as const;

/** Who sends a record: written into its headers. */
export interface RecordSender {
  /** This process (see {@link HEADERS.origin}). */
  origin: string;
  /** Its consumer group, i.e. its service (see {@link HEADERS.group}). */
  groupId: string;
}

/**
 * Topic naming per model or event: `{model}` and `{event}` in the template are
 * replaced (`host` for events of no model), e.g. `microlib.{model}` or
 * `orders.{event}`. Characters Kafka refuses become `_`. The topics must exist
 * (or the cluster must create them) and consumers list them in `subscribe`.
 */
export function topicTemplate(template: string): (event: DomainEvent) => string {
  return (event) =>
    template
      .replaceAll('{model}', event.modelName ?? 'host')
      .replaceAll('{event}', event.eventName)
      .replace(/[^a-zA-Z0-9._-]/g, '_')
      .slice(0, 249);
}

/** The record of `event` whose JSON value is `value` (serialised by the caller, who also checks its size). */
export function toRecord(event: DomainEvent, value: string, sender: RecordSender): Message {
  const headers: IHeaders = {
    [HEADERS.eventId]: event.id,
    [HEADERS.eventName]: event.eventName,
    [HEADERS.origin]: sender.origin,
    [HEADERS.group]: sender.groupId,
    'content-type': 'application/json',
  };
  return { key: recordKey(event), value, headers };
}

/** The record key: the id of the record the event is about, so its events share a partition and stay in order. */
function recordKey(event: DomainEvent): string | null {
  const data = event.data;
  if (data === null || typeof data !== 'object') return null;
  const id = (data as { id?: unknown }).id;
  if (!(typeof id === 'string' && id !== '') && !(typeof id === 'number' && Number.isFinite(id))) return null;
  return event.modelName === undefined ? String(id) : `${event.modelName}/${id}`;
}

/** Whether `message` was sent by `sender` itself, or by any member of its group when `ownGroup` is set. */
export function sentBy(message: KafkaMessage, sender: RecordSender, ownGroup: boolean): boolean {
  return header(message.headers, HEADERS.origin) === sender.origin || (ownGroup && header(message.headers, HEADERS.group) === sender.groupId);
}

/** Parses a record's value into a frozen event, or returns why it is not one. */
export function fromRecord(message: KafkaMessage): DomainEvent | string {
  const { value, timestamp } = message;
  if (value === null) return 'empty record';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'not a JSON object';
  const fields = parsed as Record<string, unknown>;
  if (typeof fields.id !== 'string' || fields.id === '') return 'no string id';
  if (typeof fields.eventName !== 'string' || fields.eventName === '') return 'no string eventName';
  if (fields.modelName !== undefined && typeof fields.modelName !== 'string') return 'modelName is not a string';
  // Producers other than microlib may leave out the time; the record's own time stands in.
  const at = typeof fields.at === 'string' ? fields.at : new Date(Number(timestamp) || Date.now()).toISOString();
  return Object.freeze({ ...fields, id: fields.id, eventName: fields.eventName, at });
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
