/**
 * Events of the triggers that hand a function messages, as AWS and Google document
 * them: SQS (with message attributes; a body an SNS topic wrapped), SNS, Kafka event
 * source mappings (MSK and self-managed, base64 values, byte-array headers), Kinesis
 * and DynamoDB stream records, a Pub/Sub message as a CloudEvent in binary mode
 * (headers ce-*), and any CloudEvent in binary or structured mode.
 */
import { createHash } from 'node:crypto';

export interface Message {
  id: string;
  body: string;
  attributes?: Record<string, string>;
}

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

export function sqsEvent(queue: string, messages: Message[]): Record<string, unknown> {
  return {
    Records: messages.map((message) => ({
      messageId: message.id,
      receiptHandle: `handle-${message.id}`,
      body: message.body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1764950400000', SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: '1764950400001' },
      messageAttributes: Object.fromEntries(Object.entries(message.attributes ?? {}).map(([name, value]) => [name, { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' }])),
      md5OfBody: '0'.repeat(32),
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue}`,
      awsRegion: REGION,
    })),
  };
}

/** The notification an SNS topic writes to an SQS queue subscribed without raw message delivery. */
export function snsEnvelope(topic: string, message: Message): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: `sns-${message.id}`,
    TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:${topic}`,
    Message: message.body,
    Timestamp: '2026-12-05T16:00:00.000Z',
    SignatureVersion: '1',
    MessageAttributes: Object.fromEntries(Object.entries(message.attributes ?? {}).map(([name, value]) => [name, { Type: 'String', Value: value }])),
  });
}

export function snsEvent(topic: string, message: Message): Record<string, unknown> {
  return {
    Records: [
      {
        EventVersion: '1.0',
        EventSubscriptionArn: `arn:aws:sns:${REGION}:${ACCOUNT}:${topic}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
        EventSource: 'aws:sns',
        Sns: { ...JSON.parse(snsEnvelope(topic, message)), MessageId: message.id },
      },
    ],
  };
}

export function kafkaEvent(topic: string, messages: Message[], source: 'aws:kafka' | 'SelfManagedKafka' = 'aws:kafka'): Record<string, unknown> {
  return {
    eventSource: source,
    ...(source === 'aws:kafka' ? { eventSourceArn: `arn:aws:kafka:${REGION}:${ACCOUNT}:cluster/events/abcd` } : {}),
    bootstrapServers: 'b-1.events.kafka.eu-west-1.amazonaws.com:9092',
    records: {
      [`${topic}-0`]: messages.map((message, offset) => ({
        topic,
        partition: 0,
        offset: Number(message.id),
        timestamp: 1764950400000 + offset,
        timestampType: 'CREATE_TIME',
        key: Buffer.from(`key-${message.id}`).toString('base64'),
        value: Buffer.from(message.body).toString('base64'),
        headers: Object.entries(message.attributes ?? {}).map(([name, value]) => ({ [name]: [...Buffer.from(value)] })),
      })),
    },
  };
}

/** A Kinesis stream's records; `message.id` is the sequence number (attributes are not carried: Kinesis has none). */
export function kinesisEvent(stream: string, messages: Message[]): Record<string, unknown> {
  return {
    Records: messages.map((message) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'parcels',
        sequenceNumber: message.id,
        data: Buffer.from(message.body).toString('base64'),
        approximateArrivalTimestamp: 1764950400.5,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${message.id}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/lambda-role`,
      awsRegion: REGION,
      eventSourceARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${stream}`,
    })),
  };
}

/** A Pub/Sub message as the HTTP request Eventarc sends a CloudEvent function (binary content mode). */
export function pubsubCloudEventRequest(project: string, topic: string, message: Message): { headers: Record<string, string>; body: string } {
  return {
    headers: {
      'content-type': 'application/json',
      'ce-id': message.id,
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-source': `//pubsub.googleapis.com/projects/${project}/topics/${topic}`,
      'ce-time': '2026-12-05T16:00:00.000Z',
    },
    body: JSON.stringify({
      message: { data: Buffer.from(message.body).toString('base64'), attributes: message.attributes ?? {}, messageId: message.id, publishTime: '2026-12-05T16:00:00.000Z' },
      subscription: `projects/${project}/subscriptions/${topic}-microlib`,
    }),
  };
}

/** One change of a DynamoDB stream record: images in DynamoDB's typed attribute values (`{ S: 'x' }`). */
export interface StreamChange {
  sequenceNumber: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  keys: Record<string, unknown>;
  newImage?: Record<string, unknown>;
  oldImage?: Record<string, unknown>;
  /** A REMOVE made by the table's Time to Live. */
  expired?: boolean;
}

/** A record's eventID (32 hex digits, as DynamoDB's), fixed by its sequence number. */
export const streamEventId = (sequenceNumber: string): string => createHash('md5').update(sequenceNumber).digest('hex');

/** A DynamoDB stream's records as Lambda's event source mapping hands them over (view type NEW_AND_OLD_IMAGES). */
export function dynamodbStreamEvent(table: string, changes: StreamChange[]): Record<string, unknown> {
  return {
    Records: changes.map((change) => ({
      eventID: streamEventId(change.sequenceNumber),
      eventName: change.eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: REGION,
      dynamodb: {
        ApproximateCreationDateTime: 1764950400,
        Keys: change.keys,
        ...(change.newImage ? { NewImage: change.newImage } : {}),
        ...(change.oldImage ? { OldImage: change.oldImage } : {}),
        SequenceNumber: change.sequenceNumber,
        SizeBytes: 59,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      ...(change.expired ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
      eventSourceARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}/stream/2026-12-05T16:00:00.000`,
    })),
  };
}

/** A CloudEvent's context attributes (extensions included) and its data. */
export interface CloudEventFixture {
  type: string;
  source: string;
  id: string;
  extensions?: Record<string, string>;
  /** The HTTP body in binary mode (with `contentType`); `data` in structured mode. */
  data: string;
  contentType: string;
}

/** The HTTP request of a CloudEvent in binary content mode: attributes in ce-* headers, data as the body. */
export function binaryCloudEventRequest(event: CloudEventFixture): { headers: Record<string, string>; body: string } {
  const extensions = Object.fromEntries(Object.entries(event.extensions ?? {}).map(([name, value]) => [`ce-${name}`, value]));
  return {
    headers: { 'content-type': event.contentType, 'ce-specversion': '1.0', 'ce-type': event.type, 'ce-source': event.source, 'ce-id': event.id, 'ce-time': '2026-12-05T16:00:00.000Z', ...extensions },
    body: event.data,
  };
}

/** The HTTP request of a CloudEvent in structured content mode: one JSON document; JSON data inline, other data as text. */
export function structuredCloudEventRequest(event: CloudEventFixture): { headers: Record<string, string>; body: string } {
  const json = /[/+]json\b/.test(event.contentType);
  return {
    headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' },
    body: JSON.stringify({
      specversion: '1.0', type: event.type, source: event.source, id: event.id, time: '2026-12-05T16:00:00.000Z', datacontenttype: event.contentType,
      ...event.extensions,
      data: json ? JSON.parse(event.data) : event.data,
    }),
  };
}
