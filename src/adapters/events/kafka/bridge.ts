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
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { EventBroker } from '../../../domain/events/event-broker.js';
import type { Logger } from '../../logging/logger.js';
import type { EventTransport } from '../event-transport.js';
import { EventRelay } from '../event-relay.js';
import { disconnectWithin } from './bounded.js';
import { DEFAULT_TOPIC, type RecordSender } from './codec.js';
import { Inbox } from './inbox.js';
import { isActive, RETRY_MAX_MS, stopLimit, type BridgeContext, type KafkaBridgeOptions, type KafkaBridgeStats } from './options.js';
import { Outbox } from './outbox.js';
import { CONSUMER_OPTION_NAMES, consumerTimings, timingWarnings } from './session-timeout.js';

/**
 * Bridges one local {@link EventBroker} to Kafka.
 *
 * Outbound, local events matching {@link KafkaBridgeOptions.publish} are
 * queued (a local publish never waits for Kafka) and sent in order by one
 * long-lived idempotent producer with `acks: -1`, keyed by the record id
 * ({@link Outbox}). Inbound, one consumer in {@link KafkaBridgeOptions.groupId}
 * publishes each event locally and only then lets its offset be committed
 * ({@link Inbox}). Replays and other duplicates are dropped by event id, and
 * events that came in are never sent out again ({@link EventRelay}).
 *
 * Connection problems are logged and retried in the background; they never
 * reject {@link start} or reach the local publisher.
 */
export class KafkaBridge implements EventTransport {
  readonly name = 'kafka';
  readonly #options: KafkaBridgeOptions;
  readonly #logger: Logger;
  readonly #sender: RecordSender;
  readonly #relay: EventRelay;
  readonly #outbox: Outbox;
  readonly #inbox: Inbox;
  #state: KafkaBridgeStats['state'] = 'idle';
  #lastError: string | undefined;

  /**
   * @throws TypeError on an empty broker list, client id, group id or topic, an invalid publish
   * pattern, or a consumer heartbeat interval not below its session timeout (kafkajs refuses it).
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
    const { sessionTimeoutMs, heartbeatIntervalMs } = consumerTimings(options.consumer);
    if (options.subscribe.length > 0 && heartbeatIntervalMs >= sessionTimeoutMs) {
      throw new TypeError(`kafka bridge: the consumer's heartbeat interval (${heartbeatIntervalMs} ms) must be below its session timeout (${sessionTimeoutMs} ms)`);
    }
    this.#options = options;
    this.#logger = options.logger.child({ component: 'kafka-bridge' });
    const origin = options.origin ?? `${os.hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.#sender = { origin, groupId: options.groupId };
    this.#relay = new EventRelay({ broker, share: options.publish, owner: `kafka-bridge:${origin}`, rememberIds: options.dedupeWindow ?? 10_000 });
    const context: BridgeContext = {
      options,
      logger: this.#logger,
      state: () => this.#state,
      noteError: (reason) => (this.#lastError = reason),
    };
    const topic = options.topic ?? DEFAULT_TOPIC;
    this.#outbox = new Outbox(context, this.#sender, options.topicOf ?? (() => topic));
    this.#inbox = new Inbox(context, this.#sender, this.#relay);
  }

  /** This process's id in the origin header of the records it sends. */
  get origin(): string {
    return this.#sender.origin;
  }

  /**
   * Subscribes to the local broker, connects the producer and joins the group.
   * Resolves when both are up or after `startTimeoutMs`, whichever is first;
   * failures are logged and retried in the background, never thrown. Calling
   * it while started does nothing; a stopped bridge can be started again.
   * Nothing needs to wait for it: events published meanwhile are queued.
   */
  async start(): Promise<void> {
    if (this.#active) return;
    if (this.#state === 'stopping') throw new Error('kafka bridge: start() called while stopping');
    this.#state = 'starting';
    const { brokers, clientId, groupId, publish, subscribe } = this.#options;
    if (subscribe.length > 0) {
      for (const warning of timingWarnings(this.#options.consumer, this.#options.timingSettingNames ?? CONSUMER_OPTION_NAMES)) this.#logger.warn({ groupId }, warning);
    }
    const kafka = new Kafka({
      connectionTimeout: 3_000,
      retry: { initialRetryTime: 300, retries: 5, maxRetryTime: RETRY_MAX_MS },
      ...this.#options.kafka,
      brokers,
      clientId,
      logLevel: logLevel.INFO,
      logCreator: () => (entry) => this.#kafkaLog(entry),
    });
    const waits: Promise<unknown>[] = [];
    if (this.#relay.sharing) {
      this.#relay.open((event) => this.#outbox.enqueue(event));
      waits.push(this.#outbox.open(kafka));
    }
    if (subscribe.length > 0) waits.push(this.#inbox.open(kafka));
    const limit = this.#options.startTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    // Unref'd: a host that stops before Kafka answered must not stay up for this timer.
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limit).unref()));
    const outcome = await Promise.race([Promise.all(waits), timedOut]);
    clearTimeout(timer);
    if (this.#state !== 'starting') return; // stopped meanwhile
    this.#state = 'running';
    if (outcome === 'timeout') {
      this.#logger.warn({ brokers, producer: this.#outbox.producerState, consumer: this.#inbox.consumerState }, `kafka bridge not ready after ${limit} ms; still trying in the background`);
    } else {
      this.#logger.info({ brokers, groupId, publish: publish.map(String), subscribe, origin: this.origin }, 'kafka bridge started');
    }
    this.#outbox.kick();
  }

  /**
   * Stops sending and receiving: unsubscribes from the local broker, tries to
   * send what is queued, then disconnects both clients. Each phase is bounded
   * by `stopTimeoutMs`; events still unsent are logged as dropped.
   */
  async stop(): Promise<void> {
    if (!this.#active) return;
    this.#state = 'stopping';
    const limit = stopLimit(this.#options);
    this.#relay.close();
    this.#inbox.halt();
    this.#outbox.halt();
    const producer = await this.#outbox.flush(limit);
    const consumer = this.#inbox.detach();
    await Promise.all([
      consumer && disconnectWithin(consumer, 'consumer', limit, this.#logger),
      producer && disconnectWithin(producer, 'producer', limit, this.#logger),
    ]);
    this.#outbox.off();
    this.#inbox.off();
    this.#state = 'stopped';
    this.#logger.info({ ...this.#outbox.counts, ...this.#inbox.counts }, 'kafka bridge stopped');
  }

  /** A snapshot of the bridge's state and counters. */
  stats(): KafkaBridgeStats {
    const stats: KafkaBridgeStats = {
      state: this.#state,
      origin: this.origin,
      producer: this.#outbox.producerState,
      consumer: this.#inbox.consumerState,
      assignment: this.#inbox.assignment,
      queued: this.#outbox.queued,
      ...this.#outbox.counts,
      ...this.#inbox.counts,
    };
    if (this.#lastError !== undefined) stats.lastError = this.#lastError;
    return stats;
  }

  /** Started and not being stopped. */
  get #active(): boolean {
    return isActive(this.#state);
  }

  /** kafkajs logs into ours: errors and warnings as such, its chatty info as debug. */
  #kafkaLog({ namespace, level, log }: LogEntry): void {
    const { message, timestamp: _timestamp, ...extra } = log;
    const fields = { kafka: namespace, ...extra };
    // Expected: we bound the idempotent producer's retries on purpose (see Outbox.open).
    if (level === logLevel.WARN && typeof message === 'string' && message.startsWith('Limiting retries for the idempotent producer')) return;
    // The broker refusing our session timeout: the Inbox says it once, with what to change; kafkajs repeats it on every retry.
    if (level === logLevel.ERROR && /group\.(min|max)\.session\.timeout\.ms/.test(`${message} ${String(extra.error ?? '')}`)) this.#logger.debug(fields, `kafka: ${message}`);
    else if (level === logLevel.ERROR) this.#logger.error(fields, `kafka: ${message}`);
    else if (level === logLevel.WARN) this.#logger.warn(fields, `kafka: ${message}`);
    else this.#logger.debug(fields, `kafka: ${message}`);
  }
}
