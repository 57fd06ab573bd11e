/**
 * The contract every way of sharing events between hosts fulfils (the
 * webswitch hub and peer, the Kafka bridge), so the host starts, stops and
 * reports them alike. What leaves the host and what comes in is decided by
 * each transport's {@link EventRelay}, written once for all of them.
 *
 * @packageDocumentation
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Takes over an HTTP upgrade request (a WebSocket endpoint). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** A WebSocket endpoint a transport serves: its path and its handler. */
export type UpgradeRoute = [path: string, handler: UpgradeHandler];

/**
 * Carries local events to other hosts and theirs into the local broker.
 *
 * Every transport promises: a local event matching the shared patterns leaves
 * the host once; an event that came from another host is published on the
 * local broker once, whatever the number of copies that arrived, and never
 * sent back out; after {@link stop} it neither sends nor delivers.
 */
export interface EventTransport {
  /** The key of this transport's counters in the host's event stats (`webswitchHub`, `webswitchPeer`, `kafka`). */
  readonly name: string;
  /** Begins sharing: listens to the local broker and connects. Connection problems are retried, not thrown. */
  start(): Promise<void>;
  /** Ends sharing, bounded in time: lets go of the local broker and closes its connections. */
  stop(): Promise<void>;
  /** Counters and state, for the admin API and tests. */
  stats(): object;
  /** The WebSocket endpoints it serves; none when absent. */
  upgrades?(): UpgradeRoute[];
}
