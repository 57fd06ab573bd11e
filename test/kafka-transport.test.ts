// The Kafka bridge against the event transport contract, on librdkafka's mock cluster
// (or KAFKA_BROKERS): hosts A and B are two services, each its own consumer group,
// both sending to and consuming one single-partition topic, fresh for every pair.
import { after } from 'node:test';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { KafkaBridge } from '../src/adapters/events/kafka/bridge.js';
import type { EventBroker } from '../src/domain/events/index.js';
import { eventTransportConformance } from './support/event-transport-conformance.js';
import { kafkaOrSkip } from './support/kafka-server.js';
import { until } from './support/until.js';

const run = randomUUID().slice(0, 8);
/** One topic per pair the suite makes (one partition, so one host's events stay in order). */
const topics = Array.from({ length: 6 }, (_, i) => `conformance-${i}-${run}`);
const { kafka, unavailable } = await kafkaOrSkip(topics.map((topic) => `${topic}:1`));
after(() => kafka?.stop());

let pairs = 0;

eventTransportConformance(
  'kafka',
  async ({ a, b, share }) => {
    const topic = topics[pairs++];
    if (!topic) throw new Error('kafka-transport.test: more pairs than topics; add topics');
    const bridge = (broker: EventBroker, host: string) =>
      new KafkaBridge(broker, {
        brokers: kafka!.brokers,
        clientId: `conformance-${host}`,
        groupId: `conformance-${host}-${topic}`,
        topic,
        publish: share,
        subscribe: [topic],
        fromBeginning: true,
        logger: pino({ level: 'silent' }),
        startTimeoutMs: 15_000,
        stopTimeoutMs: 5_000,
        // The shortest session a stock broker accepts (group.min.session.timeout.ms): the mock waits for a
        // rebalance almost a session timeout. It answers a fetch only after its max wait.
        consumer: { sessionTimeout: 6_000, rebalanceTimeout: 6_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 },
      });
    const bridges = { a: bridge(a, 'a'), b: bridge(b, 'b') };
    return {
      ...bridges,
      connected: async () =>
        void (await until(
          () => Object.values(bridges).every((x) => x.stats().consumer === 'joined' && x.stats().producer === 'connected'),
          'both bridges to connect and join their groups',
          15_000,
        )),
      sent: (side) => bridges[side].stats().sent,
      cleanup: async () => {},
    };
  },
  { skip: unavailable },
);
