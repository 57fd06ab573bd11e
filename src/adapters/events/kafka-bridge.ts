/**
 * Carries domain events between hosts through Kafka: matching local events go
 * out on a topic, events on the subscribed topics come in and are published on
 * the local {@link EventBroker}.
 *
 * Guarantees: at-least-once on the wire, made idempotent for handlers by event
 * id; per-record order (records are keyed by their id); no echo loops.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import {
  Kafka,
  logLevel,
  Partitioners,
  type Consumer,
  type ConsumerConfig,
  type EachMessagePayload,
  type IHeaders,
  type KafkaConfig,
  type LogEntry,
  type Message,
  type Producer,
} from 'kafkajs';
import type { DomainEvent } from '../../domain/events/domain-event.js';
import type { EventBroker } from '../../domain/events/event-broker.js';
import { compilePattern, type EventPattern } from '../../domain/events/pattern.js';
import type { Logger } from '../logging/logger.js';
import { RecentIds } from './recent-ids.js';

/** The topic every event goes to unless {@link KafkaBridgeOptions.topicOf} says otherwise. */
export const DEFAULT_TOPIC = 'microlib-events';

/** Names of the headers the bridge writes on each record. */
export const HEADERS = {
  /** The event's id (also in the JSON value); lets tools filter without parsing. */
  eventId: 'microlib-event-id',
  /** The event's name. */
  eventName: 'microlib-event-name',
  /** The process that sent the record ({@link KafkaBridge.origin}). */
  origin: 'microlib-origin',
  /** The consumer group of the sending bridge, i.e. its service. */
  group: 'microlib-group',
} as const;

/** Options of {@link KafkaBridge}. */
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
   * The topic of the default {@link topicOf}. Default {@link DEFAULT_TOPIC}.
   * One shared topic is the practical default: a cluster that does not
   * auto-create topics (like most production clusters) needs only this one
   * provisioned, and every record's events stay in order on one partition.
   */
  topic?: string;
  /**
   * Chooses each outgoing event's topic. Default: always {@link topic}. See
   * {@link topicTemplate} for one topic per model or event; the topics must exist or
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
  /** How long {@link KafkaBridge.start} waits for the first connection and group join. Default 30 s. */
  startTimeoutMs?: number;
  /** How long {@link KafkaBridge.stop} waits for queued events to be sent and for each client to disconnect. Default 10 s. */
  stopTimeoutMs?: number;
  /** Longest wait for local handlers of one incoming event before its offset is committed anyway. Default 60 s. */
  deliveryTimeoutMs?: number;
  /** Extra kafkajs client settings (TLS, SASL, timeouts, retry). */
  kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logCreator' | 'logLevel'>;
  /** Extra kafkajs consumer settings (session timeout, heartbeat, fetch wait…). */
  consumer?: Omit<ConsumerConfig, 'groupId'>;
}

/** Counters and state of a {@link KafkaBridge}, for the host's status API and tests. */
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

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
const MAX_BATCH = 500;

/**
 * Topic naming per model or event: `{model}` and `{event}` in the template are
 * replaced (`host` for events of no model), e.g. `microlib.{model}` or
 * `orders.{event}`. Characters Kafka refuses become `_`. The topics must exist
 * (or the cluster must create them) and consumers list them in `subscribe`.
 */
export function topicTemplate(template: string): (event: DomainEvent) => string {
  return (event) =>
    template
      .replaceAll('{model}', event.modelName ?? 'host')
      .replaceAll('{event}', event.eventName)
      .replace(/[^a-zA-Z0-9._-]/g, '_')
      .slice(0, 249);
}

/**
 * Bridges one local {@link EventBroker} to Kafka.
 *
 * Outbound, local events matching {@link KafkaBridgeOptions.publish} are
 * queued (a local publish never waits for Kafka) and sent in order by one
 * long-lived idempotent producer with `acks: -1`, keyed by the record id.
 * Inbound, one consumer in {@link KafkaBridgeOptions.groupId} publishes each
 * event locally and only then lets its offset be committed, so a crash
 * replays events rather than losing them; replays and other duplicates are
 * dropped by event id. Events that came in are never sent out again.
 *
 * Connection problems are logged and retried in the background; they never
 * reject {@link start} or reach the local publisher.
 */
export class KafkaBridge {
  readonly #broker: EventBroker;
  readonly #options: KafkaBridgeOptions;
  readonly #logger: Logger;
  readonly #origin: string;
  readonly #topicOf: (event: DomainEvent) => string;
  readonly #seen: RecentIds;

  /** Event objects this bridge published locally: the outbound side must not send them back. */
  #inbound = new WeakSet<DomainEvent>();
  /** Every event object already queued, so overlapping publish patterns send it once. */
  #queuedEvents = new WeakSet<DomainEvent>();
  #state: KafkaBridgeStats['state'] = 'idle';
  #kafka: Kafka | undefined;
  #producer: Producer | undefined;
  #producerConnecting: Promise<boolean> | undefined;
  #consumer: Consumer | undefined;
  #producerState: KafkaBridgeStats['producer'] = 'off';
  #consumerState: KafkaBridgeStats['consumer'] = 'off';
  #assignment: Record<string, number[]> = {};
  #unsubscribes: (() => void)[] = [];
  #queue: { event: DomainEvent; topic: string; message: Message }[] = [];
  #draining: Promise<void> | undefined;
  #sendRetry: NodeJS.Timeout | undefined;
  #sendBackoff = RETRY_MIN_MS;
  /** Set after a batch is rejected outright, so the next tries isolate the bad event. */
  #batchLimit = MAX_BATCH;
  #consumerRestart: NodeJS.Timeout | undefined;
  #consumerBackoff = RETRY_MIN_MS;
  #joined: (() => void) | undefined;
  #counters = { sent: 0, sendFailures: 0, dropped: 0, received: 0, delivered: 0, duplicates: 0, ownSkipped: 0, invalid: 0 };
  #lastError: string | undefined;

  /**
   * @throws TypeError on an empty broker list, client id, group id or topic, or an invalid publish pattern.
   */
  constructor(broker: EventBroker, options: KafkaBridgeOptions) {
    if (!Array.isArray(options.brokers) || options.brokers.length === 0 || options.brokers.some((b) => typeof b !== 'string' || b.trim() === '')) {
      throw new TypeError('kafka bridge: brokers must be a non-empty list of host:port');
    }
    for (const key of ['clientId', 'groupId'] as const) {
      if (typeof options[key] !== 'string' || options[key].trim() === '') throw new TypeError(`kafka bridge: ${key} must be a non-empty string`);
    }
    if (options.topic !== undefined && (typeof options.topic !== 'string' || options.topic === '')) throw new TypeError('kafka bridge: topic must be a non-empty string');
    if (options.subscribe.some((t) => typeof t !== 'string' || t === '')) throw new TypeError('kafka bridge: subscribe must list non-empty topic names');
    // Compiled here only to fail at construction rather than at start.
    for (const pattern of options.publish) compilePattern(pattern);
    this.#broker = broker;
    this.#options = options;
    this.#logger = options.logger.child({ component: 'kafka-bridge' });
    this.#origin = options.origin ?? `${os.hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    const topic = options.topic ?? DEFAULT_TOPIC;
    this.#topicOf = options.topicOf ?? (() => topic);
    this.#seen = new RecentIds(Math.max(1, options.dedupeWindow ?? 10_000));
  }

  /** Started and not being stopped. */
  get #active(): boolean {
    return this.#state === 'starting' || this.#state === 'running';
  }

  /** Whether `consumer` is still the one this bridge runs. */
  #wanted(consumer: Consumer): boolean {
    return this.#active && consumer === this.#consumer;
  }

  /** This process's id in the origin header of the records it sends. */
  get origin(): string {
    return this.#origin;
  }

  /**
   * Subscribes to the local broker, connects the producer and joins the group.
   * Resolves when both are up or after `startTimeoutMs`, whichever is first;
   * failures are logged and retried in the background, never thrown. Calling
   * it while started does nothing; a stopped bridge can be started again.
   */
  async start(): Promise<void> {
    if (this.#active) return;
    if (this.#state === 'stopping') throw new Error('kafka bridge: start() called while stopping');
    this.#state = 'starting';
    const { brokers, clientId, groupId, publish, subscribe } = this.#options;
    this.#kafka = new Kafka({
      connectionTimeout: 3_000,
      retry: { initialRetryTime: 300, retries: 5, maxRetryTime: RETRY_MAX_MS },
      ...this.#options.kafka,
      brokers,
      clientId,
      logLevel: logLevel.INFO,
      logCreator: () => (entry) => this.#kafkaLog(entry),
    });
    const waits: Promise<unknown>[] = [];
    if (publish.length > 0) {
      const owner = `kafka-bridge:${this.#origin}`;
      this.#unsubscribes = publish.map((pattern) => this.#broker.subscribe(pattern, (event) => this.#enqueue(event), { owner }));
      this.#producer = this.#kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // Bounded so a send in flight at stop() ends; events stay queued between attempts anyway.
        retry: { initialRetryTime: 300, retries: 5, maxRetryTime: RETRY_MAX_MS, ...this.#options.kafka?.retry },
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.#producer.on(this.#producer.events.CONNECT, () => (this.#producerState = 'connected'));
      this.#producer.on(this.#producer.events.DISCONNECT, () => {
        if (this.#producerState !== 'off') this.#producerState = 'disconnected';
      });
      waits.push(this.#connectProducer());
    }
    if (subscribe.length > 0) {
      waits.push(new Promise<void>((resolve) => (this.#joined = resolve)));
      void this.#startConsumer();
    }
    const limit = this.#options.startTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limit)));
    const outcome = await Promise.race([Promise.all(waits), timedOut]);
    clearTimeout(timer);
    if (this.#state !== 'starting') return; // stopped meanwhile
    this.#state = 'running';
    if (outcome === 'timeout') {
      this.#logger.warn({ brokers, producer: this.#producerState, consumer: this.#consumerState }, `kafka bridge not ready after ${limit} ms; still trying in the background`);
    } else {
      this.#logger.info({ brokers, groupId, publish: publish.map(String), subscribe, origin: this.#origin }, 'kafka bridge started');
    }
    this.#kickSender();
  }

  /**
   * Stops sending and receiving: unsubscribes from the local broker, tries to
   * send what is queued, then disconnects both clients. Each phase is bounded
   * by `stopTimeoutMs`; events still unsent are logged as dropped.
   */
  async stop(): Promise<void> {
    if (!this.#active) return;
    this.#state = 'stopping';
    const limit = this.#options.stopTimeoutMs ?? 10_000;
    for (const unsubscribe of this.#unsubscribes) unsubscribe();
    this.#unsubscribes = [];
    clearTimeout(this.#consumerRestart);
    clearTimeout(this.#sendRetry);
    this.#sendRetry = undefined;
    this.#joined?.();
    this.#joined = undefined;

    // Flush: one more drain if the producer is up, bounded.
    const producer = this.#producer;
    if (producer && this.#queue.length > 0 && this.#producerState === 'connected') this.#kickSender(true);
    const flushed = await withTimeout(this.#draining ?? Promise.resolve(), limit);
    if (!flushed && this.#draining) {
      // A send still retrying would reconnect after our disconnect; disconnect again once it gives up.
      void this.#draining.finally(() => producer?.disconnect().catch(() => undefined));
    }
    // From here on a send still in flight no longer counts (see #drain).
    this.#producer = undefined;
    if (this.#queue.length > 0) {
      this.#counters.dropped += this.#queue.length;
      this.#logger.warn({ unsent: this.#queue.length }, 'kafka bridge stopped with events not sent to Kafka');
      this.#queue = [];
    }

    const consumer = this.#consumer;
    this.#consumer = undefined;
    await Promise.all([
      consumer && this.#disconnect(consumer, 'consumer', limit),
      producer && this.#disconnect(producer, 'producer', limit),
    ]);
    this.#kafka = undefined;
    this.#producerState = 'off';
    this.#consumerState = this.#options.subscribe.length > 0 ? 'stopped' : 'off';
    this.#assignment = {};
    this.#state = 'stopped';
    this.#logger.info({ ...this.#counters }, 'kafka bridge stopped');
  }

  /** A snapshot of the bridge's state and counters. */
  stats(): KafkaBridgeStats {
    const stats: KafkaBridgeStats = {
      state: this.#state,
      origin: this.#origin,
      producer: this.#producerState,
      consumer: this.#consumerState,
      assignment: structuredClone(this.#assignment),
      queued: this.#queue.length,
      ...this.#counters,
    };
    if (this.#lastError !== undefined) stats.lastError = this.#lastError;
    return stats;
  }

  // ---- outbound ----

  /** Broker handler: queues the event and returns at once, so a local publish never waits for Kafka. */
  #enqueue(event: DomainEvent): void {
    // Incoming events, and copies of them a handler re-published, must not go back out.
    if (this.#inbound.has(event) || this.#seen.has(event.id)) return;
    if (this.#queuedEvents.has(event)) return;
    this.#queuedEvents.add(event);
    let value: string;
    let topic: string;
    try {
      value = JSON.stringify(event);
      topic = this.#topicOf(event);
    } catch (error) {
      this.#drop(event, error, 'event cannot be serialised or has no topic');
      return;
    }
    const maxBytes = this.#options.maxEventBytes ?? 1_000_000;
    if (Buffer.byteLength(value) > maxBytes) {
      this.#drop(event, undefined, `event larger than ${maxBytes} bytes`);
      return;
    }
    const headers: IHeaders = {
      [HEADERS.eventId]: event.id,
      [HEADERS.eventName]: event.eventName,
      [HEADERS.origin]: this.#origin,
      [HEADERS.group]: this.#options.groupId,
      'content-type': 'application/json',
    };
    const maxQueued = Math.max(1, this.#options.maxQueued ?? 10_000);
    if (this.#queue.length >= maxQueued) {
      const [oldest] = this.#queue.splice(0, this.#queue.length - maxQueued + 1);
      if (oldest) this.#drop(oldest.event, undefined, `send queue full (${maxQueued}); oldest event dropped`);
    }
    this.#queue.push({ event, topic, message: { key: recordKey(event), value, headers } });
    this.#kickSender();
  }

  #drop(event: DomainEvent, error: unknown, reason: string): void {
    this.#counters.dropped++;
    // Logged at most once per 1000 drops: a long outage must not flood the log.
    if (this.#counters.dropped % 1000 === 1) {
      this.#logger.error({ err: error, eventId: event.id, event: event.eventName, dropped: this.#counters.dropped }, `kafka bridge dropped an event: ${reason}`);
    }
  }

  /** Starts a drain unless one runs or a retry is pending (`force` ignores the pending retry). */
  #kickSender(force = false): void {
    if (this.#draining || !this.#producer || this.#queue.length === 0) return;
    if (this.#sendRetry && !force) return;
    if (!this.#active && !(force && this.#state === 'stopping')) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#active && !this.#sendRetry) this.#kickSender();
    });
  }

  /** Sends queued events in order, one batch in flight; on failure keeps them and retries later. */
  async #drain(): Promise<void> {
    const producer = this.#producer;
    while (producer && this.#queue.length > 0 && producer === this.#producer) {
      if (this.#producerState !== 'connected') {
        if (!(await this.#connectProducer())) return; // it scheduled the retry
      }
      const batch = this.#queue.slice(0, this.#batchLimit);
      const byTopic = new Map<string, Message[]>();
      for (const item of batch) byTopic.set(item.topic, [...(byTopic.get(item.topic) ?? []), item.message]);
      try {
        await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      } catch (error) {
        // stop() gave up on this send and already counted the queue as dropped.
        if (producer !== this.#producer) return;
        this.#counters.sendFailures++;
        this.#lastError = reasonOf(error);
        if (isPermanent(error)) {
          // Kafka refused the content (e.g. too large for the topic): retrying cannot help.
          if (batch.length > 1) {
            this.#batchLimit = 1;
            continue;
          }
          this.#queue.shift();
          this.#drop(batch[0]!.event, error, 'rejected by Kafka');
          continue;
        }
        this.#logger.error({ err: error, queued: this.#queue.length }, `kafka bridge cannot send events (${reasonOf(error)}); retrying`);
        return this.#retrySendLater();
      }
      if (producer !== this.#producer) return;
      this.#queue.splice(0, batch.length);
      this.#counters.sent += batch.length;
      this.#sendBackoff = RETRY_MIN_MS;
      this.#batchLimit = MAX_BATCH;
    }
  }

  #retrySendLater(): void {
    if (!this.#active) return;
    clearTimeout(this.#sendRetry);
    this.#sendRetry = setTimeout(() => {
      this.#sendRetry = undefined;
      this.#kickSender();
    }, this.#sendBackoff);
    this.#sendRetry.unref();
    this.#sendBackoff = Math.min(RETRY_MAX_MS, this.#sendBackoff * 2);
  }

  /** Connects the producer, sharing an attempt under way; resolves false (logged, retry scheduled) on failure. */
  #connectProducer(): Promise<boolean> {
    this.#producerConnecting ??= this.#tryConnectProducer().finally(() => (this.#producerConnecting = undefined));
    return this.#producerConnecting;
  }

  async #tryConnectProducer(): Promise<boolean> {
    const producer = this.#producer;
    if (!producer) return false;
    this.#producerState = 'connecting';
    try {
      await producer.connect();
      return true;
    } catch (error) {
      if (producer !== this.#producer) return false;
      this.#producerState = 'disconnected';
      this.#lastError = reasonOf(error);
      this.#logger.error({ err: error, brokers: this.#options.brokers }, `kafka bridge producer cannot connect: ${reasonOf(error)}`);
      this.#retrySendLater();
      return false;
    }
  }

  // ---- inbound ----

  /** Creates, connects and runs a consumer; on failure schedules a restart. */
  async #startConsumer(): Promise<void> {
    const kafka = this.#kafka;
    if (!kafka || !this.#active) return;
    const consumer: Consumer = kafka.consumer({
      ...this.#options.consumer,
      groupId: this.#options.groupId,
      retry: {
        ...this.#options.consumer?.retry,
        // kafkajs restarts a crashed consumer by itself; only while this one is still wanted,
        // else a consumer we stopped during an outage would keep reconnecting forever.
        restartOnFailure: async () => this.#wanted(consumer),
      },
    });
    this.#consumer = consumer;
    this.#consumerState = 'connecting';
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (consumer !== this.#consumer) return;
      this.#consumerState = 'joined';
      this.#assignment = { ...payload.memberAssignment };
      this.#consumerBackoff = RETRY_MIN_MS;
      this.#logger.info({ groupId: payload.groupId, assignment: payload.memberAssignment }, 'kafka bridge joined its consumer group');
      this.#joined?.();
      this.#joined = undefined;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!this.#wanted(consumer)) return;
      this.#lastError = reasonOf(payload.error);
      if (payload.restart) {
        // kafkajs restarts it itself after a retriable error.
        this.#consumerState = 'restarting';
        this.#logger.warn({ err: payload.error }, `kafka bridge consumer crashed (${reasonOf(payload.error)}); kafkajs restarts it`);
      } else {
        this.#logger.error({ err: payload.error }, `kafka bridge consumer crashed (${reasonOf(payload.error)}); restarting it`);
        this.#restartConsumerLater();
      }
    });
    // stop() may come between any two steps; a consumer it already let go must not go on to join.
    const abandoned = () => {
      if (this.#wanted(consumer)) return false;
      void this.#disconnect(consumer, 'consumer', this.#options.stopTimeoutMs ?? 10_000);
      return true;
    };
    try {
      await consumer.connect();
      if (abandoned()) return;
      await consumer.subscribe({ topics: [...this.#options.subscribe], fromBeginning: this.#options.fromBeginning ?? false });
      if (abandoned()) return;
      await consumer.run({ eachMessage: (payload) => this.#receive(payload) });
      abandoned();
    } catch (error) {
      if (!this.#wanted(consumer)) return;
      this.#lastError = reasonOf(error);
      this.#logger.error({ err: error, brokers: this.#options.brokers, topics: this.#options.subscribe }, `kafka bridge consumer cannot start: ${reasonOf(error)}`);
      this.#restartConsumerLater();
    }
  }

  #restartConsumerLater(): void {
    this.#consumerState = 'restarting';
    clearTimeout(this.#consumerRestart);
    const delay = this.#consumerBackoff;
    this.#consumerBackoff = Math.min(RETRY_MAX_MS, this.#consumerBackoff * 2);
    const old = this.#consumer;
    this.#consumerRestart = setTimeout(() => {
      void (async () => {
        if (old) await this.#disconnect(old, 'consumer', this.#options.stopTimeoutMs ?? 10_000);
        if (this.#active && old === this.#consumer) await this.#startConsumer();
      })();
    }, delay);
    this.#consumerRestart.unref();
  }

  /**
   * Handles one record. Returning lets kafkajs commit its offset, so it returns
   * only after the local publish settled (or was given up on), and never throws.
   */
  async #receive({ topic, partition, message }: EachMessagePayload): Promise<void> {
    this.#counters.received++;
    const origin = header(message.headers, HEADERS.origin);
    if (origin === this.#origin || ((this.#options.dropOwnGroup ?? true) && header(message.headers, HEADERS.group) === this.#options.groupId)) {
      this.#counters.ownSkipped++;
      return;
    }
    const event = parseEvent(message.value, message.timestamp);
    if (typeof event === 'string') {
      this.#counters.invalid++;
      this.#logger.warn({ topic, partition, offset: message.offset, reason: event }, `kafka bridge skipped a record that is not an event: ${event}`);
      return;
    }
    if (this.#seen.has(event.id)) {
      this.#counters.duplicates++;
      return;
    }
    this.#seen.add(event.id);
    this.#inbound.add(event);
    const limit = this.#options.deliveryTimeoutMs ?? 60_000;
    const settled = await withTimeout(this.#broker.publish(event).catch(() => undefined), limit);
    if (!settled) {
      this.#logger.warn({ topic, partition, offset: message.offset, eventId: event.id, event: event.eventName }, `local handlers still running after ${limit} ms; moving on`);
    }
    this.#counters.delivered++;
  }

  // ---- shared ----

  async #disconnect(client: Producer | Consumer, what: string, limit: number): Promise<void> {
    const done = await withTimeout(
      client.disconnect().catch((error: unknown) => this.#logger.warn({ err: error }, `kafka bridge ${what} did not disconnect cleanly`)),
      limit,
    );
    if (!done) this.#logger.warn(`kafka bridge ${what} still disconnecting after ${limit} ms; giving up on it`);
  }

  /** kafkajs logs into ours: errors and warnings as such, its chatty info as debug. */
  #kafkaLog({ namespace, level, log }: LogEntry): void {
    const { message, timestamp: _timestamp, ...extra } = log;
    const fields = { kafka: namespace, ...extra };
    // Expected: we bound the idempotent producer's retries on purpose (see start()).
    if (level === logLevel.WARN && typeof message === 'string' && message.startsWith('Limiting retries for the idempotent producer')) return;
    if (level === logLevel.ERROR) this.#logger.error(fields, `kafka: ${message}`);
    else if (level === logLevel.WARN) this.#logger.warn(fields, `kafka: ${message}`);
    else this.#logger.debug(fields, `kafka: ${message}`);
  }
}

/** The record key: the id of the record the event is about, so its events share a partition and stay in order. */
function recordKey(event: DomainEvent): string | null {
  const data = event.data;
  if (data === null || typeof data !== 'object') return null;
  const id = (data as { id?: unknown }).id;
  if (!(typeof id === 'string' && id !== '') && !(typeof id === 'number' && Number.isFinite(id))) return null;
  return event.modelName === undefined ? String(id) : `${event.modelName}/${id}`;
}

/** Parses a record's value into a frozen event, or returns why it is not one. */
function parseEvent(value: Buffer | null, timestamp: string): DomainEvent | string {
  if (value === null) return 'empty record';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'not a JSON object';
  const fields = parsed as Record<string, unknown>;
  if (typeof fields.id !== 'string' || fields.id === '') return 'no string id';
  if (typeof fields.eventName !== 'string' || fields.eventName === '') return 'no string eventName';
  if (fields.modelName !== undefined && typeof fields.modelName !== 'string') return 'modelName is not a string';
  // Producers other than microlib may leave out the time; the record's own time stands in.
  const at = typeof fields.at === 'string' ? fields.at : new Date(Number(timestamp) || Date.now()).toISOString();
  return Object.freeze({ ...fields, id: fields.id, eventName: fields.eventName, at });
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** Whether a send failed because of the records themselves, not the connection or the cluster's state. */
function isPermanent(error: unknown): boolean {
  let cause: unknown = error;
  // kafkajs wraps the broker's answer in retry errors; the innermost cause tells.
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error && cause.name === 'KafkaJSProtocolError' && (cause as { retriable?: boolean }).retriable === false;
}

/** Waits for `promise` at most `ms`; resolves true if it settled in time. Never rejects. */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
