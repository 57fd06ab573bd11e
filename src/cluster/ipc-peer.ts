/**
 * Calls and notifications over a Node IPC channel (a forked child's, a cluster
 * worker's, or `process` inside either). Both ends are alike: each serves the
 * methods it was given and may call the other's. Errors cross as data and come
 * back as the same `MicrolibError` code, so a datasource behind the channel
 * fails exactly as it would in process.
 *
 * Messages are sent in batches: everything one turn of the event loop queues
 * (calls, replies, notifications) leaves as one IPC message at its end. Each
 * IPC message costs a pipe write, a read, framing and an event on both sides,
 * so under load a cluster write's several messages (the write, its answer, its
 * event, the change stream) share those costs with the other requests of the turn.
 */
import { MicrolibError, type ErrorCode } from '../domain/errors.js';

/** The part of `process`, `ChildProcess` and cluster `Worker` used here. */
export interface IpcEndpoint {
  readonly connected?: boolean;
  send?(message: unknown, callback: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export type IpcHandler = (params: unknown) => unknown;

interface SerializedError {
  message: string;
  code?: string;
  field?: string;
}

type Message =
  | { mlb: 'call'; id: number; method: string; params: unknown }
  | { mlb: 'reply'; id: number; ok: true; value: unknown }
  | { mlb: 'reply'; id: number; ok: false; error: SerializedError }
  | { mlb: 'notify'; topic: string; payload: unknown }
  | { mlb: 'batch'; messages: Message[] };

/** A message waiting for the end of the turn, and who hears whether it was sent. */
interface Queued {
  message: Message;
  done: (error: Error | null) => void;
}

function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && typeof (value as { mlb?: unknown }).mlb === 'string';
}

function serialize(error: unknown): SerializedError {
  if (error instanceof MicrolibError) return { message: error.message, code: error.code, ...(error.field !== undefined ? { field: error.field } : {}) };
  return { message: error instanceof Error ? error.message : String(error) };
}

function revive(error: SerializedError): Error {
  return error.code ? new MicrolibError(error.code as ErrorCode, error.message, error.field) : new Error(error.message);
}

export class IpcPeer {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; timer?: NodeJS.Timeout }>();
  private closedBecause: string | undefined;
  private readonly listener = (message: unknown) => this.receive(message);
  private readonly topics = new Map<string, (payload: unknown) => void>();
  private readonly closeListeners: Array<(reason: string) => void> = [];
  private queue: Queued[] = [];
  private flushScheduled = false;
  private readonly flushQueue = () => this.flush();

  constructor(
    private readonly endpoint: IpcEndpoint,
    private readonly handlers: Readonly<Record<string, IpcHandler>>,
    private readonly onNotify: (topic: string, payload: unknown) => void = () => undefined,
  ) {
    endpoint.on('message', this.listener);
    endpoint.on('disconnect', () => this.close('the other process is gone'));
  }

  /** Calls `method` on the other side; rejects with MLB_ERR_UNAVAILABLE when the channel closes first, MLB_ERR_TIMEOUT after `timeoutMs`. */
  call(method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    if (this.closedBecause !== undefined) return Promise.reject(new MicrolibError('MLB_ERR_UNAVAILABLE', `cluster channel closed: ${this.closedBecause}`));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const entry: { resolve(value: unknown): void; reject(error: Error): void; timer?: NodeJS.Timeout } = { resolve, reject };
      if (timeoutMs !== undefined) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new MicrolibError('MLB_ERR_TIMEOUT', `no answer to ${method} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.pending.set(id, entry);
      this.send({ mlb: 'call', id, method, params }, (error) => {
        if (!error || !this.pending.delete(id)) return;
        clearTimeout(entry.timer);
        reject(new MicrolibError('MLB_ERR_UNAVAILABLE', `cluster channel closed: ${error.message}`));
      });
    });
  }

  /** Hands notifications of `topic` to `listener` (handled at once, in arrival order) instead of the constructor's `onNotify`. */
  listen(topic: string, listener: (payload: unknown) => void): void {
    this.topics.set(topic, listener);
  }

  /** Calls `listener` once the channel closes (at once if it has). */
  onClose(listener: (reason: string) => void): void {
    if (this.closedBecause !== undefined) listener(this.closedBecause);
    else this.closeListeners.push(listener);
  }

  /** Sends a one-way message; dropped when the channel is closed. */
  notify(topic: string, payload: unknown): void {
    this.send({ mlb: 'notify', topic, payload });
  }

  /** Rejects every call still waiting; later calls reject at once. */
  close(reason: string): void {
    if (this.closedBecause !== undefined) return;
    this.closedBecause = reason;
    this.endpoint.off('message', this.listener);
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      clearTimeout(entry.timer);
      entry.reject(new MicrolibError('MLB_ERR_UNAVAILABLE', `cluster channel closed: ${reason}`));
    }
    for (const listener of this.closeListeners.splice(0)) listener(reason);
  }

  /** Queues `message`; the turn's messages leave together (see the file's comment). */
  private send(message: Message, done: (error: Error | null) => void = () => undefined): void {
    if (this.closedBecause !== undefined || !this.endpoint.send || this.endpoint.connected === false) {
      done(new Error(this.closedBecause ?? 'not connected'));
      return;
    }
    this.queue.push({ message, done });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushQueue);
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const queued = this.queue;
    this.queue = [];
    if (queued.length === 0) return;
    const fail = (error: Error) => {
      for (const item of queued) item.done(error);
    };
    if (this.closedBecause !== undefined || !this.endpoint.send || this.endpoint.connected === false) return fail(new Error(this.closedBecause ?? 'not connected'));
    const message: Message = queued.length === 1 ? (queued[0] as Queued).message : { mlb: 'batch', messages: queued.map((item) => item.message) };
    try {
      // With a callback, a send on a closing channel reports here instead of as an uncaught 'error'.
      this.endpoint.send(message, (error) => {
        for (const item of queued) item.done(error);
      });
    } catch (error) {
      fail(error as Error);
    }
  }

  private receive(message: unknown): void {
    if (!isMessage(message)) return;
    if (message.mlb === 'batch') {
      if (Array.isArray(message.messages)) for (const one of message.messages) this.receive(one);
      return;
    }
    if (message.mlb === 'notify') {
      const listener = this.topics.get(message.topic);
      return listener ? listener(message.payload) : this.onNotify(message.topic, message.payload);
    }
    if (message.mlb === 'reply') {
      const entry = this.pending.get(message.id);
      if (!entry) return;
      this.pending.delete(message.id);
      clearTimeout(entry.timer);
      if (message.ok) entry.resolve(message.value);
      else entry.reject(revive(message.error));
      return;
    }
    const { id, method, params } = message;
    const handler = this.handlers[method];
    if (!handler) return this.send({ mlb: 'reply', id, ok: false, error: { message: `no cluster method "${method}"` } });
    // Handlers start in arrival order; each answers when it is done.
    Promise.resolve()
      .then(() => handler(params))
      .then(
        (value) => this.send({ mlb: 'reply', id, ok: true, value }),
        (error: unknown) => this.send({ mlb: 'reply', id, ok: false, error: serialize(error) }),
      );
  }
}
