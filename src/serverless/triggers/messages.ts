/**
 * Messages a queue, topic or stream trigger hands a function (SQS, SNS, Kafka,
 * Google Pub/Sub), and the domain event each one becomes on the host's broker.
 * (DynamoDB stream records and CloudEvents other than Pub/Sub's have no body to
 * read: their trigger maps them itself, see TriggerMessage.mapped.)
 *
 * The mapping, the same for every trigger with a body:
 * - The body is JSON. A body that is itself a microlib event (a string `id` and
 *   `eventName`: what a host's Kafka bridge writes, or `events.notify` sent on by
 *   hand) is published as it is, with its own id, name, model and data.
 * - Any other JSON body is the event's `data`. Its name is the message's
 *   `eventName` attribute (SQS/SNS message attribute, Kafka header, Pub/Sub
 *   attribute), else the queue's or topic's name; its `modelName` is the
 *   `modelName` attribute, if any (a model's `eventHandlers` hear only events
 *   naming that model); its id is the message's own id, stable across redeliveries.
 * - A body that is not JSON makes the message fail: it is never published.
 */
import type { DomainEvent } from '../../domain/events/domain-event.js';

/** One message of a trigger's batch, as the platform described it. */
export interface TriggerMessage {
  /** The platform's id of the message: SQS's messageId (a failed item's `itemIdentifier`), SNS's and Pub/Sub's messageId, `<topic>-<partition>@<offset>` for Kafka. */
  id: string;
  /** The queue or topic it came from: the event's name when neither body nor attribute gives one. */
  channel: string;
  /** The body as text (Kafka's and Pub/Sub's base64 decoded); undefined for a record without one. */
  body: string | undefined;
  /** Message attributes (Kafka headers) with a text value. */
  attributes: Record<string, string>;
  /** When the platform received it (ISO-8601), the event's time unless the body is an event. */
  at?: string | undefined;
  /** What the event's id is unique within, when not the trigger (a CloudEvent's `source`): a repeat is the same id from the same scope. */
  idScope?: string;
  /** The event its trigger already made of it (or why it could not): published as it is; `body` and `attributes` are not read. */
  mapped?: MappedMessage;
}

/** A message as an event, or why it cannot be one. */
export type MappedMessage = { event: DomainEvent } | { invalid: string };

/** Attribute naming the event, when the body is plain data. */
export const EVENT_NAME_ATTRIBUTE = 'eventName';
/** Attribute naming the model the event is about (so that model's `eventHandlers` hear it). */
export const MODEL_NAME_ATTRIBUTE = 'modelName';

/** The event `message` becomes, or why it cannot become one. */
export function toDomainEvent(message: TriggerMessage): MappedMessage {
  if (message.mapped) return message.mapped;
  if (message.body === undefined) return { invalid: 'the message has no body' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.body);
  } catch (error) {
    return { invalid: `its body is not JSON (${(error as Error).message}): it starts ${JSON.stringify(message.body.slice(0, 40))}` };
  }
  const at = message.at ?? new Date().toISOString();
  if (isEvent(parsed)) return { event: Object.freeze({ ...parsed, at: typeof parsed['at'] === 'string' ? parsed['at'] : at }) };
  const eventName = nonEmpty(message.attributes[EVENT_NAME_ATTRIBUTE]) ?? message.channel;
  if (eventName === '') return { invalid: `no event name: the message has no "${EVENT_NAME_ATTRIBUTE}" attribute and its queue or topic has no name` };
  const modelName = nonEmpty(message.attributes[MODEL_NAME_ATTRIBUTE]);
  return { event: Object.freeze({ id: message.id, eventName, ...(modelName ? { modelName } : {}), at, data: parsed }) };
}

/** A microlib event's JSON: an object with a string id and eventName (and a string modelName, if any). */
function isEvent(value: unknown): value is DomainEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const fields = value as Record<string, unknown>;
  return (
    typeof fields['id'] === 'string' && fields['id'] !== '' &&
    typeof fields['eventName'] === 'string' && fields['eventName'] !== '' &&
    (fields['modelName'] === undefined || typeof fields['modelName'] === 'string')
  );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
