/**
 * The Kafka settings a host is configured with (`KAFKA_*`), and the bridge
 * options they make. Declared here so this adapter needs nothing from the
 * configuration layer; the host's parsed configuration fits this shape.
 *
 * @packageDocumentation
 */
import type { Logger } from '../../logging/logger.js';
import { topicTemplate } from './codec.js';
import type { KafkaBridgeOptions } from './options.js';

/** A host's Kafka settings. */
export interface KafkaTransportOptions {
  brokers: string[];
  clientId: string;
  /** One consumer group per service (not per process), so replicas share the work and never replay it all. */
  groupId: string;
  /** The topic events go to, or a template naming one per model or event (`microlib.{model}`). */
  topic: string;
  /** Topics consumed into the local broker (none: publish only). */
  subscribe: string[];
  fromBeginning: boolean;
  /** Within the brokers' group.min/max.session.timeout.ms (stock Kafka: 6 000..1 800 000), or they refuse the group join. */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  fetchMaxWaitMs: number;
  /** After this long without a connection and group join, a warning says Kafka is not ready yet (nothing waits for it). */
  startTimeoutMs: number;
}

/** The bridge options of a host sharing the local events matching `share`. */
export function kafkaBridgeOptions(kafka: KafkaTransportOptions, share: readonly string[], logger: Logger): KafkaBridgeOptions {
  return {
    brokers: kafka.brokers,
    clientId: kafka.clientId,
    groupId: kafka.groupId,
    topic: kafka.topic,
    ...(kafka.topic.includes('{') ? { topicOf: topicTemplate(kafka.topic) } : {}),
    publish: share,
    subscribe: kafka.subscribe,
    fromBeginning: kafka.fromBeginning,
    startTimeoutMs: kafka.startTimeoutMs,
    consumer: { sessionTimeout: kafka.sessionTimeoutMs, heartbeatInterval: kafka.heartbeatIntervalMs, maxWaitTimeInMs: kafka.fetchMaxWaitMs },
    timingSettingNames: { sessionTimeout: 'KAFKA_SESSION_TIMEOUT_MS', heartbeatInterval: 'KAFKA_HEARTBEAT_INTERVAL_MS' },
    logger,
  };
}
