/**
 * What a `KafkaBridge` is told and what it reports.
 *
 * @packageDocumentation
 */
import type { ConsumerConfig, KafkaConfig } from 'kafkajs';
import type { DomainEvent } from '../../../domain/events/domain-event.js';
import type { EventPattern } from '../../../domain/events/pattern.js';
import type { Logger } from '../../logging/logger.js';
import type { TimingSettingNames } from './session-timeout.js';

/** Options of `KafkaBridge`. */
export interface KafkaBridgeOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Kafka client id, shown in broker logs and metrics; usually the service name. */
  clientId: string;
  /**
   * Consumer group: one per service, NOT one per process. Replicas of a
   * service share it, so each event is handled once per service. Also sent as
   * a header so the service can recognise its own events (see {@link dropOwnGroup}).
   */
  groupId: string;
  /** Local events to send, in the broker's pattern syntax (exact name, `*` wildcards, RegExp). Empty: send nothing. */
  publish: readonly EventPattern[];
  /** Topics to consume. Empty: no consumer, the bridge only sends. */
  subscribe: readonly string[];
  /**
   * The topic of the default {@link topicOf}. Default `microlib-events`.
   * One shared topic is the practical default: a cluster that does not
   * auto-create topics (like most production clusters) needs only this one
   * provisioned, and every record's events stay in order on one partition.
   */
  topic?: string;
  /**
   * Chooses each outgoing event's topic. Default: always {@link topic}. See
   * `topicTemplate` for one topic per model or event; the topics must exist or
   * the cluster must auto-create them.
   */
  topicOf?: (event: DomainEvent) => string;
  logger: Logger;
  /**
   * Where a group with no committed offset starts: at the oldest retained
   * record (true) or at new records only (false, the default). Once the group
   * has committed, it always resumes from its commit.
   */
  fromBeginning?: boolean;
  /**
   * Drop incoming events sent by any member of this bridge's own group
   * (default true): the replica that published one already delivered it to
   * its local handlers, and the group is one service, so delivering it again
   * on another replica would handle it twice. false: only this process's own
   * records are dropped, so replicas also hear each other.
   */
  dropOwnGroup?: boolean;
  /** Identifies this process in the origin header. Default: host name, pid and a random suffix. */
  origin?: string;
  /** How many recent event ids are remembered to drop duplicates. Default 10 000. */
  dedupeWindow?: number;
  /** Most events waiting to be sent (Kafka down); beyond it the oldest are dropped and counted. Default 10 000. */
  maxQueued?: number;
  /** Largest serialised event sent; larger ones are logged and dropped. Default 1 000 000 bytes (Kafka's default limit). */
  maxEventBytes?: number;
  /** How long `KafkaBridge.start` waits for the first connection and group join. Default 30 s. */
  startTimeoutMs?: number;
  /** How long `KafkaBridge.stop` waits for queued events to be sent and for each client to disconnect. Default 10 s. */
  stopTimeoutMs?: number;
  /** Longest wait for local handlers of one incoming event before its offset is committed anyway. Default 60 s. */
  deliveryTimeoutMs?: number;
  /** Extra kafkajs client settings (TLS, SASL, timeouts, retry). */
  kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logCreator' | 'logLevel'>;
  /**
   * Extra kafkajs consumer settings (session timeout, heartbeat, fetch wait…).
   * A session timeout outside the brokers' `group.min.session.timeout.ms` ..
   * `group.max.session.timeout.ms` (stock Kafka: 6 000 .. 1 800 000 ms; kafkajs'
   * default is 30 000) makes them refuse the group join.
   */
  consumer?: Omit<ConsumerConfig, 'groupId'>;
  /** How the user sets the consumer's session timeout and heartbeat, named in warnings. Default: the kafkajs option names. */
  timingSettingNames?: TimingSettingNames;
}

/** Counters and state of a `KafkaBridge`, for the host's status API and tests. */
export interface KafkaBridgeStats {
  state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';
  origin: string;
  producer: 'off' | 'connecting' | 'connected' | 'disconnected';
  consumer: 'off' | 'connecting' | 'joined' | 'restarting' | 'stopped';
  /** Partitions of each topic this member consumes, as of its last group join. */
  assignment: Record<string, number[]>;
  /** Local events waiting to be sent. */
  queued: number;
  /** Events acknowledged by Kafka. */
  sent: number;
  /** Failed send attempts (the events stay queued and are retried). */
  sendFailures: number;
  /** Events never sent: queue overflow, too large, not serialisable, or rejected by Kafka. */
  dropped: number;
  /** Records consumed. */
  received: number;
  /** Incoming events published on the local broker. */
  delivered: number;
  /** Incoming events dropped because their id was seen recently. */
  duplicates: number;
  /** Incoming events dropped because this process or its group sent them. */
  ownSkipped: number;
  /** Records that were not a valid event (bad JSON, missing id or name). */
  invalid: number;
  lastError?: string;
}

/** What the bridge's sending and receiving sides read of it and tell it. */
export interface BridgeContext {
  readonly options: KafkaBridgeOptions;
  readonly logger: Logger;
  /** The bridge's state now. */
  state(): KafkaBridgeStats['state'];
  /** Remembers the latest problem, for {@link KafkaBridgeStats.lastError}. */
  noteError(reason: string): void;
}

/** Whether a bridge in `state` is started and not being stopped. */
export function isActive(state: KafkaBridgeStats['state']): boolean {
  return state === 'starting' || state === 'running';
}

/** Shortest and longest wait before retrying a failed connection or send. */
export const RETRY_MIN_MS = 500;
export const RETRY_MAX_MS = 30_000;

/** The bound of each stop phase and of giving up on a client. */
export function stopLimit(options: KafkaBridgeOptions): number {
  return options.stopTimeoutMs ?? 10_000;
}
