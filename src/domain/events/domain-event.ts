/**
 * The event record every publisher and handler sees.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';

/**
 * Something that happened in the domain, e.g. `orderCreated`.
 *
 * Events are plain JSON-friendly objects so the event transports (Kafka,
 * webswitch) forward them between hosts unchanged; `id` is what lets a
 * receiver drop a duplicate.
 */
export interface DomainEvent {
  /** Unique id of this occurrence (a UUID by default). Lets receivers drop duplicates. */
  readonly id: string;
  /** What happened, e.g. `orderCreated`. Subscriptions match on this name. */
  readonly eventName: string;
  /** The model the event is about, when there is one. */
  readonly modelName?: string;
  /** ISO-8601 time the event was made. */
  readonly at: string;
  /** The payload. Keep it JSON-serialisable if it may leave the process. */
  readonly data?: unknown;
  /** Further fields a publisher chooses to add. */
  readonly [key: string]: unknown;
}

/** Fields a publisher supplies to {@link makeEvent}; `id`, `eventName` and `at` are set by the factory. */
export interface EventFields {
  modelName?: string;
  data?: unknown;
  [key: string]: unknown;
}

/** Where {@link makeEvent} gets ids and times; injectable so tests are deterministic. */
export interface EventClock {
  /** Returns a new unique id. Default: `crypto.randomUUID()`. */
  id?: () => string;
  /** Returns the current time. Default: `new Date()`. */
  now?: () => Date;
}

/**
 * Makes a {@link DomainEvent} with a fresh id and timestamp.
 *
 * `id`, `eventName` and `at` always come from the factory, even if `fields`
 * holds keys of the same name, so an event's identity cannot be forged by its
 * payload. The result is shallowly frozen: every handler receives the same
 * object, and one handler must not change what the next one sees.
 *
 * @throws TypeError if `eventName` is not a non-empty string.
 */
export function makeEvent(eventName: string, fields: EventFields = {}, clock: EventClock = {}): DomainEvent {
  if (typeof eventName !== 'string' || eventName.length === 0) {
    throw new TypeError('eventName must be a non-empty string');
  }
  const id = (clock.id ?? randomUUID)();
  const at = (clock.now ?? (() => new Date()))().toISOString();
  return Object.freeze({ ...fields, id, eventName, at });
}
