/**
 * How this host shares events with others: the webswitch hub and/or peer, and
 * the Kafka bridge, each present only when configured. Started once the host's
 * models are loaded (earlier, events from other hosts would reach no listener),
 * stopped before anything else so nothing arrives while the host winds down.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EventBroker } from '../../domain/events/index.js';
import type { KafkaSettings as KafkaConfig } from '../../host/host-config.js';
import type { Logger } from '../logging/logger.js';
import { KafkaBridge, topicTemplate } from './kafka-bridge.js';
import { SWITCH_PATH, WebSwitchHub, WebSwitchPeer } from './webswitch.js';

export interface EventTransportOptions {
  broker: EventBroker;
  logger: Logger;
  hostId: string;
  /** Local event patterns shared with other hosts. */
  share: string[];
  webswitchHub: boolean;
  webswitchUrl: string | undefined;
  webswitchSecret: string | undefined;
  kafka: KafkaConfig | undefined;
}

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export class EventTransports {
  private readonly hub: WebSwitchHub | undefined;
  private readonly bridge: KafkaBridge | undefined;
  private peer: WebSwitchPeer | undefined;
  private readonly switchOptions;

  constructor(private readonly options: EventTransportOptions) {
    const { broker, logger, kafka } = options;
    this.switchOptions = { broker, logger: logger.child({ component: 'webswitch' }), hostId: options.hostId, share: options.share, secret: options.webswitchSecret ?? '' };
    this.hub = options.webswitchHub ? new WebSwitchHub(this.switchOptions) : undefined;
    this.bridge = kafka
      ? new KafkaBridge(broker, {
          brokers: kafka.brokers,
          clientId: kafka.clientId,
          groupId: kafka.groupId,
          topic: kafka.topic,
          ...(kafka.topic.includes('{') ? { topicOf: topicTemplate(kafka.topic) } : {}),
          publish: options.share,
          subscribe: kafka.subscribe,
          fromBeginning: kafka.fromBeginning,
          startTimeoutMs: kafka.startTimeoutMs,
          consumer: { sessionTimeout: kafka.sessionTimeoutMs, heartbeatInterval: kafka.heartbeatIntervalMs, maxWaitTimeInMs: kafka.fetchMaxWaitMs },
          logger: logger.child({ component: 'kafka' }),
        })
      : undefined;
  }

  /** WebSocket endpoints these transports serve (the hub's). */
  upgrades(): Array<[string, UpgradeHandler]> {
    const hub = this.hub;
    return hub ? [[SWITCH_PATH, (req, socket, head) => hub.handleUpgrade(req, socket, head)]] : [];
  }

  async start(): Promise<void> {
    if (this.options.webswitchUrl) this.peer = new WebSwitchPeer(this.switchOptions, this.options.webswitchUrl);
    await this.bridge?.start();
  }

  async stop(): Promise<void> {
    await this.bridge?.stop();
    await this.peer?.close();
    await this.hub?.close();
  }

  /** Counters of each transport that runs, for the admin API. */
  stats(): Record<string, unknown> {
    return {
      ...(this.hub ? { webswitchHub: { ...this.hub.stats(), peers: this.hub.peers } } : {}),
      ...(this.peer ? { webswitchPeer: { ...this.peer.stats(), connected: this.peer.connected } } : {}),
      ...(this.bridge ? { kafka: this.bridge.stats() } : {}),
    };
  }
}
