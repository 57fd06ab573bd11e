/**
 * Events between hosts without a broker (the seed's "webswitch"): one host is
 * the hub (`/microlib/switch`), the others connect to it over WebSocket. Local
 * events matching the shared patterns go to the hub, which publishes them on
 * its own broker and relays them to every other peer. Delivery is at most once
 * (a disconnected peer misses events; a bounded queue covers short gaps); use
 * Kafka when every event must arrive.
 *
 * This file holds what hub and peer share: local events out through the
 * relay, messages from the other side parsed and handed to the relay, and
 * writes that drop a connection too slow to keep up.
 *
 * @packageDocumentation
 */
import { WebSocket } from 'ws';
import type { EventBroker } from '../../../domain/events/event-broker.js';
import type { Logger } from '../../logging/logger.js';
import { EventRelay } from '../event-relay.js';
import type { EventTransport } from '../event-transport.js';
import { fromWire, wireEvent, type WireEvent } from './wire.js';

/** Options of the webswitch hub and peer. */
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

/** Owner of the webswitch's subscriptions on the local broker. */
const OWNER = 'webswitch';
/** Ids remembered to drop duplicates: many, since a hub relays the events of all its peers. */
const REMEMBERED_IDS = 50_000;

/** The common part of {@link WebSwitchHub} and {@link WebSwitchPeer}. */
export abstract class SwitchNode implements EventTransport {
  abstract readonly name: string;
  protected readonly relay: EventRelay;
  protected relayed = 0;
  protected delivered = 0;

  constructor(protected readonly options: WebSwitchOptions) {
    this.relay = new EventRelay({ broker: options.broker, share: options.share, owner: OWNER, rememberIds: REMEMBERED_IDS });
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  /** Local events from now on go to the other side(s). */
  protected listenLocally(): void {
    this.relay.open((event) => this.send(wireEvent(event, this.options.hostId), undefined));
  }

  protected stopListening(): void {
    this.relay.close();
  }

  /** Sends to the other side(s), except `from`. */
  protected abstract send(message: WireEvent, from: WebSocket | undefined): void;

  /** A message from `from`: an event of another host is published here once, whatever the number of paths it took. */
  protected receive(data: WebSocket.RawData, from: WebSocket): void {
    const message = fromWire(data.toString());
    if (typeof message === 'string') {
      this.options.logger.warn({}, message);
      return;
    }
    if (message.origin === this.options.hostId || this.relay.deliver(message.event) === false) return;
    this.delivered++;
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

  /** Events written to the other side(s), and events from them published here. */
  stats(): { relayed: number; delivered: number } {
    return { relayed: this.relayed, delivered: this.delivered };
  }
}
