/**
 * The event API injected into a model: a view of the broker bound to one
 * model name and one owner.
 *
 * @packageDocumentation
 */
import { makeEvent, type EventClock } from './domain-event.js';
import type { DomainEventHandler, EventBroker, PublishReport } from './event-broker.js';
import type { EventPattern } from './pattern.js';

/**
 * What a model uses to talk to other models through events. Replaces the
 * original MicroLib's `model.listen(event, cb)` and `model.notify(event, data)`.
 */
export interface ModelEvents {
  /**
   * Subscribes to events matching `eventName` (an exact name, a `*` pattern or
   * a RegExp; see {@link EventPattern}). The subscription belongs to the
   * model's owner, so it ends when that remote version is unloaded.
   *
   * @returns A function that ends the subscription earlier.
   */
  listen(eventName: EventPattern, handler: DomainEventHandler, options?: { once?: boolean }): () => void;
  /**
   * Publishes `eventName` with `modelName` set to this model and `data` as the
   * payload. Resolves when every handler has settled; never rejects because
   * of a handler (see {@link PublishReport}).
   */
  notify(eventName: string, data?: unknown): Promise<PublishReport>;
}

/**
 * Binds the broker to one model of one loaded remote version.
 *
 * @param owner - The loaded version's owner key, as later passed to `disposeOwner`.
 * @param clock - Id and time source for the events `notify` makes (tests only).
 */
export function forModel(broker: EventBroker, modelName: string, owner: string, clock?: EventClock): ModelEvents {
  if (typeof modelName !== 'string' || modelName.length === 0) {
    throw new TypeError('modelName must be a non-empty string');
  }
  if (typeof owner !== 'string' || owner.length === 0) {
    throw new TypeError('owner must be a non-empty string');
  }
  return {
    listen: (eventName, handler, options = {}) =>
      broker.subscribe(eventName, handler, { owner, once: options.once === true }),
    notify: async (eventName, data) => broker.publish(makeEvent(eventName, { modelName, data }, clock)),
  };
}
