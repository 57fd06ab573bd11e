/**
 * How this host shares events with others: the webswitch hub and/or peer, and
 * the Kafka bridge, each present only when configured. Started once the host's
 * models are loaded (earlier, events from other hosts would reach no listener),
 * stopped before anything else so nothing arrives while the host winds down.
 */
import type { EventBroker } from '../../domain/events/index.js';
import type { Logger } from '../logging/logger.js';
import type { EventTransport, UpgradeRoute } from './event-transport.js';
import { deferredTransport } from './deferred-transport.js';
import { kafkaBridgeOptions, type KafkaTransportOptions } from './kafka/transport-options.js';
import { SWITCH_PATH } from './webswitch/wire.js';

/** What the host configures; shaped like the host's parsed configuration, which it passes as is. */
export interface EventTransportOptions {
  broker: EventBroker;
  logger: Logger;
  hostId: string;
  /** Local event patterns shared with other hosts. */
  share: string[];
  /** Serve the webswitch hub at `/microlib/switch`. */
  webswitchHub: boolean;
  /** The hub to join as a peer. */
  webswitchUrl: string | undefined;
  /** The secret between the hub and its peers. */
  webswitchSecret: string | undefined;
  /** Events through Kafka, when set. */
  kafka: KafkaTransportOptions | undefined;
}

/** The configured {@link EventTransport}s, started, stopped and reported together. */
export class EventTransports {
  /** In the order of their stats: hub, peer, Kafka (stopped the other way round). */
  private readonly transports: EventTransport[] = [];
  private readonly logger: Logger;

  constructor(options: EventTransportOptions) {
    const { broker, logger, kafka } = options;
    this.logger = logger;
    const switchOptions = { broker, logger: logger.child({ component: 'webswitch' }), hostId: options.hostId, share: options.share, secret: options.webswitchSecret ?? '' };
    // Each module is imported when its transport starts, so kafkajs and ws load only when configured.
    if (options.webswitchHub) this.transports.push(deferredTransport('webswitchHub', async () => new (await import('./webswitch/hub.js')).WebSwitchHub(switchOptions), [SWITCH_PATH]));
    const peerUrl = options.webswitchUrl;
    if (peerUrl) this.transports.push(deferredTransport('webswitchPeer', async () => new (await import('./webswitch/peer.js')).WebSwitchPeer(switchOptions, peerUrl)));
    if (kafka) {
      // Checked now, as before: a bad Kafka setting stops the start, not the first publish.
      const bridgeOptions = kafkaBridgeOptions(kafka, options.share, logger.child({ component: 'kafka' }));
      this.transports.push(deferredTransport('kafka', async () => new (await import('./kafka/bridge.js')).KafkaBridge(broker, bridgeOptions)));
    }
  }

  /** WebSocket endpoints these transports serve (the hub's). */
  upgrades(): UpgradeRoute[] {
    return this.transports.flatMap((transport) => transport.upgrades?.() ?? []);
  }

  /**
   * Starts them side by side and returns without waiting for any to connect:
   * the host listens at once, whether a broker is slow, unreachable or refuses
   * it. Each connects and retries in the background, queueing what is
   * published meanwhile, and logs its own problems.
   */
  start(): void {
    for (const transport of this.transports) {
      transport.start().catch((error: unknown) => this.logger.error({ err: error, transport: transport.name }, `event transport ${transport.name} failed to start`));
    }
  }

  /** Kafka first (it flushes what is queued), the hub last. */
  async stop(): Promise<void> {
    for (const transport of [...this.transports].reverse()) await transport.stop();
  }

  /** Counters of each transport that runs, for the admin API. */
  stats(): Record<string, unknown> {
    return Object.fromEntries(this.transports.map((transport) => [transport.name, transport.stats()]));
  }
}
