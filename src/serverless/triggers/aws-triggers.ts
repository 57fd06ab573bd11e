/**
 * The AWS triggers that hand a Lambda function messages rather than a request,
 * read from AWS's documentation of each event:
 *
 * - SQS: `Records[]` with `eventSource: 'aws:sqs'`, `messageId`, `body` (text),
 *   `messageAttributes.<name>.stringValue`, `eventSourceARN` (the queue). A body
 *   that is an SNS notification (a topic delivering to the queue without raw
 *   message delivery) is unwrapped. Failed messages go back to the queue through
 *   the partial batch response (`batchItemFailures`).
 * - SNS: `Records[]` (one) with `EventSource: 'aws:sns'` and `Sns.Message`,
 *   `Sns.MessageAttributes.<name>.Value`, `Sns.TopicArn`. A failure fails the
 *   invocation (Lambda retries asynchronous invocations, then its destination).
 * - Kafka (Amazon MSK `eventSource: 'aws:kafka'`, self-managed
 *   `'SelfManagedKafka'`): `records['<topic>-<partition>'][]` with base64 `value`
 *   and `headers: [{ name: [bytes] }]`. A failure fails the invocation, so the
 *   whole batch is retried (Kafka has no partial batch response).
 * - Kinesis (`eventSource: 'aws:kinesis'`) and DynamoDB Streams
 *   (`'aws:dynamodb'`, dynamodb-streams.ts): a shard's records, in order; failures
 *   named by sequence number in `batchItemFailures`.
 */
import type { TriggerMessage } from './messages.js';
import type { TriggerBatch } from './trigger-batch.js';
import { dynamodbBatch } from './dynamodb-streams.js';

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The last part of an ARN (`arn:aws:sqs:eu-west-1:123456789012:orders` → `orders`). */
function arnName(arn: unknown): string {
  return typeof arn === 'string' ? (arn.split(':').pop() ?? '') : '';
}

function isoOfMillis(value: unknown): string | undefined {
  const millis = Number(value);
  return Number.isFinite(millis) && millis > 0 ? new Date(millis).toISOString() : undefined;
}

/** The messages of an SQS, SNS, Kinesis, DynamoDB Streams or Kafka trigger's event; undefined for any other event. */
export function detectTrigger(event: unknown): TriggerBatch | undefined {
  if (!isObject(event)) return undefined;
  const source = event['eventSource'];
  if ((source === 'aws:kafka' || source === 'SelfManagedKafka') && isObject(event['records'])) return kafkaBatch(source, event['records']);
  const records = event['Records'];
  if (!Array.isArray(records) || records.length === 0 || !records.every(isObject)) return undefined;
  if (records.every((record) => record['eventSource'] === 'aws:sqs')) return sqsBatch(records);
  if (records.every((record) => record['eventSource'] === 'aws:kinesis' && isObject(record['kinesis']))) return kinesisBatch(records);
  if (records.every((record) => record['eventSource'] === 'aws:dynamodb')) return dynamodbBatch(records);
  if (records.every((record) => record['EventSource'] === 'aws:sns' && isObject(record['Sns']))) {
    return { source: 'aws:sns', messages: records.map((record) => snsMessage(record['Sns'] as Fields)), failures: 'invocation', ordered: false };
  }
  return undefined;
}

function sqsBatch(records: Fields[]): TriggerBatch {
  const messages = records.map((record): TriggerMessage => {
    const attributes: Record<string, string> = {};
    const given = isObject(record['messageAttributes']) ? record['messageAttributes'] : {};
    for (const [name, value] of Object.entries(given)) {
      const stringValue = isObject(value) ? text(value['stringValue']) : undefined;
      if (stringValue !== undefined) attributes[name] = stringValue;
    }
    const sqs = isObject(record['attributes']) ? record['attributes'] : {};
    const message: TriggerMessage = { id: text(record['messageId']) ?? '', channel: arnName(record['eventSourceARN']), body: text(record['body']), attributes, at: isoOfMillis(sqs['SentTimestamp']) };
    return snsInSqs(message) ?? message;
  });
  const fifo = records.some((record) => arnName(record['eventSourceARN']).endsWith('.fifo'));
  return { source: 'aws:sqs', messages, failures: 'items', ordered: fifo };
}

/**
 * An SNS topic delivering to an SQS queue wraps each message in its notification's
 * JSON unless the subscription has raw message delivery: the notification's message,
 * attributes and topic are the message. The id stays the SQS message's (the one the
 * partial batch response names).
 */
function snsInSqs(message: TriggerMessage): TriggerMessage | undefined {
  if (message.body === undefined || !message.body.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.body);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || parsed['Type'] !== 'Notification' || typeof parsed['TopicArn'] !== 'string' || typeof parsed['Message'] !== 'string') return undefined;
  const { attributes, channel, body, at } = snsMessage(parsed);
  return { id: message.id, channel, body, attributes: { ...message.attributes, ...attributes }, at: at ?? message.at };
}

/** An SNS notification (a record's `Sns`, or the JSON an SQS queue receives). */
function snsMessage(sns: Fields): TriggerMessage {
  const attributes: Record<string, string> = {};
  const given = isObject(sns['MessageAttributes']) ? sns['MessageAttributes'] : {};
  for (const [name, value] of Object.entries(given)) {
    const stringValue = isObject(value) && value['Type'] !== 'Binary' ? text(value['Value']) : undefined;
    if (stringValue !== undefined) attributes[name] = stringValue;
  }
  return { id: text(sns['MessageId']) ?? '', channel: arnName(sns['TopicArn']), body: text(sns['Message']), attributes, at: text(sns['Timestamp']) };
}

/**
 * A Kinesis stream's records: base64 data, in the shard's order. A failed record is
 * named by its sequence number in `batchItemFailures` (with ReportBatchItemFailures,
 * Lambda resumes the shard from the first one named). Kinesis records carry no
 * attributes: the event is named by its body when that is a microlib event, else by
 * the stream.
 */
function kinesisBatch(records: Fields[]): TriggerBatch {
  const messages = records.map((record): TriggerMessage => {
    const kinesis = record['kinesis'] as Fields;
    const data = text(kinesis['data']);
    const seconds = Number(kinesis['approximateArrivalTimestamp']);
    return {
      id: text(kinesis['sequenceNumber']) ?? '',
      channel: arnName(record['eventSourceARN']).replace(/^stream\//, ''),
      body: data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8'),
      attributes: {},
      at: Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1_000).toISOString() : undefined,
    };
  });
  return { source: 'aws:kinesis', messages, failures: 'items', ordered: true, skipUnreadable: true };
}

function kafkaBatch(source: string, partitions: Fields): TriggerBatch {
  const messages: TriggerMessage[] = [];
  for (const [key, records] of Object.entries(partitions)) {
    if (!Array.isArray(records)) continue;
    for (const record of records) {
      if (!isObject(record)) continue;
      const topic = text(record['topic']) ?? key.replace(/-\d+$/, '');
      const value = text(record['value']);
      messages.push({
        id: `${topic}-${String(record['partition'])}@${String(record['offset'])}`,
        channel: topic,
        body: value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8'),
        attributes: kafkaHeaders(record['headers']),
        at: isoOfMillis(record['timestamp']),
      });
    }
  }
  return { source, messages, failures: 'invocation', ordered: true, skipUnreadable: true };
}

/** Kafka headers as the event source mapping sends them: `[{ name: [byte, ...] }, ...]`. */
function kafkaHeaders(headers: unknown): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (!Array.isArray(headers)) return attributes;
  for (const header of headers) {
    if (!isObject(header)) continue;
    for (const [name, bytes] of Object.entries(header)) {
      if (Array.isArray(bytes) && bytes.every((byte) => Number.isInteger(byte))) attributes[name] = Buffer.from(bytes as number[]).toString('utf8');
    }
  }
  return attributes;
}
