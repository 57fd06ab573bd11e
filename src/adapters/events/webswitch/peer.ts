/**
 * A webswitch peer: connects to a hub, reconnecting with backoff, and queues
 * its events (boundedly) while disconnected.
 *
 * @packageDocumentation
 */
import { WebSocket } from 'ws';
import { SwitchNode, type WebSwitchOptions } from './switch-node.js';
import { MAX_MESSAGE_BYTES, type WireEvent } from './wire.js';

const MAX_QUEUE = 10_000;

/** A peer of the hub at `url`; connects on {@link start}. */
export class WebSwitchPeer extends SwitchNode {
  readonly name = 'webswitchPeer';
  private socket: WebSocket | undefined;
  private readonly queue: WireEvent[] = [];
  private stopped = true;
  private retryMs = 100;
  private timer: NodeJS.Timeout | undefined;
  private everConnected = false;

  constructor(
    options: WebSwitchOptions,
    private readonly url: string,
  ) {
    super(options);
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.listenLocally();
    this.connect();
  }

  /** Lets go of the local broker and closes the connection (bounded: 2 s). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopListening();
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close(1001, 'host stopping');
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 2_000).unref();
    });
  }

  override stats(): { relayed: number; delivered: number; connected: boolean } {
    return { ...super.stats(), connected: this.connected };
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = new WebSocket(this.url, { headers: { authorization: `Bearer ${this.options.secret}` }, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
    this.socket = socket;
    socket.on('open', () => {
      this.retryMs = 100;
      this.options.logger.info({ hub: this.url, reconnected: this.everConnected }, 'webswitch: connected to the hub');
      this.everConnected = true;
      for (const message of this.queue.splice(0)) this.write(socket, message);
    });
    socket.on('message', (data) => this.receive(data, socket));
    socket.on('unexpected-response', (_req, res) => {
      this.options.logger.error({ hub: this.url, status: res.statusCode }, 'webswitch: the hub refused the connection (check WEBSWITCH_SECRET)');
    });
    socket.on('error', (error) => this.options.logger.debug({ hub: this.url, err: error }, 'webswitch: connection error'));
    socket.on('close', () => {
      if (this.stopped) return;
      // Backoff with jitter, capped, so a restarted hub is not stormed by its peers.
      const delay = Math.min(10_000, this.retryMs) * (0.5 + Math.random() / 2);
      this.retryMs = Math.min(10_000, this.retryMs * 2);
      this.timer = setTimeout(() => this.connect(), delay);
      this.timer.unref();
    });
  }

  protected send(message: WireEvent, from: WebSocket | undefined): void {
    // What the hub sent is not sent back to it.
    if (from !== undefined) return;
    if (this.socket?.readyState === WebSocket.OPEN) return this.write(this.socket, message);
    this.queue.push(message);
    if (this.queue.length > MAX_QUEUE) {
      this.queue.shift();
      this.options.logger.warn({ queued: MAX_QUEUE }, 'webswitch: hub unreachable; the oldest queued event was dropped');
    }
  }
}
