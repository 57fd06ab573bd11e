/**
 * Both ends of an in-memory IPC channel for cluster tests in one process: messages
 * arrive in order, on a later turn, as structured clones (as over a fork channel).
 * Each end counts what it sends; a test may lose messages or make sends fail.
 */
import type { IpcEndpoint } from '../../src/cluster/ipc-peer.js';

type Listener = (message?: unknown) => void;

export class MemoryChannelEnd implements IpcEndpoint {
  connected = true;
  other!: MemoryChannelEnd;
  /** Channel messages this end sent (a batch counts once). */
  sent = 0;
  /** Every message this end sent, as sent (batches not unpacked). */
  readonly messages: unknown[] = [];
  /** Return true to lose a message this end sends (the callback still reports success). */
  lose: (message: unknown) => boolean = () => false;
  /** An error to report for every send, as a closing channel does. */
  failWith: Error | undefined;
  private readonly listeners = new Set<Listener>();

  send(message: unknown, callback: (error: Error | null) => void): boolean {
    this.sent++;
    const copy = structuredClone(message);
    this.messages.push(copy);
    const lost = this.lose(copy);
    setImmediate(() => {
      if (this.failWith) return callback(this.failWith);
      if (!lost) for (const listener of this.other.listeners) listener(copy);
      callback(null);
    });
    return true;
  }

  on(event: string, listener: Listener): this {
    if (event === 'message') this.listeners.add(listener);
    return this;
  }

  off(_event: string, listener: Listener): this {
    this.listeners.delete(listener);
    return this;
  }
}

/** Two connected ends. */
export function memoryChannel(): [MemoryChannelEnd, MemoryChannelEnd] {
  const a = new MemoryChannelEnd();
  const b = new MemoryChannelEnd();
  a.other = b;
  b.other = a;
  return [a, b];
}
