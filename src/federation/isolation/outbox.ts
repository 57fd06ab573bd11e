/**
 * Messages to the other side of the boundary, sent together once per turn of
 * the event loop. Under load many requests reach model code in one turn; one
 * message (one wake-up of the other thread) for all of them costs far less than
 * one each, above all when both threads share a core.
 */
export type Batch<T> = { t: 'batch'; messages: T[] };

export class Outbox<T> {
  private queue: T[] = [];
  private scheduled = false;

  constructor(private readonly send: (message: T | Batch<T>) => void) {}

  push(message: T): void {
    this.queue.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const messages = this.queue;
    if (messages.length === 0) return;
    this.queue = [];
    this.send(messages.length === 1 ? messages[0]! : { t: 'batch', messages });
  }
}

/** Calls `receive` for each message of a batch, or for the message itself. */
export function unbatch<T>(message: T | Batch<T>, receive: (message: T) => void): void {
  if ((message as Batch<T>).t === 'batch') for (const each of (message as Batch<T>).messages) receive(each);
  else receive(message as T);
}
