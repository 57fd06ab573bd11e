/**
 * Any CloudEvent other than a Pub/Sub message (pubsub.ts), as Google's functions
 * framework hands it to a CloudEvent function: in structured mode the JSON body
 * itself (`type`, `source`, `id`, `time`, `datacontenttype`, `data` or
 * `data_base64`); in binary mode the `ce-*` headers as attributes with the parsed
 * body as `data` (an object for JSON, a string for text/plain, a Buffer for
 * other types; the Content-Type is not passed on).
 *
 * It becomes one event, mapped here (it has no body to read as a queue message does):
 * - `eventName`: the CloudEvent's `type`; `id`: its `id`; `at`: its `time`;
 * - `modelName`: the extension attribute `modelname` (CloudEvents attribute names
 *   are lowercase; header `ce-modelname`), so that model's eventHandlers hear it;
 * - `source`, and `subject` when given, as the CloudEvent's;
 * - `data`: JSON data as it is (an object, array, number, boolean, null, or a string
 *   whose datacontenttype is JSON; `data_base64` of a JSON type is decoded and
 *   parsed); text as `{ datacontenttype, text }`; bytes as `{ datacontenttype, data_base64 }`.
 *
 * CloudEvents are unique by `source` and `id`: a repeat of both is skipped (deliver.ts).
 */
import type { DomainEvent } from '../../domain/events/domain-event.js';
import type { TriggerBatch } from './trigger-batch.js';

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The attributes every CloudEvent has; without them it is not one this handler can deliver. */
export const REQUIRED_ATTRIBUTES = ['type', 'source', 'id'] as const;
/** The extension attribute naming the model the event is about. */
export const MODEL_NAME_EXTENSION = 'modelname';

/** `application/json`, `text/json`, or any `+json` type (parameters aside). */
function isJsonType(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type !== undefined && (type === 'application/json' || type === 'text/json' || type.endsWith('+json'));
}

/** The one message of `cloudEvent`; undefined when it lacks a required attribute. */
export function cloudEventBatch(cloudEvent: unknown): TriggerBatch | undefined {
  if (!isObject(cloudEvent)) return undefined;
  const [type, source, id] = REQUIRED_ATTRIBUTES.map((name) => text(cloudEvent[name]));
  if (type === undefined || source === undefined || id === undefined) return undefined;
  const at = text(cloudEvent['time']);
  const modelName = text(cloudEvent[MODEL_NAME_EXTENSION]);
  const subject = text(cloudEvent['subject']);
  const data = payload(cloudEvent);
  const event: DomainEvent = Object.freeze({
    id,
    eventName: type,
    ...(modelName ? { modelName } : {}),
    at: at ?? new Date().toISOString(),
    source,
    ...(subject ? { subject } : {}),
    ...(data === undefined ? {} : { data }),
  });
  return {
    source: 'cloudevent',
    messages: [{ id, idScope: source, channel: type, body: undefined, attributes: {}, at, mapped: { event } }],
    failures: 'invocation',
    ordered: true,
  };
}

/** The CloudEvent's data as the event's. */
function payload(cloudEvent: Fields): unknown {
  const contentType = text(cloudEvent['datacontenttype']);
  const described = (fields: Fields): Fields => (contentType ? { datacontenttype: contentType, ...fields } : fields);
  const base64 = cloudEvent['data_base64'];
  if (typeof base64 === 'string') {
    const json = isJsonType(contentType) ? parsedJson(Buffer.from(base64, 'base64').toString('utf8')) : undefined;
    return json ? json.value : described({ data_base64: base64 });
  }
  const data = cloudEvent['data'];
  if (data instanceof Uint8Array) return described({ data_base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') });
  if (typeof data === 'string' && !isJsonType(contentType)) return described({ text: data });
  return data;
}

/** `text` parsed, wrapped so that a JSON `null` is told from text that is not JSON. */
function parsedJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}
