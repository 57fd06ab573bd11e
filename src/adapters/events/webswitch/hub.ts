/**
 * The webswitch hub: accepts peers at {@link SWITCH_PATH}, publishes what
 * each sends on its own broker and relays it to every other peer.
 *
 * @packageDocumentation
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import type { UpgradeRoute } from '../event-transport.js';
import { SwitchNode, type WebSwitchOptions } from './switch-node.js';
import { MAX_MESSAGE_BYTES, SWITCH_PATH, type WireEvent } from './wire.js';

/** The hub. Its endpoint works from construction; {@link start} begins sending local events. Not restartable. */
export class WebSwitchHub extends SwitchNode {
  readonly name = 'webswitchHub';
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });

  constructor(options: WebSwitchOptions) {
    super(options);
    this.wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
      options.logger.info({ peer: req.socket.remoteAddress }, 'webswitch: peer connected');
      socket.on('message', (data) => this.receive(data, socket));
      socket.on('error', (error) => options.logger.debug({ err: error }, 'webswitch: peer connection error'));
      socket.on('close', () => options.logger.info({ peer: req.socket.remoteAddress }, 'webswitch: peer left'));
    });
  }

  /** Accepts a peer presenting the secret; answers 401 to anyone else. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const offered = Buffer.from(req.headers.authorization ?? '');
    const expected = Buffer.from(`Bearer ${this.options.secret}`);
    if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  upgrades(): UpgradeRoute[] {
    return [[SWITCH_PATH, (req, socket, head) => this.handleUpgrade(req, socket, head)]];
  }

  get peers(): number {
    return this.wss.clients.size;
  }

  async start(): Promise<void> {
    this.listenLocally();
  }

  /** Lets go of the local broker and closes every peer's connection. */
  stop(): Promise<void> {
    this.stopListening();
    for (const peer of this.wss.clients) peer.close(1001, 'host stopping');
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  override stats(): { relayed: number; delivered: number; peers: number } {
    return { ...super.stats(), peers: this.peers };
  }

  protected send(message: WireEvent, from: WebSocket | undefined): void {
    for (const peer of this.wss.clients) if (peer !== from) this.write(peer, message);
  }
}
