/**
 * The in-process event broker: models publish domain events and other models
 * (possibly in other remotes) react to them.
 *
 * @packageDocumentation
 */
import type { DomainEvent } from './domain-event.js';
import { compilePattern, type CompiledPattern, type EventPattern } from './pattern.js';

/** Reacts to an event. May be async; its result is ignored, its failure is reported. */
export type DomainEventHandler = (event: DomainEvent) => unknown;

/** Options of {@link EventBroker.subscribe}. */
export interface SubscribeOptions {
  /**
   * Who the subscription belongs to, usually a loaded remote version.
   * {@link EventBroker.disposeOwner} removes all of an owner's subscriptions at
   * once, which is how a hot-reloaded version stops receiving events.
   */
  owner?: string;
  /** Remove the subscription after its first delivery. */
  once?: boolean;
}

/** A subscription as listed by {@link EventBroker.subscriptions} and in error reports. */
export interface SubscriptionInfo {
  /** The pattern as a string: the string itself, or the RegExp's `/source/flags`. */
  readonly pattern: string;
  readonly owner?: string;
}

/** A handler that threw or rejected during a publish. */
export interface HandlerFailure extends SubscriptionInfo {
  readonly error: unknown;
}

/** The outcome of one {@link EventBroker.publish}. */
export interface PublishReport {
  /** Handlers the event was handed to, including those that then failed. 0 means nobody listened. */
  delivered: number;
  /** Handlers that threw or rejected, in subscription order. */
  failed: HandlerFailure[];
}

/** Told about every handler failure; the host logs it. */
export type HandlerErrorCallback = (error: unknown, event: DomainEvent, subscription: SubscriptionInfo) => void;

/** Options of the {@link EventBroker} constructor. */
export interface EventBrokerOptions {
  /**
   * Called once per failed handler. Without it, failures become process
   * warnings (`process.emitWarning`), so they are never lost silently.
   */
  onHandlerError?: HandlerErrorCallback;
}

interface Subscription {
  readonly pattern: CompiledPattern;
  readonly handler: DomainEventHandler;
  readonly owner: string | undefined;
  readonly once: boolean;
  /** Cleared on removal, so a publish already under way skips it. */
  active: boolean;
}

/**
 * Delivers each published event to every subscription whose pattern matches
 * its `eventName` (see {@link EventPattern} for the syntax).
 *
 * Delivery rules:
 * - Handlers are started in subscription order and run concurrently;
 *   `publish` resolves once all of them have settled.
 * - A handler's throw or rejection never stops the others and never reaches
 *   the publisher: `publish` does not reject because of a handler. Failures go
 *   to `onHandlerError` and into the returned {@link PublishReport}.
 * - The matching subscriptions are fixed when `publish` is called: one added
 *   meanwhile (even by a handler) sees the next event, not this one; one
 *   removed before its turn (unsubscribe, `disposeOwner`, or a `once` already
 *   used by a nested publish) is skipped.
 */
export class EventBroker {
  readonly #subscriptions: Subscription[] = [];
  readonly #onHandlerError: HandlerErrorCallback;

  constructor(options: EventBrokerOptions = {}) {
    this.#onHandlerError = options.onHandlerError ?? warnHandlerError;
  }

  /**
   * Registers `handler` for events whose name matches `pattern`.
   *
   * @returns A function that removes this subscription; calling it again does nothing.
   * @throws TypeError on an empty or invalid pattern, a non-function handler, or an empty owner.
   */
  subscribe(pattern: EventPattern, handler: DomainEventHandler, options: SubscribeOptions = {}): () => void {
    const compiled = compilePattern(pattern);
    if (typeof handler !== 'function') throw new TypeError('event handler must be a function');
    const { owner, once = false } = options;
    if (owner !== undefined && (typeof owner !== 'string' || owner.length === 0)) {
      throw new TypeError('subscription owner must be a non-empty string');
    }
    const subscription: Subscription = { pattern: compiled, handler, owner, once, active: true };
    this.#subscriptions.push(subscription);
    return () => this.#remove(subscription);
  }

  /**
   * Whether an event of this name would reach any handler. Publishers on a hot
   * path ask first, so building an event nobody hears costs nothing.
   */
  hasSubscribers(eventName: string): boolean {
    for (const subscription of this.#subscriptions) if (subscription.active && subscription.pattern.matches(eventName)) return true;
    return false;
  }

  /**
   * Delivers `event` to every matching handler and waits for all of them.
   *
   * @throws TypeError (as a rejection) only if `event` has no string `eventName`.
   */
  async publish(event: DomainEvent): Promise<PublishReport> {
    if (typeof event?.eventName !== 'string') throw new TypeError('event.eventName must be a string');
    const matching = this.#subscriptions.filter((s) => s.pattern.matches(event.eventName));
    const runs: Promise<HandlerFailure | undefined>[] = [];
    for (const subscription of matching) {
      if (!subscription.active) continue;
      // Removed before the call, so a nested publish from the handler cannot deliver it twice.
      if (subscription.once) this.#remove(subscription);
      runs.push(this.#deliver(subscription, event));
    }
    // #deliver never rejects, so Promise.all waits for every handler.
    const outcomes = await Promise.all(runs);
    return { delivered: runs.length, failed: outcomes.filter((f): f is HandlerFailure => f !== undefined) };
  }

  /**
   * Removes every subscription of `owner`, e.g. when a remote version is replaced.
   *
   * @returns How many subscriptions were removed.
   */
  disposeOwner(owner: string): number {
    const owned = this.#subscriptions.filter((s) => s.owner === owner);
    for (const subscription of owned) this.#remove(subscription);
    return owned.length;
  }

  /** The current subscriptions in subscription order, for the host's API. */
  subscriptions(): SubscriptionInfo[] {
    return this.#subscriptions.map(describe);
  }

  /** Runs one handler; resolves with its failure, or undefined. Never rejects. */
  async #deliver(subscription: Subscription, event: DomainEvent): Promise<HandlerFailure | undefined> {
    try {
      await subscription.handler(event);
      return undefined;
    } catch (error) {
      const info = describe(subscription);
      try {
        this.#onHandlerError(error, event, info);
      } catch (callbackError) {
        // A broken logger must not turn into a publish failure, nor hide the original error.
        warnHandlerError(error, event, info);
        emitWarning(`onHandlerError threw: ${reasonOf(callbackError)}`, callbackError);
      }
      return { ...info, error };
    }
  }

  #remove(subscription: Subscription): void {
    if (!subscription.active) return;
    subscription.active = false;
    const index = this.#subscriptions.indexOf(subscription);
    if (index !== -1) this.#subscriptions.splice(index, 1);
  }
}

function describe(subscription: Subscription): SubscriptionInfo {
  return subscription.owner === undefined
    ? { pattern: subscription.pattern.source }
    : { pattern: subscription.pattern.source, owner: subscription.owner };
}

function warnHandlerError(error: unknown, event: DomainEvent, subscription: SubscriptionInfo): void {
  const owner = subscription.owner === undefined ? '' : ` of ${subscription.owner}`;
  emitWarning(`event handler for "${subscription.pattern}"${owner} failed on ${event.eventName}: ${reasonOf(error)}`, error);
}

function emitWarning(message: string, error: unknown): void {
  process.emitWarning(message, {
    type: 'MicrolibEventHandlerWarning',
    code: 'MLB_EVENT_HANDLER_FAILED',
    detail: error instanceof Error ? error.stack : undefined,
  });
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
