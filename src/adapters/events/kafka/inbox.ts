/**
 * The bridge's receiving side: one consumer in the bridge's group publishes
 * each incoming event on the local broker and only then lets its offset be
 * committed, so a crash replays events rather than losing them; the relay
 * drops the replays. A consumer that fails is restarted with backoff.
 *
 * @packageDocumentation
 */
import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import type { EventRelay } from '../event-relay.js';
import { disconnectWithin, reasonOf, withTimeout } from './bounded.js';
import { fromRecord, sentBy, type RecordSender } from './codec.js';
import { isActive, RETRY_MAX_MS, RETRY_MIN_MS, stopLimit, type BridgeContext, type KafkaBridgeStats } from './options.js';
import { CONSUMER_OPTION_NAMES, consumerTimings, isSessionTimeoutRefusal, sessionTimeoutRefusal } from './session-timeout.js';

/** Counters of the receiving side (see {@link KafkaBridgeStats}). */
export interface InboxCounts {
  received: number;
  delivered: number;
  duplicates: number;
  ownSkipped: number;
  invalid: number;
}

/** The receiving side of a Kafka bridge: its consumer, the consumer's restarts, and each record's handling. */
export class Inbox {
  readonly counts: InboxCounts = { received: 0, delivered: 0, duplicates: 0, ownSkipped: 0, invalid: 0 };
  #kafka: Kafka | undefined;
  #consumer: Consumer | undefined;
  #consumerState: KafkaBridgeStats['consumer'] = 'off';
  #assignment: Record<string, number[]> = {};
  #consumerRestart: NodeJS.Timeout | undefined;
  #consumerBackoff = RETRY_MIN_MS;
  #joined: (() => void) | undefined;
  /** The broker's refusal of our session timeout was logged; it is not repeated on every retry, until a join succeeds. */
  #refusalLogged = false;

  constructor(
    private readonly context: BridgeContext,
    private readonly sender: RecordSender,
    private readonly relay: EventRelay,
  ) {}

  get consumerState(): KafkaBridgeStats['consumer'] {
    return this.#consumerState;
  }

  /** Partitions of each topic this member consumes, as of its last group join (a copy). */
  get assignment(): Record<string, number[]> {
    return structuredClone(this.#assignment);
  }

  /** Starts a consumer in the background; resolves on its first group join (or when stopping begins). */
  open(kafka: Kafka): Promise<void> {
    this.#kafka = kafka;
    const joined = new Promise<void>((resolve) => (this.#joined = resolve));
    void this.#startConsumer();
    return joined;
  }

  /** First step of stopping: no restart is pending, and nobody waits for a join. */
  halt(): void {
    clearTimeout(this.#consumerRestart);
    this.#joined?.();
    this.#joined = undefined;
  }

  /** Lets go of the consumer, which it returns for the caller to disconnect. */
  detach(): Consumer | undefined {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    this.#kafka = undefined;
    return consumer;
  }

  /** Last step of stopping, once the consumer is disconnected. */
  off(): void {
    this.#consumerState = this.context.options.subscribe.length > 0 ? 'stopped' : 'off';
    this.#assignment = {};
  }

  /** Whether `consumer` is still the one this bridge runs. */
  #wanted(consumer: Consumer): boolean {
    return isActive(this.context.state()) && consumer === this.#consumer;
  }

  /** Creates, connects and runs a consumer; on failure schedules a restart. */
  async #startConsumer(): Promise<void> {
    const kafka = this.#kafka;
    if (!kafka || !isActive(this.context.state())) return;
    const { options, logger } = this.context;
    const consumer: Consumer = kafka.consumer({
      ...options.consumer,
      groupId: options.groupId,
      retry: {
        ...options.consumer?.retry,
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
      this.#refusalLogged = false;
      logger.info({ groupId: payload.groupId, assignment: payload.memberAssignment }, 'kafka bridge joined its consumer group');
      this.#joined?.();
      this.#joined = undefined;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!this.#wanted(consumer)) return;
      this.context.noteError(reasonOf(payload.error));
      const refused = this.#refused(payload.error);
      if (payload.restart) {
        // kafkajs restarts it itself after a retriable error.
        this.#consumerState = 'restarting';
        if (!refused) logger.warn({ err: payload.error }, `kafka bridge consumer crashed (${reasonOf(payload.error)}); kafkajs restarts it`);
      } else {
        if (!refused) logger.error({ err: payload.error }, `kafka bridge consumer crashed (${reasonOf(payload.error)}); restarting it`);
        this.#restartConsumerLater();
      }
    });
    // stop() may come between any two steps; a consumer it already let go must not go on to join.
    const abandoned = () => {
      if (this.#wanted(consumer)) return false;
      void disconnectWithin(consumer, 'consumer', stopLimit(options), logger);
      return true;
    };
    try {
      await consumer.connect();
      if (abandoned()) return;
      await consumer.subscribe({ topics: [...options.subscribe], fromBeginning: options.fromBeginning ?? false });
      if (abandoned()) return;
      await consumer.run({ eachMessage: (payload) => this.#receive(payload) });
      abandoned();
    } catch (error) {
      if (!this.#wanted(consumer)) return;
      this.context.noteError(reasonOf(error));
      if (!this.#refused(error)) logger.error({ err: error, brokers: options.brokers, topics: options.subscribe }, `kafka bridge consumer cannot start: ${reasonOf(error)}`);
      this.#restartConsumerLater();
    }
  }

  /**
   * Whether `error` is the broker refusing our session timeout; if so, says so
   * once (what was sent, which broker setting, what to change), then only at
   * debug level while the retries meet the same answer.
   */
  #refused(error: unknown): boolean {
    if (!isSessionTimeoutRefusal(error)) return false;
    const { options, logger } = this.context;
    const { sessionTimeoutMs } = consumerTimings(options.consumer);
    const message = sessionTimeoutRefusal(options.groupId, sessionTimeoutMs, options.timingSettingNames ?? CONSUMER_OPTION_NAMES);
    const fields = { groupId: options.groupId, sessionTimeoutMs, brokerSettings: ['group.min.session.timeout.ms', 'group.max.session.timeout.ms'] };
    if (this.#refusalLogged) logger.debug(fields, message);
    else logger.error(fields, message);
    this.#refusalLogged = true;
    return true;
  }

  #restartConsumerLater(): void {
    this.#consumerState = 'restarting';
    clearTimeout(this.#consumerRestart);
    const delay = this.#consumerBackoff;
    this.#consumerBackoff = Math.min(RETRY_MAX_MS, this.#consumerBackoff * 2);
    const old = this.#consumer;
    this.#consumerRestart = setTimeout(() => {
      void (async () => {
        if (old) await disconnectWithin(old, 'consumer', stopLimit(this.context.options), this.context.logger);
        if (isActive(this.context.state()) && old === this.#consumer) await this.#startConsumer();
      })();
    }, delay);
    this.#consumerRestart.unref();
  }

  /**
   * Handles one record. Returning lets kafkajs commit its offset, so it returns
   * only after the local publish settled (or was given up on), and never throws.
   */
  async #receive({ topic, partition, message }: EachMessagePayload): Promise<void> {
    this.counts.received++;
    const { options, logger } = this.context;
    if (sentBy(message, this.sender, options.dropOwnGroup ?? true)) {
      this.counts.ownSkipped++;
      return;
    }
    const event = fromRecord(message);
    if (typeof event === 'string') {
      this.counts.invalid++;
      logger.warn({ topic, partition, offset: message.offset, reason: event }, `kafka bridge skipped a record that is not an event: ${event}`);
      return;
    }
    const delivery = this.relay.deliver(event);
    if (delivery === false) {
      this.counts.duplicates++;
      return;
    }
    const limit = options.deliveryTimeoutMs ?? 60_000;
    if (!(await withTimeout(delivery, limit))) {
      logger.warn({ topic, partition, offset: message.offset, eventId: event.id, event: event.eventName }, `local handlers still running after ${limit} ms; moving on`);
    }
    this.counts.delivered++;
  }
}
