/**
 * The bridge's sending side: local events wait in a bounded queue (a local
 * publish never waits for Kafka) and one long-lived idempotent producer sends
 * them in order with `acks: -1`, one batch in flight, retrying with backoff.
 *
 * @packageDocumentation
 */
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { DomainEvent } from '../../../domain/events/domain-event.js';
import { withTimeout, isPermanent, reasonOf } from './bounded.js';
import { toRecord, type RecordSender } from './codec.js';
import { isActive, RETRY_MAX_MS, RETRY_MIN_MS, type BridgeContext, type KafkaBridgeStats } from './options.js';

const MAX_BATCH = 500;

/** Counters of the sending side (see {@link KafkaBridgeStats}). */
export interface OutboxCounts {
  sent: number;
  sendFailures: number;
  dropped: number;
}

/** The sending side of a Kafka bridge: its queue, its producer and their retries. */
export class Outbox {
  readonly counts: OutboxCounts = { sent: 0, sendFailures: 0, dropped: 0 };
  #producer: Producer | undefined;
  #producerConnecting: Promise<boolean> | undefined;
  #producerState: KafkaBridgeStats['producer'] = 'off';
  #queue: { event: DomainEvent; topic: string; message: Message }[] = [];
  #draining: Promise<void> | undefined;
  #sendRetry: NodeJS.Timeout | undefined;
  #sendBackoff = RETRY_MIN_MS;
  /** Set after a batch is rejected outright, so the next tries isolate the bad event. */
  #batchLimit = MAX_BATCH;

  constructor(
    private readonly context: BridgeContext,
    private readonly sender: RecordSender,
    private readonly topicOf: (event: DomainEvent) => string,
  ) {}

  get producerState(): KafkaBridgeStats['producer'] {
    return this.#producerState;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Makes the producer and starts connecting it; resolves whether the first attempt succeeded. */
  open(kafka: Kafka): Promise<boolean> {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Bounded so a send in flight at stop() ends; events stay queued between attempts anyway.
      retry: { initialRetryTime: 300, retries: 5, maxRetryTime: RETRY_MAX_MS, ...this.context.options.kafka?.retry },
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.#producer = producer;
    producer.on(producer.events.CONNECT, () => (this.#producerState = 'connected'));
    producer.on(producer.events.DISCONNECT, () => {
      if (this.#producerState !== 'off') this.#producerState = 'disconnected';
    });
    return this.#connectProducer();
  }

  /** Queues a local event and returns at once (it runs inside the local publish). */
  enqueue(event: DomainEvent): void {
    let value: string;
    let topic: string;
    try {
      value = JSON.stringify(event);
      topic = this.topicOf(event);
    } catch (error) {
      this.#drop(event, error, 'event cannot be serialised or has no topic');
      return;
    }
    const { options } = this.context;
    const maxBytes = options.maxEventBytes ?? 1_000_000;
    if (Buffer.byteLength(value) > maxBytes) {
      this.#drop(event, undefined, `event larger than ${maxBytes} bytes`);
      return;
    }
    const maxQueued = Math.max(1, options.maxQueued ?? 10_000);
    if (this.#queue.length >= maxQueued) {
      const [oldest] = this.#queue.splice(0, this.#queue.length - maxQueued + 1);
      if (oldest) this.#drop(oldest.event, undefined, `send queue full (${maxQueued}); oldest event dropped`);
    }
    this.#queue.push({ event, topic, message: toRecord(event, value, this.sender) });
    this.kick();
  }

  /** Starts a drain unless one runs or a retry is pending (`force` ignores the pending retry). */
  kick(force = false): void {
    if (this.#draining || !this.#producer || this.#queue.length === 0) return;
    if (this.#sendRetry && !force) return;
    if (!isActive(this.context.state()) && !(force && this.context.state() === 'stopping')) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (isActive(this.context.state()) && !this.#sendRetry) this.kick();
    });
  }

  /** First step of stopping: no retry is pending any more. */
  halt(): void {
    clearTimeout(this.#sendRetry);
    this.#sendRetry = undefined;
  }

  /**
   * Sends what is queued if the producer is up, waiting at most `limit`;
   * counts what stays unsent as dropped, and lets go of the producer, which
   * it returns for the caller to disconnect.
   */
  async flush(limit: number): Promise<Producer | undefined> {
    const producer = this.#producer;
    if (producer && this.#queue.length > 0 && this.#producerState === 'connected') this.kick(true);
    const flushed = await withTimeout(this.#draining ?? Promise.resolve(), limit);
    if (!flushed && this.#draining) {
      // A send still retrying would reconnect after our disconnect; disconnect again once it gives up.
      void this.#draining.finally(() => producer?.disconnect().catch(() => undefined));
    }
    // From here on a send still in flight no longer counts (see #drain).
    this.#producer = undefined;
    if (this.#queue.length > 0) {
      this.counts.dropped += this.#queue.length;
      this.context.logger.warn({ unsent: this.#queue.length }, 'kafka bridge stopped with events not sent to Kafka');
      this.#queue = [];
    }
    return producer;
  }

  /** Last step of stopping, once the producer is disconnected. */
  off(): void {
    this.#producerState = 'off';
  }

  #drop(event: DomainEvent, error: unknown, reason: string): void {
    this.counts.dropped++;
    // Logged at most once per 1000 drops: a long outage must not flood the log.
    if (this.counts.dropped % 1000 === 1) {
      this.context.logger.error({ err: error, eventId: event.id, event: event.eventName, dropped: this.counts.dropped }, `kafka bridge dropped an event: ${reason}`);
    }
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
        this.counts.sendFailures++;
        this.context.noteError(reasonOf(error));
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
        this.context.logger.error({ err: error, queued: this.#queue.length }, `kafka bridge cannot send events (${reasonOf(error)}); retrying`);
        return this.#retrySendLater();
      }
      if (producer !== this.#producer) return;
      this.#queue.splice(0, batch.length);
      this.counts.sent += batch.length;
      this.#sendBackoff = RETRY_MIN_MS;
      this.#batchLimit = MAX_BATCH;
    }
  }

  #retrySendLater(): void {
    if (!isActive(this.context.state())) return;
    clearTimeout(this.#sendRetry);
    this.#sendRetry = setTimeout(() => {
      this.#sendRetry = undefined;
      this.kick();
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
      this.context.noteError(reasonOf(error));
      this.context.logger.error({ err: error, brokers: this.context.options.brokers }, `kafka bridge producer cannot connect: ${reasonOf(error)}`);
      this.#retrySendLater();
      return false;
    }
  }
}
