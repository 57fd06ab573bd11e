/**
 * Events of the triggers that hand a function messages, as AWS and Google document
 * them: SQS (with message attributes; a body an SNS topic wrapped), SNS, Kafka event
 * source mappings (MSK and self-managed, base64 values, byte-array headers), and a
 * Pub/Sub message as a CloudEvent in binary mode (headers ce-*).
 */
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
