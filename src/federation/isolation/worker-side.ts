/**
 * The remote's side of the boundary, inside its worker: the functions and
 * objects the version exposes (by handle), the create functions its factories
 * returned, its event subscriptions, and calls back to the host (a record's
 * port and relation methods, a service of another remote, `events.notify`).
 */
import { decode, encode, encodeError, isPlainData, TAG, type DecodeContext, type EncodeContext, type Tagged } from './marshal.js';
import { collectSpecs } from '../../domain/spec-parser.js';
import { createHandle, GONE_HANDLE, type FromWorker, type ToWorker } from './wire.js';

type Handle = [fn: (...args: unknown[]) => unknown, self: unknown];

const gone = () => {
  throw new Error('this host function can no longer be called: the call it was passed to has returned');
};

/** Functions in a result cannot be called later: they travel as a handle that refuses. */
const resultContext: EncodeContext = { fn: () => GONE_HANDLE };

function rebuildError(tagged: Extract<Tagged, { [TAG]: 'error' }>): Error {
  const error = new Error(tagged.message) as Error & { code?: unknown; field?: unknown; status?: unknown };
  error.name = tagged.name;
  if (tagged.code !== undefined) error.code = tagged.code;
  if (tagged.field !== undefined) error.field = tagged.field;
  if (tagged.status !== undefined) error.status = tagged.status;
  return error;
}

export class WorkerSide {
  private readonly handles = new Map<string, Handle>();
  private readonly objects = new Map<string, object>();
  private readonly signals = new Map<string, AbortController>();
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  private readonly listeners = new Map<string, { handler: (event: unknown) => unknown; once: boolean }>();
  private readonly subscriptionCounts = new Map<string, number>();
  private nextRequest = 0;
  private nextHandle = 0;

  constructor(
    private readonly post: (message: FromWorker) => void,
    /** The specs of the loaded `./models`, by model name. */
    private readonly specs: () => Map<string, Record<string, unknown>>,
  ) {}

  /** The version's exposes as the host will rebuild them: data as it is, functions and methods as handles. */
  describe(modules: ReadonlyMap<string, unknown>): { description: unknown; handles: number } {
    const context: EncodeContext = {
      fn: (fn, self) => this.register(`p${++this.nextHandle}`, fn, self),
      object: (value) => {
        const id = `o${++this.nextHandle}`;
        this.objects.set(id, value);
        return id;
      },
    };
    const description = encode(Object.fromEntries(modules), context);
    return { description, handles: this.nextHandle };
  }

  private register(id: string, fn: (...args: unknown[]) => unknown, self: unknown): string {
    this.handles.set(id, [fn, self]);
    return id;
  }

  async receive(message: ToWorker): Promise<void> {
    switch (message.t) {
      case 'ping':
        this.post({ t: 'pong' });
        return;
      case 'abort':
        this.signals.get(message.signal)?.abort(message.reason);
        return;
      case 'res': {
        const waiting = this.pending.get(message.id);
        if (!waiting) return;
        this.pending.delete(message.id);
        const value = message.plain ? message.value : decode(message.value, this.decodeContext([]));
        if (message.ok) waiting.resolve(value);
        else waiting.reject(value);
        return;
      }
      case 'req':
        return this.answer(message);
      default:
    }
  }

  private async answer(message: Extract<ToWorker, { t: 'req' }>): Promise<void> {
    const signals: string[] = [];
    try {
      const value = await this.run(message, signals);
      // Most results are plain data (a record, changes): they go as they are and the host skips decoding.
      if (isPlainData(value)) this.post({ t: 'res', id: message.id, ok: true, value, plain: true });
      else this.post({ t: 'res', id: message.id, ok: true, value: encode(value, resultContext) });
    } catch (error) {
      this.post({ t: 'res', id: message.id, ok: false, value: error instanceof Error ? encodeError(error) : encode(error, resultContext) });
    } finally {
      for (const id of signals) this.signals.delete(id);
    }
  }

  private run(message: Extract<ToWorker, { t: 'req' }>, signals: string[]): unknown {
    switch (message.op) {
      case 'invoke': {
        const handle = this.handles.get(message.target);
        if (!handle) throw new Error(`no function ${message.target} in this worker`);
        const args = (message.plain ? message.args : decode(message.args, this.decodeContext(signals))) as unknown[];
        return handle[0].apply(handle[1], args);
      }
      case 'instantiate':
        return this.instantiate(message.model);
      case 'event': {
        const listener = this.listeners.get(message.sub);
        if (!listener) return undefined;
        if (listener.once) this.listeners.delete(message.sub);
        return listener.handler(message.event);
      }
    }
  }

  /** Runs a model's factory here, with its own dependencies and an `events` that talks to the host's broker. */
  private instantiate(modelName: string): void {
    const spec = this.specs().get(modelName);
    if (!spec) throw new Error(`no model "${modelName}" in this version's ./models`);
    const factory = spec.factory as (deps: unknown) => unknown;
    const create = factory(Object.assign({}, spec.dependencies as object | undefined, { events: this.eventsOf(modelName) }));
    if (typeof create !== 'function') throw new Error(`factory of ${modelName} must return a create function`);
    this.register(createHandle(modelName), create as (...args: unknown[]) => unknown, undefined);
  }

  private eventsOf(model: string) {
    return {
      listen: (eventName: string | RegExp, handler: (event: unknown) => unknown, options: { once?: boolean } = {}) => {
        if (typeof handler !== 'function') throw new TypeError('events.listen: handler must be a function');
        // Numbered per model, so every worker of a pool (and a restarted one) names the same subscription alike.
        const count = (this.subscriptionCounts.get(model) ?? 0) + 1;
        this.subscriptionCounts.set(model, count);
        const sub = `${model}#${count}`;
        const once = options.once === true;
        this.listeners.set(sub, { handler, once });
        this.post({ t: 'listen', model, sub, pattern: eventName, once });
        return () => {
          if (this.listeners.delete(sub)) this.post({ t: 'unlisten', model, sub });
        };
      },
      notify: (eventName: string, data?: unknown) => this.request({ op: 'notify', model, eventName, data: encode(data, resultContext) }),
    };
  }

  private request(body: { op: 'call'; target: string; args: unknown } | { op: 'notify'; model: string; eventName: string; data: unknown }): Promise<unknown> {
    const id = ++this.nextRequest;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ t: 'req', id, ...body } as FromWorker);
    });
  }

  private decodeContext(signals: string[]): DecodeContext {
    return {
      fn: (id) => (id === GONE_HANDLE ? gone : (...args: unknown[]) => this.request({ op: 'call', target: id, args: encode(args, resultContext) })),
      ref: (id) => this.handles.get(id)?.[0] ?? this.objects.get(id),
      signal: (id, aborted) => {
        const controller = new AbortController();
        if (aborted) controller.abort();
        this.signals.set(id, controller);
        signals.push(id);
        return controller.signal;
      },
      error: rebuildError,
    };
  }
}

/** The specs a `./models` module exports (as the spec parser finds them), by model name. */
export function specsByName(mod: unknown): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>();
  for (const spec of collectSpecs(mod)) {
    const candidate = spec as Record<string, unknown>;
    if (typeof candidate?.modelName === 'string') found.set(candidate.modelName, candidate);
  }
  return found;
}

export { TAG };
