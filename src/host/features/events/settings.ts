/** Events: this host's id, what it shares with other hosts (webswitch, Kafka), and the WebSocket stream's bounds. */
import os from 'node:os';
import { ConfigError, flag, integer, list, secret, text, type Env } from '../../../config/env-reader.js';
import { placementName } from '../api/settings.js';
import type { KafkaTransportOptions } from '../../../adapters/events/kafka/transport-options.js';

/** Kafka's settings are the transport's own options. */
export type KafkaSettings = KafkaTransportOptions;

export interface EventSettings {
  /** This host's id in events it shares with others. */
  hostId: string;
  /** Local event patterns shared with other hosts (over Kafka or the webswitch). */
  eventsShare: string[];
  /** Serve `/microlib/switch` for other hosts' events. */
  webswitchHub: boolean;
  /** Hub to connect to, e.g. ws://10.0.0.5:8070/microlib/switch. */
  webswitchUrl: string | undefined;
  /** Secret between the hub and its peers. */
  webswitchSecret: string | undefined;
  /** Events through Kafka, when KAFKA_BROKERS is set. */
  kafka: KafkaSettings | undefined;
  /** WebSocket clients: unsent bytes after which a slow client is dropped, and subscriptions per connection. */
  wsMaxBufferedBytes: number;
  wsMaxSubscriptions: number;
}

export function readEventSettings(env: Env): EventSettings {
  return {
    hostId: text(env, 'HOST_ID', `${os.hostname()}-${process.pid}`),
    eventsShare: list(env, 'EVENTS_SHARE', ['*']),
    ...webswitch(env),
    kafka: kafka(env),
    wsMaxBufferedBytes: integer(env, 'WS_MAX_BUFFERED_BYTES', 4_194_304, 1_024, 1_073_741_824),
    wsMaxSubscriptions: integer(env, 'WS_MAX_SUBSCRIPTIONS', 100, 1, 10_000),
  };
}

function webswitch(env: Env): Pick<EventSettings, 'webswitchHub' | 'webswitchUrl' | 'webswitchSecret'> {
  const webswitchHub = flag(env, 'WEBSWITCH_HUB');
  const webswitchUrl = env.WEBSWITCH_URL?.trim() || undefined;
  const webswitchSecret = secret(env, 'WEBSWITCH_SECRET');
  if (webswitchUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(webswitchUrl);
    } catch {
      throw new ConfigError('WEBSWITCH_URL', `not a URL: "${webswitchUrl}"`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new ConfigError('WEBSWITCH_URL', 'must be a ws:// or wss:// URL');
  }
  // An open hub would let anyone on the network inject events into every host.
  if ((webswitchHub || webswitchUrl) && !webswitchSecret) throw new ConfigError('WEBSWITCH_SECRET', 'is required with WEBSWITCH_HUB or WEBSWITCH_URL');
  return { webswitchHub, webswitchUrl, webswitchSecret };
}

function kafka(env: Env): KafkaSettings | undefined {
  const brokers = list(env, 'KAFKA_BROKERS', []);
  if (brokers.length === 0) return undefined;
  for (const broker of brokers) {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(broker)) throw new ConfigError('KAFKA_BROKERS', `"${broker}" is not host:port`);
  }
  const clientId = text(env, 'KAFKA_CLIENT_ID', 'microlib');
  const topic = text(env, 'KAFKA_TOPIC', 'microlib-events');
  // A template (microlib.{model}) names many topics: which to consume must be listed.
  if (topic.includes('{') && !env.KAFKA_SUBSCRIBE?.trim()) throw new ConfigError('KAFKA_SUBSCRIBE', 'list the topics to consume (or "none") when KAFKA_TOPIC is a template');
  const subscribe = env.KAFKA_SUBSCRIBE?.trim() === 'none' ? [] : list(env, 'KAFKA_SUBSCRIBE', [topic]);
  const placement = placementName(env);
  // Outside stock brokers' 6 s..30 min the group join is refused: the bridge warns, as a broker may be set otherwise.
  const sessionTimeoutMs = integer(env, 'KAFKA_SESSION_TIMEOUT_MS', 30_000, 1_000, 3_600_000);
  const heartbeatIntervalMs = integer(env, 'KAFKA_HEARTBEAT_INTERVAL_MS', 3_000, 100, 600_000);
  // kafkajs refuses to make such a consumer at all; a third of the session is what Kafka advises.
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new ConfigError('KAFKA_HEARTBEAT_INTERVAL_MS', `must be below KAFKA_SESSION_TIMEOUT_MS (${sessionTimeoutMs}); about a third of it is advised`);
  }
  return {
    brokers,
    clientId,
    // Each placement is a service of its own: its own group, so every placement sees each event once.
    groupId: text(env, 'KAFKA_GROUP_ID', placement === undefined ? clientId : `${clientId}-${placement}`),
    topic,
    subscribe,
    fromBeginning: flag(env, 'KAFKA_FROM_BEGINNING'),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    fetchMaxWaitMs: integer(env, 'KAFKA_FETCH_MAX_WAIT_MS', 5_000, 1, 600_000),
    startTimeoutMs: integer(env, 'KAFKA_START_TIMEOUT_MS', 30_000, 1, 600_000),
  };
}
