/**
 * Events between hosts without a broker (the seed's "webswitch"): one host is
 * the hub (`/microlib/switch`), the others connect to it over WebSocket. Local
 * events matching the shared patterns go to the hub, which publishes them on
 * its own broker and relays them to every other peer. Delivery is at most once
 * (a disconnected peer misses events; a bounded queue covers short gaps); use
 * Kafka when every event must arrive.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import type { DomainEvent, EventBroker } from '../../domain/events/index.js';
import type { Logger } from '../logging/logger.js';
import { RecentIds } from './recent-ids.js';

export const SWITCH_PATH = '/microlib/switch';

export interface WebSwitchOptions {
  broker: EventBroker;
  logger: Logger;
  /** This host's id, sent with its events so nobody sends them back. */
  hostId: string;
  /** Local event patterns shared with other hosts. */
  share: readonly string[];
  /** Shared secret peers present to the hub (`authorization: Bearer …`). */
  secret: string;
  /** Unsent bytes after which a peer connection is dropped (it reconnects). */
  maxBufferedBytes?: number;
}

interface WireEvent {
  type: 'event';
  origin: string;
  event: DomainEvent;
}

const OWNER = 'webswitch';
const MAX_QUEUE = 10_000;
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

function isWireEvent(value: unknown): value is WireEvent {
  const v = value as Partial<WireEvent> | null;
  return typeof v === 'object' && v !== null && v.type === 'event' && typeof v.origin === 'string' && typeof v.event?.id === 'string' && typeof v.event.eventName === 'string';
}

/** What hub and peer share: local events out, remote events in, no echo, no duplicate. */
abstract class SwitchNode {
  /** Ids of events that arrived from other hosts: published locally, never sent back out. */
  protected readonly received = new RecentIds(50_000);
  private readonly unsubscribers: Array<() => void> = [];
  protected relayed = 0;
  protected delivered = 0;

  constructor(protected readonly options: WebSwitchOptions) {}

  protected listenLocally(): void {
    for (const pattern of this.options.share) {
      this.unsubscribers.push(
        this.options.broker.subscribe(pattern, (event) => {
          if (!this.received.has(event.id)) this.send({ type: 'event', origin: this.options.hostId, event }, undefined);
        }, { owner: OWNER }),
      );
    }
  }

  protected stopListening(): void {
    this.unsubscribers.splice(0).forEach((unsubscribe) => unsubscribe());
  }

  /** Sends to the other side(s), except `from`. */
  protected abstract send(message: WireEvent, from: WebSocket | undefined): void;

  /** An event from another host: published here once, whatever the number of paths it took. */
  protected receive(data: WebSocket.RawData, from: WebSocket): void {
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      this.options.logger.warn({}, 'webswitch: a message that is not JSON was dropped');
      return;
    }
    if (!isWireEvent(message)) {
      this.options.logger.warn({}, 'webswitch: a message that is not an event was dropped');
      return;
    }
    if (message.origin === this.options.hostId || !this.received.add(message.event.id)) return;
    this.delivered++;
    void this.options.broker.publish(message.event);
    this.send(message, from);
  }

  protected write(socket: WebSocket, message: WireEvent): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > (this.options.maxBufferedBytes ?? 16 * 1024 * 1024)) {
      this.options.logger.warn({ bufferedBytes: socket.bufferedAmount }, 'webswitch: a peer too slow to keep up was dropped; it reconnects');
      socket.terminate();
      return;
    }
    this.relayed++;
    socket.send(JSON.stringify(message));
  }

  stats(): { relayed: number; delivered: number } {
    return { relayed: this.relayed, delivered: this.delivered };
  }
}

/** The hub: accepts peers at {@link SWITCH_PATH}. */
export class WebSwitchHub extends SwitchNode {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });

  constructor(options: WebSwitchOptions) {
    super(options);
    this.wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
      options.logger.info({ peer: req.socket.remoteAddress }, 'webswitch: peer connected');
      socket.on('message', (data) => this.receive(data, socket));
      socket.on('error', (error) => options.logger.debug({ err: error }, 'webswitch: peer connection error'));
      socket.on('close', () => options.logger.info({ peer: req.socket.remoteAddress }, 'webswitch: peer left'));
    });
    this.listenLocally();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const offered = Buffer.from(req.headers.authorization ?? '');
    const expected = Buffer.from(`Bearer ${this.options.secret}`);
    if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  get peers(): number {
    return this.wss.clients.size;
  }

  protected send(message: WireEvent, from: WebSocket | undefined): void {
    for (const peer of this.wss.clients) if (peer !== from) this.write(peer, message);
  }

  close(): Promise<void> {
    this.stopListening();
    for (const peer of this.wss.clients) peer.close(1001, 'host stopping');
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

/** A peer: connects to a hub, reconnecting with backoff; queues (boundedly) while disconnected. */
export class WebSwitchPeer extends SwitchNode {
  private socket: WebSocket | undefined;
  private readonly queue: WireEvent[] = [];
  private stopped = false;
  private retryMs = 100;
  private timer: NodeJS.Timeout | undefined;
  private everConnected = false;

  constructor(
    options: WebSwitchOptions,
    private readonly url: string,
  ) {
    super(options);
    this.listenLocally();
    this.connect();
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
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

  async close(): Promise<void> {
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
}
