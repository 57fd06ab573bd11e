/**
 * What hub and peers say to each other: one JSON message per event, naming
 * the host it came from so nobody sends it back there.
 *
 * @packageDocumentation
 */
import type { DomainEvent } from '../../../domain/events/domain-event.js';

/** Where the hub accepts its peers. */
export const SWITCH_PATH = '/microlib/switch';

/** The largest message either side accepts. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** One event on the wire. */
export interface WireEvent {
  type: 'event';
  /** The host the event was published on. */
  origin: string;
  event: DomainEvent;
}

/** The message of a local event of host `origin`. */
export function wireEvent(event: DomainEvent, origin: string): WireEvent {
  return { type: 'event', origin, event };
}

/** Parses a message into an event, or returns why it is not one (logged by the caller). */
export function fromWire(data: string): WireEvent | string {
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return 'webswitch: a message that is not JSON was dropped';
  }
  return isWireEvent(message) ? message : 'webswitch: a message that is not an event was dropped';
}

function isWireEvent(value: unknown): value is WireEvent {
  const v = value as Partial<WireEvent> | null;
  return typeof v === 'object' && v !== null && v.type === 'event' && typeof v.origin === 'string' && typeof v.event?.id === 'string' && typeof v.event.eventName === 'string';
}
