/**
 * What every trigger (AWS's, Pub/Sub, other CloudEvents) hands the deliverer: its
 * messages, and how the platform wants their failures answered.
 */
import type { TriggerMessage } from './messages.js';

/** A trigger's messages and how its failures are answered. */
export interface TriggerBatch {
  /** The event source, for logs: `aws:sqs`, `aws:sns`, `aws:kinesis`, `aws:dynamodb`, `aws:kafka`, `SelfManagedKafka`, `google:pubsub`, `cloudevent`. */
  source: string;
  messages: TriggerMessage[];
  /** `items`: answer `{ batchItemFailures }` (SQS, Kinesis, DynamoDB); `invocation`: throw, so the platform retries the batch. */
  failures: 'items' | 'invocation';
  /** Order matters (a FIFO queue, a Kafka partition): after a failure, the later messages are not delivered and fail too. */
  ordered: boolean;
  /**
   * A message that can never be read (a body that is not JSON, a DynamoDB record it cannot map) is logged and skipped instead of failing.
   * Kafka, Kinesis, DynamoDB Streams: a failed batch is retried until its records expire, so one unreadable record would hold
   * up its partition or shard (the server's Kafka bridge skips such records too). Queues that fail a message
   * move it to their dead-letter destination instead.
   */
  skipUnreadable?: boolean;
}
