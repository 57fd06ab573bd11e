/**
 * Events beyond this process: the WebSocket stream for clients
 * (`/microlib/ws/events`) and the transports to other hosts (webswitch, Kafka).
 * The local broker itself is the host's (every feature publishes to it).
 */
import type { EventBroker } from '../../../domain/events/index.js';
import { EventTransports } from '../../../adapters/events/event-transports.js';
import type { UpgradeHandler } from '../../../adapters/events/event-transport.js';
import { EVENTS_WS_PATH, EventStreamServer, type EventStreamOptions } from '../../../adapters/ws/event-stream-server.js';
import type { Logger } from '../../../adapters/logging/logger.js';
import type { CatalogView } from '../../../catalog/live-catalog.js';
import type { WorkerLink } from '../../../cluster/worker-link.js';
import type { Feature } from '../../feature.js';
import type { EventSettings } from './settings.js';

export interface EventsFeature extends Feature {
  /** WebSocket endpoints by path, for the HTTP server. */
  readonly upgrades: ReadonlyMap<string, UpgradeHandler>;
  /** Counters of the transports and the WebSocket clients (for /microlib/api/events and metrics). */
  stats(): Record<string, unknown>;
}

export interface EventsDeps {
  settings: EventSettings;
  broker: EventBroker;
  catalog: CatalogView;
  logger: Logger;
  cluster: WorkerLink | undefined;
  /** Who may open the stream and subscribe to what (security). */
  streamAccess: Pick<EventStreamOptions, 'authenticate' | 'authorizeModel' | 'authorizeEventNames'>;
}

export function eventsFeature({ settings, broker, catalog, logger, cluster, streamAccess }: EventsDeps): EventsFeature {
  const eventStream = new EventStreamServer({
    // In a cluster, WebSocket clients also see the events of the other workers.
    broker: cluster ? cluster.streamBroker(broker) : broker,
    ...(cluster ? { subscriptionsSettled: () => cluster.streamSettled() } : {}),
    // Events of models placed elsewhere arrive through Kafka: subscribing to them is fine here too.
    knownModel: (name) => catalog.current.knows(name),
    // MessagePack frames carry a model's bigint fields as 64-bit integers, as the API's answers do.
    recordToWire: (name, record) => catalog.current.byName(name)?.model.serializers?.toWire?.(record) ?? record,
    logger: logger.child({ component: 'ws' }),
    maxBufferedBytes: settings.wsMaxBufferedBytes,
    maxSubscriptions: settings.wsMaxSubscriptions,
    maxMessageBytes: 65_536,
    heartbeatMs: 30_000,
    ...streamAccess,
  });
  const transports = new EventTransports({
    broker,
    logger,
    hostId: settings.hostId,
    share: settings.eventsShare,
    webswitchHub: settings.webswitchHub,
    webswitchUrl: settings.webswitchUrl,
    webswitchSecret: settings.webswitchSecret,
    kafka: settings.kafka,
  });
  return {
    name: 'events',
    upgrades: new Map<string, UpgradeHandler>([[EVENTS_WS_PATH, eventStream.handleUpgrade.bind(eventStream)], ...transports.upgrades()]),
    stats: () => ({ ...transports.stats(), websocketClients: eventStream.stats() }),
    start: () => transports.start(),
    async stop() {
      await eventStream.close();
      await transports.stop();
    },
  };
}
