/**
 * A cluster worker's bridge between its local event broker and the WebSocket
 * stream of every worker. The stream's clients see this worker's events and,
 * relayed by the primary, the other workers' ones. Events are taken from the
 * local broker only for patterns someone subscribed to (this worker's clients,
 * or the other workers' ones as the primary tells), so a write whose event
 * nobody streams builds no event and sends nothing over IPC, as in one process.
 */
import { EventBroker, type DomainEvent, type DomainEventHandler, type EventPattern, type SubscribeOptions } from '../domain/events/index.js';
import { compilePattern, type CompiledPattern } from '../domain/events/pattern.js';
import type { IpcPeer } from './ipc-peer.js';
import { RELAYED_FROM, type StreamWanted } from './messages.js';

/** How long a subscription waits for the primary to confirm every worker forwards its events. */
const DECLARE_TIMEOUT_MS = 10_000;

/** An event broker that says when its subscriptions change. */
class WatchedBroker extends EventBroker {
  constructor(private readonly changed: () => void) {
    super();
  }

  override subscribe(pattern: EventPattern, handler: DomainEventHandler, options?: SubscribeOptions): () => void {
    const unsubscribe = super.subscribe(pattern, handler, options);
    this.changed();
    return () => {
      unsubscribe();
      this.changed();
    };
  }

  override disposeOwner(owner: string): number {
    const removed = super.disposeOwner(owner);
    if (removed > 0) this.changed();
    return removed;
  }
}

export class WorkerEventRelay {
  /** The broker the WebSocket stream reads. */
  readonly stream: EventBroker;
  /** This worker's clients' patterns, as last declared (joined). */
  private own = '';
  private ownPatterns: string[] = [];
  private othersPatterns: string[] = [];
  private others: CompiledPattern[] = [];
  private othersVersion = -1;
  /** Subscriptions on the local broker, by pattern. */
  private readonly forwarding = new Map<string, () => void>();
  /** Events already forwarded (one event may match several patterns). */
  private readonly forwarded = new WeakSet<DomainEvent>();
  private declared: Promise<void>;

  constructor(
    private readonly local: EventBroker,
    private readonly peer: IpcPeer,
  ) {
    this.stream = new WatchedBroker(() => this.streamChanged());
    this.declared = this.declare([]);
  }

  /** What the other workers' clients want, from the primary (the newest wins). */
  othersWant(wanted: StreamWanted): void {
    if (typeof wanted?.version !== 'number' || !Array.isArray(wanted.patterns) || wanted.version <= this.othersVersion) return;
    this.othersVersion = wanted.version;
    this.othersPatterns = wanted.patterns.filter((p): p is string => typeof p === 'string' && p.length > 0);
    this.others = this.othersPatterns.map((pattern) => compilePattern(pattern));
    this.resubscribe();
  }

  /** Another worker's event, for this worker's clients. */
  relayed(event: DomainEvent): void {
    void this.stream.publish(event);
  }

  /** Resolves once every subscription made so far receives the events of every worker. */
  settled(): Promise<void> {
    return this.declared;
  }

  private streamChanged(): void {
    const patterns = [...new Set(this.stream.subscriptions().map((s) => s.pattern))].sort();
    const key = patterns.join('\n');
    if (key === this.own) return;
    this.own = key;
    this.ownPatterns = patterns;
    this.resubscribe();
    const declaring = this.declare(patterns);
    this.declared = Promise.all([this.declared, declaring]).then(() => undefined);
  }

  /** Tells the primary this worker's patterns; never rejects (a channel that closed relays nothing anyway). */
  private declare(patterns: string[]): Promise<void> {
    return this.peer.call('events.interest', patterns, DECLARE_TIMEOUT_MS).then(
      (wanted) => this.othersWant(wanted as StreamWanted),
      () => undefined,
    );
  }

  private resubscribe(): void {
    const wanted = new Set([...this.ownPatterns, ...this.othersPatterns]);
    for (const [pattern, unsubscribe] of this.forwarding) {
      if (wanted.has(pattern)) continue;
      unsubscribe();
      this.forwarding.delete(pattern);
    }
    for (const pattern of wanted) if (!this.forwarding.has(pattern)) this.forwarding.set(pattern, this.local.subscribe(pattern, this.forward));
  }

  private readonly forward = (event: DomainEvent): void => {
    if (event[RELAYED_FROM] !== undefined || this.forwarded.has(event)) return;
    this.forwarded.add(event);
    if (this.stream.hasSubscribers(event.eventName)) void this.stream.publish(event);
    if (this.others.some((pattern) => pattern.matches(event.eventName))) this.peer.notify('event', event);
  };
}
