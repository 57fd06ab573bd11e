/**
 * One version of a remote running in its own workers (a pool of `workers`
 * threads or processes). The host holds a rebuilt copy of the version's
 * exposes: data as it is, every function a call into a worker. It restarts a
 * worker that dies (with backoff), replays the models' factories in it,
 * keeps the event subscriptions its code made, and marks the version failed
 * when it crash-loops.
 */
import { MicrolibError } from '../../domain/errors.js';
import type { ModelEvents } from '../../domain/events/model-events.js';
import { collectSpecs } from '../../domain/spec-parser.js';
import { decode } from './marshal.js';
import { hostError, WorkerSlot, type SlotHost, type SlotOptions } from './worker-slot.js';
import { prepareSpare } from './worker-channel.js';
import { createHandle } from './wire.js';

export interface IsolationBudget {
  /** Workers in the pool (default 1). */
  workers: number;
  /** A worker silent this long while it has calls is stopped and restarted. */
  callTimeoutMs: number;
  /** Heap limit of each worker, in MB. */
  memoryMb: number;
  /** Calls waiting or running at once; past it a call answers 503. */
  maxQueue: number;
  /** A restarted worker must load within this. */
  loadTimeoutMs: number;
}

/** What the status API shows of an isolated version. */
export interface IsolationStatus {
  isolation: 'thread' | 'process';
  state: 'running' | 'restarting' | 'failed';
  workers: number;
  restarts: number;
  inFlight: number;
  lastCrash?: { at: string; reason: string };
}

/** Crashes in a row, with no call answered in between, that mark a version as crash-looping. */
const CRASH_LOOP = 5;
const MAX_BACKOFF_MS = 30_000;

export interface VersionEvents {
  /** A worker died; `looping` when the version has crashed too often. */
  crashed(info: { reason: string; stack?: string; restarts: number; looping: boolean }): void;
}

interface Subscription {
  unsubscribe: () => void;
  slots: Set<WorkerSlot>;
}

export class IsolatedVersion implements SlotHost {
  private slots: WorkerSlot[] = [];
  private readonly known_ = new WeakMap<object, string>();
  private readonly events = new Map<string, ModelEvents>();
  private readonly models: string[] = [];
  private readonly instantiations: Promise<unknown>[] = [];
  private readonly subscriptions = new Map<string, Subscription>();
  /** Calls waiting for a restarting worker: resumed when one is back, refused when the version crash-loops. */
  private readonly waiting: Array<{ resume(): void; refuse(error: Error): void }> = [];
  /** Crashes since a worker last answered a call. */
  private crashesInARow = 0;
  private restarts = 0;
  private lastCrash: { at: string; reason: string } | undefined;
  private retired = false;
  private handleCount = 0;
  private queued = 0;

  constructor(
    private readonly label: string,
    private readonly options: Omit<SlotOptions, 'callTimeoutMs' | 'memoryMb'>,
    private readonly budget: IsolationBudget,
    private readonly listener: VersionEvents,
  ) {}

  /** Starts the pool and resolves with the version's exposes, rebuilt; rejects (and stops every worker) if any fails to load. */
  async start(signal?: AbortSignal): Promise<Map<string, unknown>> {
    this.slots = Array.from({ length: this.budget.workers }, () => this.newSlot());
    const onAbort = () => void this.retire();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const described = await Promise.all(this.slots.map((slot) => slot.ready));
      this.handleCount = described[0]!.handles;
      const modules = decode(described[0]!.description, {
        fn: (id) => this.proxy(id),
        ref: () => undefined,
        signal: () => new AbortController().signal,
        error: hostError,
        object: (value, id) => this.known_.set(value, id),
      }) as Record<string, unknown>;
      this.adoptFactories(modules['./models']);
      for (const slot of this.slots) slot.open = true;
      prepareSpare(this.slotOptions());
      return new Map(Object.entries(modules));
    } catch (error) {
      await this.retire();
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Every call of one exposed function goes to a worker of the pool. */
  private proxy(id: string): (...args: unknown[]) => Promise<unknown> {
    const call = (...args: unknown[]) => this.invoke(id, args);
    this.known_.set(call, id);
    return call;
  }

  /**
   * A factory runs in the workers: the host's copy records the model's `events`
   * (its view of the broker), starts the factory in every worker, and returns
   * the create function that calls the workers' one.
   */
  private adoptFactories(models: unknown): void {
    for (const candidate of collectSpecs(models)) {
      const spec = candidate as Record<string, unknown>;
      if (typeof spec?.modelName !== 'string' || typeof spec.factory !== 'function') continue;
      const modelName = spec.modelName;
      Object.defineProperty(spec, 'factory', { value: (deps: { events?: ModelEvents }) => this.instantiate(modelName, deps), enumerable: true, configurable: true, writable: true });
    }
  }

  private instantiate(model: string, deps: { events?: ModelEvents }): (input: unknown) => Promise<unknown> {
    if (deps.events) this.events.set(model, deps.events);
    this.models.push(model);
    for (const slot of this.slots) {
      const started = slot.request({ op: 'instantiate', model });
      // Observed by settled(); a spec refused before settled() is awaited must not leave it unhandled.
      started.catch(() => undefined);
      this.instantiations.push(started);
    }
    const target = createHandle(model);
    return (input) => this.invoke(target, [input]);
  }

  /** Resolves once every factory started in the workers has run; rejects with the first that failed. */
  async settled(): Promise<void> {
    const pending = this.instantiations.splice(0);
    await Promise.all(pending);
  }

  invoke(target: string, args: unknown[]): Promise<unknown> {
    if (this.retired) return Promise.reject(this.unavailable('this version was retired'));
    let slot: WorkerSlot | undefined;
    try {
      slot = this.pick();
    } catch (error) {
      return Promise.reject(error);
    }
    if (slot) return slot.invoke(target, args);
    if (this.state() === 'failed') return Promise.reject(this.unavailable(`it keeps crashing (${this.lastCrash?.reason ?? 'unknown'}); it is retried every ${MAX_BACKOFF_MS / 1000} s`));
    if (this.queued >= this.budget.maxQueue) return Promise.reject(this.unavailable(`${this.queued} calls are already waiting for its worker (maxQueue)`));
    // Every worker is restarting: the call waits for the first one back.
    this.queued++;
    return new Promise<void>((resume, refuse) => this.waiting.push({ resume, refuse })).then(
      () => {
        this.queued--;
        return this.invoke(target, args);
      },
      (error: unknown) => {
        this.queued--;
        throw error;
      },
    );
  }

  /** The ready worker with the fewest calls; undefined when none is ready or the queue is full. */
  private pick(): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    let total = 0;
    for (const slot of this.slots) {
      if (!slot.open || slot.state !== 'ready') continue;
      total += slot.inFlight;
      if (!best || slot.inFlight < best.inFlight) best = slot;
    }
    if (best && total >= this.budget.maxQueue) throw this.unavailable(`${total} calls are already in flight (maxQueue ${this.budget.maxQueue})`);
    return best;
  }

  state(): IsolationStatus['state'] {
    if (this.crashesInARow >= CRASH_LOOP && !this.slots.some((slot) => slot.open && slot.state === 'ready')) return 'failed';
    return this.slots.every((slot) => slot.open && slot.state === 'ready') ? 'running' : 'restarting';
  }

  status(): IsolationStatus {
    return {
      isolation: this.options.kind,
      state: this.state(),
      workers: this.slots.length,
      restarts: this.restarts,
      inFlight: this.slots.reduce((sum, slot) => sum + slot.inFlight, 0) + this.queued,
      ...(this.lastCrash ? { lastCrash: this.lastCrash } : {}),
    };
  }

  /** Stops every worker and ends the version's subscriptions. */
  async retire(): Promise<void> {
    this.retired = true;
    for (const subscription of this.subscriptions.values()) subscription.unsubscribe();
    this.subscriptions.clear();
    for (const call of this.waiting.splice(0)) call.resume();
    await Promise.all(this.slots.map((slot) => slot.terminate()));
  }

  private slotOptions(): SlotOptions {
    return { ...this.options, callTimeoutMs: this.budget.callTimeoutMs, memoryMb: this.budget.memoryMb };
  }

  private newSlot(): WorkerSlot {
    return new WorkerSlot(this.slotOptions(), this);
  }

  // --- SlotHost: what the workers ask of the version ---

  answered(): void {
    this.crashesInARow = 0;
  }

  known(value: object): string | undefined {
    return this.known_.get(value);
  }

  unavailable(reason: string): MicrolibError {
    return new MicrolibError('MLB_ERR_REMOTE_UNAVAILABLE', `remote ${this.label} is unavailable: ${reason}`);
  }

  listen(slot: WorkerSlot, model: string, sub: string, pattern: string | RegExp, once: boolean): void {
    if (this.retired) return;
    const key = `${model}\u0000${sub}`;
    const existing = this.subscriptions.get(key);
    if (existing) {
      existing.slots.add(slot);
      return;
    }
    const events = this.events.get(model);
    if (!events) return;
    const subscription: Subscription = { slots: new Set([slot]), unsubscribe: () => undefined };
    this.subscriptions.set(key, subscription);
    subscription.unsubscribe = events.listen(
      pattern,
      (event) => {
        if (once) this.subscriptions.delete(key);
        const target = [...subscription.slots].find((candidate) => candidate.open && candidate.state === 'ready');
        return target?.request({ op: 'event', sub, event });
      },
      { once },
    );
  }

  unlisten(slot: WorkerSlot, model: string, sub: string): void {
    const key = `${model}\u0000${sub}`;
    const subscription = this.subscriptions.get(key);
    if (!subscription) return;
    subscription.slots.delete(slot);
    if (subscription.slots.size === 0) {
      subscription.unsubscribe();
      this.subscriptions.delete(key);
    }
  }

  notify(model: string, eventName: string, data: unknown): Promise<unknown> {
    const events = this.events.get(model);
    if (!events) return Promise.reject(new Error(`events of ${model} are not available`));
    return events.notify(eventName, data);
  }

  died(slot: WorkerSlot, reason: string, stack?: string): void {
    for (const key of [...this.subscriptions.keys()]) this.unlisten(slot, key.split('\u0000')[0]!, key.split('\u0000')[1]!);
    if (this.retired) return;
    this.crashesInARow++;
    this.lastCrash = { at: new Date().toISOString(), reason };
    const looping = this.crashesInARow >= CRASH_LOOP;
    this.listener.crashed({ reason, ...(stack ? { stack } : {}), restarts: this.restarts, looping });
    if (looping) for (const call of this.waiting.splice(0)) call.refuse(this.unavailable(`it keeps crashing (${reason})`));
    const delay = looping ? MAX_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, 50 * 2 ** (this.crashesInARow - 1));
    setTimeout(() => void this.replace(slot), delay).unref();
  }

  /** A new worker in place of a dead one: loaded, its factories replayed, then it takes calls. */
  private async replace(dead: WorkerSlot): Promise<void> {
    if (this.retired) return;
    const slot = this.newSlot();
    const index = this.slots.indexOf(dead);
    if (index >= 0) this.slots[index] = slot;
    else this.slots.push(slot);
    this.restarts++;
    const timer = setTimeout(() => void slot.terminate().then(() => this.died(slot, `a restarted worker did not load within ${this.budget.loadTimeoutMs} ms`)), this.budget.loadTimeoutMs);
    try {
      const { handles } = await slot.ready;
      if (handles !== this.handleCount) throw new Error(`the restarted worker exposes ${handles} functions, the first one ${this.handleCount}: the remote's exports are not deterministic`);
      for (const model of this.models) await slot.request({ op: 'instantiate', model });
      clearTimeout(timer);
      slot.open = true;
      prepareSpare(this.slotOptions());
      for (const call of this.waiting.splice(0)) call.resume();
    } catch (error) {
      clearTimeout(timer);
      if (slot.state !== 'dead') {
        await slot.terminate();
        this.died(slot, `a restarted worker failed: ${(error as Error).message}`);
      }
    }
  }
}
