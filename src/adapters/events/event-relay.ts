/**
 * The part of every event transport that is about events rather than wires:
 * which local events leave the host (the shared patterns, `EVENTS_SHARE`),
 * that events from other hosts are never sent back out, and that an event
 * arriving twice is delivered once.
 *
 * @packageDocumentation
 */
import type { DomainEvent } from '../../domain/events/domain-event.js';
import type { EventBroker } from '../../domain/events/event-broker.js';
import { compilePattern, type EventPattern } from '../../domain/events/pattern.js';
import { RecentIds } from './recent-ids.js';

/** Options of {@link EventRelay}. */
export interface EventRelayOptions {
  broker: EventBroker;
  /** Local events that leave the host, in the broker's pattern syntax. Empty: none. */
  share: readonly EventPattern[];
  /** Owner of the relay's subscriptions on the broker (shown in its error reports). */
  owner: string;
  /** How many ids of received events are remembered to drop duplicates and echoes. */
  rememberIds: number;
}

/**
 * Between the local broker and one transport. Each transport has its own
 * relay: an event one transport brought in may still leave through another
 * (a host on both Kafka and the webswitch bridges them).
 */
export class EventRelay {
  readonly #options: EventRelayOptions;
  /** Ids of events that came from other hosts: delivered once, never sent back out. */
  readonly #received: RecentIds;
  /** The received event objects themselves, still recognised once their id left {@link #received}. */
  readonly #receivedEvents = new WeakSet<DomainEvent>();
  /** Every event object handed out, so overlapping patterns send it once. */
  readonly #sentEvents = new WeakSet<DomainEvent>();
  #unsubscribes: Array<() => void> = [];

  /** @throws TypeError on an invalid shared pattern (here rather than at {@link open}). */
  constructor(options: EventRelayOptions) {
    for (const pattern of options.share) compilePattern(pattern);
    this.#options = options;
    this.#received = new RecentIds(Math.max(1, options.rememberIds));
  }

  /** Whether any local event can leave (some pattern is shared). */
  get sharing(): boolean {
    return this.#options.share.length > 0;
  }

  /**
   * Hands each shared local event to `send`, once per event, never one that
   * came from another host (nor a copy of it a handler published again).
   * `send` runs inside the local publish, so it must not wait.
   */
  open(send: (event: DomainEvent) => void): void {
    this.close();
    const { broker, owner } = this.#options;
    this.#unsubscribes = this.#options.share.map((pattern) =>
      broker.subscribe(pattern, (event) => {
        if (this.#receivedEvents.has(event) || this.#received.has(event.id) || this.#sentEvents.has(event)) return;
        this.#sentEvents.add(event);
        send(event);
      }, { owner }),
    );
  }

  /** Stops handing out local events. */
  close(): void {
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
  }

  /**
   * An event from another host. A duplicate (its id was seen recently) is
   * dropped: `false`. Otherwise it is published on the local broker; the
   * promise settles once the local handlers have (it never rejects).
   */
  deliver(event: DomainEvent): false | Promise<void> {
    if (!this.#received.add(event.id)) return false;
    this.#receivedEvents.add(event);
    return this.#options.broker.publish(event).then(
      () => undefined,
      () => undefined,
    );
  }
}
