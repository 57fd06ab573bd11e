/**
 * A Google Pub/Sub message as Eventarc and Cloud Run functions deliver it: a
 * CloudEvent of type `google.cloud.pubsub.topic.v1.messagePublished` whose `data`
 * is `{ message: { data: <base64>, attributes, messageId, publishTime }, subscription }`
 * and whose `source` names the topic (`//pubsub.googleapis.com/projects/<p>/topics/<t>`).
 */
import type { TriggerBatch } from './trigger-batch.js';

export const PUBSUB_MESSAGE_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The one message of a Pub/Sub CloudEvent; undefined for any other CloudEvent. */
export function pubsubBatch(cloudEvent: unknown): TriggerBatch | undefined {
  if (!isObject(cloudEvent) || cloudEvent['type'] !== PUBSUB_MESSAGE_PUBLISHED || !isObject(cloudEvent['data'])) return undefined;
  const message = cloudEvent['data']['message'];
  if (!isObject(message)) return undefined;
  const attributes: Record<string, string> = {};
  if (isObject(message['attributes'])) for (const [name, value] of Object.entries(message['attributes'])) if (typeof value === 'string') attributes[name] = value;
  const source = typeof cloudEvent['source'] === 'string' ? cloudEvent['source'] : '';
  const data = message['data'];
  return {
    source: 'google:pubsub',
    messages: [
      {
        id: String(message['messageId'] ?? message['message_id'] ?? cloudEvent['id'] ?? ''),
        channel: /\/topics\/([^/]+)$/.exec(source)?.[1] ?? '',
        body: typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : undefined,
        attributes,
        at: typeof message['publishTime'] === 'string' ? message['publishTime'] : typeof cloudEvent['time'] === 'string' ? cloudEvent['time'] : undefined,
      },
    ],
    failures: 'invocation',
    ordered: true,
  };
}
