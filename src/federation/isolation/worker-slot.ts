/**
 * One worker of a remote version, seen from the host: starting it, calls into
 * it and their answers, calls it makes back (to functions the host passed it,
 * to the broker), and the watchdog. While calls are in flight the host pings
 * the worker; a worker that stays silent for `callTimeoutMs` is stuck in its
 * code (a `while(true)`, a long synchronous loop) and is terminated, which
 * stops even that. Each call it had answers `MLB_ERR_REMOTE_UNAVAILABLE`.
 */
import { MicrolibError, type ErrorCode } from '../../domain/errors.js';
import { decode, encode, encodeError, isPlainData, TAG, type DecodeContext, type EncodeContext, type Tagged } from './marshal.js';
import { openChannel, type ChannelOptions, type WorkerChannel } from './worker-channel.js';
import { GONE_HANDLE, type FromWorker, type ToWorker } from './wire.js';
import { Outbox, unbatch } from './outbox.js';

type Handle = [fn: (...args: unknown[]) => unknown, self: unknown];

/** What the version does for its workers. */
export interface SlotHost {
  /** How the version's own objects and functions travel back to its workers (`ref`). */
  known(value: object): string | undefined;
  listen(slot: WorkerSlot, model: string, sub: string, pattern: string | RegExp, once: boolean): void;
  unlisten(slot: WorkerSlot, model: string, sub: string): void;
  notify(model: string, eventName: string, data: unknown): Promise<unknown>;
  /** The worker is gone (not when the host terminated it on purpose). */
  died(slot: WorkerSlot, reason: string, stack?: string): void;
  /** Makes the error a call answers when the worker cannot. */
  unavailable(reason: string): MicrolibError;
  /** A call was answered: the worker works (a crash after it does not count toward a crash loop). */
  answered(): void;
}

export interface SlotOptions extends ChannelOptions {
  callTimeoutMs: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  handles: string[];
  signals: Array<() => void>;
  /** A call into the remote's code (not the host's own bookkeeping: instantiate, event). */
  invoke?: boolean;
}

const resultContext: EncodeContext = { fn: () => GONE_HANDLE };
const ERROR_CODE = /^MLB_ERR_[A-Z_]+$/;

/** An error from remote code, as the host's: a host error code stays one, anything else is the remote's own Error. */
export function hostError(tagged: Extract<Tagged, { [TAG]: 'error' }>): Error {
  const error =
    typeof tagged.code === 'string' && ERROR_CODE.test(tagged.code)
      ? new MicrolibError(tagged.code as ErrorCode, tagged.message, typeof tagged.field === 'string' ? tagged.field : undefined)
      : Object.assign(new Error(tagged.message), tagged.code === undefined ? {} : { code: tagged.code });
  if (!(error instanceof MicrolibError)) error.name = tagged.name;
  if (tagged.stack) error.stack = tagged.stack;
  return error;
}

export class WorkerSlot {
  /** `starting` until its description arrives; `dead` once gone. */
  state: 'starting' | 'ready' | 'dead' = 'starting';
  /** Set by the version once the worker may take calls (its factories have run). */
  open = false;
  inFlight = 0;
  private readonly channel: WorkerChannel;
  private readonly outbox: Outbox<ToWorker>;
  private readonly pending = new Map<number, Pending>();
  private readonly handles = new Map<string, Handle>();
  private nextId = 0;
  private lastHeard = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  private readyWaiter: { resolve(value: { description: unknown; handles: number }): void; reject(error: unknown): void } | undefined;
  readonly ready: Promise<{ description: unknown; handles: number }>;

  constructor(
    private readonly options: SlotOptions,
    private readonly host: SlotHost,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.readyWaiter = { resolve, reject };
    });
    // The caller handles a failed start; an unobserved rejection must not reach the process.
    this.ready.catch(() => undefined);
    this.channel = openChannel(options, { message: (message) => unbatch(message, (each) => this.receive(each)), exit: (error, code) => this.exited(error, code) });
    this.outbox = new Outbox<ToWorker>((message) => this.channel.post(message));
  }

  /** Calls handle `target` in the worker with `args`. */
  invoke(target: string, args: unknown[]): Promise<unknown> {
    if (this.state === 'dead') return Promise.reject(this.host.unavailable('its worker stopped'));
    const id = ++this.nextId;
    const pending: Pending = { resolve: () => undefined, reject: () => undefined, handles: [], signals: [], invoke: true };
    const promise = new Promise<unknown>((resolve, reject) => {
      pending.resolve = resolve;
      pending.reject = reject;
    });
    this.pending.set(id, pending);
    this.begin();
    try {
      if (isPlainData(args)) this.post({ t: 'req', id, op: 'invoke', target, args, plain: true });
      else this.post({ t: 'req', id, op: 'invoke', target, args: encode(args, this.callContext(id, pending)) });
    } catch (error) {
      this.settle(id, false, error);
    }
    return promise;
  }

  /** Sends a request that needs no encoding (instantiate, event). */
  request(message: { op: 'instantiate'; model: string } | { op: 'event'; sub: string; event: unknown }): Promise<unknown> {
    if (this.state === 'dead') return Promise.reject(this.host.unavailable('its worker stopped'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, handles: [], signals: [] });
      this.begin();
      this.post({ t: 'req', id, ...message } as ToWorker);
    });
  }

  /** Ends the worker on purpose (the version retired): no crash is reported. */
  async terminate(): Promise<void> {
    if (this.state === 'dead') return;
    this.fail('the remote version was retired', undefined, false);
    await this.channel.terminate();
  }

  private post(message: ToWorker): void {
    this.outbox.push(message);
  }

  /** Handles of functions passed in one call live until its answer. */
  private callContext(id: number, pending: Pending): EncodeContext {
    let n = 0;
    return {
      fn: (fn, self) => {
        const handle = `c${id}.${++n}`;
        this.handles.set(handle, [fn, self]);
        pending.handles.push(handle);
        return handle;
      },
      signal: (signal) => {
        const handle = `s${id}.${++n}`;
        const onAbort = () => this.post({ t: 'abort', signal: handle, reason: signal.reason instanceof Error ? encodeError(signal.reason) : undefined });
        signal.addEventListener('abort', onAbort, { once: true });
        pending.signals.push(() => signal.removeEventListener('abort', onAbort));
        return handle;
      },
      known: (value) => this.host.known(value),
    };
  }

  /** How values from the worker are rebuilt: functions in them cannot be called back, errors become the host's. */
  private readonly decoding: DecodeContext = this.decodeContext();

  private decodeContext(): DecodeContext {
    return {
      fn: () => () => {
        throw new Error('a function returned by remote code cannot be called after its call returned');
      },
      ref: () => undefined,
      signal: () => new AbortController().signal,
      error: hostError,
    };
  }

  private begin(): void {
    if (this.inFlight++ > 0) return;
    this.lastHeard = Date.now();
    const tick = Math.max(10, Math.min(250, Math.floor(this.options.callTimeoutMs / 4)));
    this.watchdog = setInterval(() => this.check(), tick);
    this.watchdog.unref();
  }

  private check(): void {
    if (Date.now() - this.lastHeard > this.options.callTimeoutMs) {
      this.fail(`its code ran for more than ${this.options.callTimeoutMs} ms without yielding (callTimeoutMs); the worker was stopped and restarts`, undefined, true);
      void this.channel.terminate();
      return;
    }
    this.post({ t: 'ping' });
  }

  private settle(id: number, ok: boolean, value: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    for (const handle of pending.handles) this.handles.delete(handle);
    for (const stop of pending.signals) stop();
    if (--this.inFlight === 0) clearInterval(this.watchdog);
    if (ok && pending.invoke) this.host.answered();
    if (ok) pending.resolve(value);
    else pending.reject(value);
  }

  private receive(message: FromWorker): void {
    this.lastHeard = Date.now();
    switch (message.t) {
      case 'pong':
        return;
      case 'res':
        return this.settle(message.id, message.ok, message.plain ? message.value : decode(message.value, this.decoding));
      case 'ready':
        this.state = 'ready';
        this.readyWaiter?.resolve({ description: message.description, handles: message.handles });
        return;
      case 'failed':
        this.readyWaiter?.reject(decode(message.error, this.decoding));
        void this.terminate();
        return;
      case 'listen':
        return this.host.listen(this, message.model, message.sub, message.pattern, message.once);
      case 'unlisten':
        return this.host.unlisten(this, message.model, message.sub);
      case 'req':
        void this.answer(message);
        return;
      default:
    }
  }

  /** A call the worker makes back into the host. */
  private async answer(message: Extract<FromWorker, { t: 'req' }>): Promise<void> {
    try {
      let value: unknown;
      if (message.op === 'notify') {
        value = await this.host.notify(message.model, message.eventName, decode(message.data, this.decoding));
      } else {
        const handle = this.handles.get(message.target);
        if (!handle) throw new Error('this host function can no longer be called: the call it was passed to has returned');
        value = await handle[0].apply(handle[1], decode(message.args, this.decoding) as unknown[]);
      }
      this.post({ t: 'res', id: message.id, ok: true, value: encode(value, resultContext) });
    } catch (error) {
      this.post({ t: 'res', id: message.id, ok: false, value: error instanceof Error ? encodeError(error) : encode(error, resultContext) });
    }
  }

  private exited(error: Error | undefined, code: number | null): void {
    if (this.state === 'dead') return;
    const reason = error ? `its worker crashed: ${error.message}` : `its worker exited with code ${code}`;
    this.fail(reason, error?.stack, true);
  }

  /** Rejects everything in flight; `crashed` reports the death to the version. */
  private fail(reason: string, stack: string | undefined, crashed: boolean): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    clearInterval(this.watchdog);
    const error = this.host.unavailable(reason);
    this.readyWaiter?.reject(error);
    for (const id of [...this.pending.keys()]) this.settle(id, false, error);
    this.handles.clear();
    if (crashed) this.host.died(this, reason, stack);
  }
}
