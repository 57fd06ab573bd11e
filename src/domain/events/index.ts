/**
 * Local event broker of the domain layer: domain events, pattern
 * subscriptions owned by loaded remote versions, and the per-model view that
 * models receive.
 *
 * @packageDocumentation
 */
export { makeEvent, type DomainEvent, type EventClock, type EventFields } from './domain-event.js';
export type { EventPattern } from './pattern.js';
export {
  EventBroker,
  type DomainEventHandler,
  type EventBrokerOptions,
  type HandlerErrorCallback,
  type HandlerFailure,
  type PublishReport,
  type SubscribeOptions,
  type SubscriptionInfo,
} from './event-broker.js';
export { forModel, type ModelEvents } from './model-events.js';
export { crudEventName, type CrudOperation } from './crud-event-name.js';
