// The Kafka event bridge against librdkafka's mock cluster (or KAFKA_BROKERS): two
// EventBrokers stand for two hosts. Delivery once per consumer group, raw redeliveries
// dropped, committed offsets honoured across a restart, bad records skipped, and an
// unreachable cluster that neither blocks nor crashes. What every transport promises
// (no echo, one delivery, the share filter) is in kafka-transport.test.ts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { EventBroker, makeEvent, type DomainEvent } from '../src/domain/events/index.js';
import { KafkaBridge } from '../src/adapters/events/kafka/bridge.js';
import type { KafkaBridgeOptions } from '../src/adapters/events/kafka/options.js';
import { kafkaOrSkip } from './support/kafka-server.js';
import { markEveryPartition, type PartitionMarkers } from './support/kafka-markers.js';
import { until } from './support/until.js';

const run = randomUUID().slice(0, 8);
const topic = (name: string) => `bridge-${name}-${run}`;
const T = { groups: topic('groups'), dup: topic('dup'), bad: topic('bad'), resume: topic('resume') };

// dup and bad get the broker's default partition count, 3 here: nothing may assume stock Kafka's 1.
const { kafka, unavailable } = await kafkaOrSkip([`${T.groups}:4`, T.dup, T.bad, `${T.resume}:2`], { numPartitions: 3 });

/**
 * Test timings: the shortest session a stock broker accepts (group.min.session.timeout.ms), as the mock
 * waits for a rebalance almost a session timeout; it answers a fetch only after its max wait.
 */
const consumerTimings = () => ({
  sessionTimeout: 6_000,
  rebalanceTimeout: 6_000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 100,
});

interface Host {
  broker: EventBroker;
  bridge: KafkaBridge;
  /** Events each host's '*' listener saw. */
  seen: DomainEvent[];
  logs: Record<string, unknown>[];
}

const hosts: Host[] = [];

function host(options: Partial<KafkaBridgeOptions> & Pick<KafkaBridgeOptions, 'groupId'>): Host {
  const broker = new EventBroker();
  const seen: DomainEvent[] = [];
  broker.subscribe('*', (event) => void seen.push(event));
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const bridge = new KafkaBridge(broker, {
    brokers: kafka!.brokers,
    clientId: `test-${options.groupId}`,
    publish: [],
    subscribe: [],
    logger,
    fromBeginning: true,
    startTimeoutMs: 15_000,
    stopTimeoutMs: 5_000,
    consumer: consumerTimings(),
    ...options,
  });
  const made = { broker, bridge, seen, logs };
  hosts.push(made);
  return made;
}

// Bridges first: a client whose cluster vanished would spend its retries reconnecting.
after(async () => {
  await Promise.all(hosts.map((h) => h.bridge.stop()));
  await kafka?.stop();
});

const ids = (events: DomainEvent[]) => events.map((e) => e.id).sort();
/** The id of the record an event is about: what a partition marker is known by. */
const dataId = (event: DomainEvent) => (event.data as { id?: unknown } | undefined)?.id;
const dataIds = (events: DomainEvent[]) => events.map(dataId);
/** The events a test sent, without its partition markers. */
const sentOnly = (events: DomainEvent[], markers: PartitionMarkers) => events.filter((e) => !markers.isMarker(dataId(e)));

async function admin<T>(work: (client: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const client = new Kafka({ clientId: 'test-admin', brokers: kafka!.brokers, logLevel: logLevel.NOTHING }).admin();
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.disconnect();
  }
}

/** Sends raw records, as another producer (or a redelivery) would. */
async function produceRaw(name: string, values: (string | null)[]): Promise<void> {
  const producer = new Kafka({ clientId: 'test-raw', brokers: kafka!.brokers, logLevel: logLevel.NOTHING }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic: name, acks: -1, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

describe('kafka bridge', { skip: unavailable, timeout: 120_000 }, () => {
  it('delivers a local event once per consumer group, and never back to its own group', { timeout: 60_000 }, async () => {
    const a = host({ groupId: `svc-a-${run}`, publish: ['order*'], subscribe: [T.groups], topic: T.groups });
    const b1 = host({ groupId: `svc-b-${run}`, subscribe: [T.groups] });
    const b2 = host({ groupId: `svc-b-${run}`, subscribe: [T.groups] });
    const c = host({ groupId: `svc-c-${run}`, subscribe: [T.groups] });
    await Promise.all([a.bridge.start(), b1.bridge.start(), c.bridge.start()]);
    await b2.bridge.start();
    const partitions = await admin(async (client) => (await client.fetchTopicMetadata({ topics: [T.groups] })).topics[0]!.partitions.length);
    // The second member's join makes the first re-join; wait until the group's split is final.
    await until(() => {
      const one = b1.bridge.stats().assignment[T.groups] ?? [];
      const two = b2.bridge.stats().assignment[T.groups] ?? [];
      return one.length + two.length === partitions && new Set([...one, ...two]).size === partitions;
    }, 'the svc-b group to settle', 15_000);

    const sent = Array.from({ length: 8 }, (_, i) => makeEvent('orderCreated', { modelName: 'order', data: { id: `order-${i}` } }));
    for (const event of sent) await a.broker.publish(event);
    await a.broker.publish(makeEvent('customerCreated', { modelName: 'customer', data: { id: 'c1' } }));

    await until(() => a.bridge.stats().sent === 8, 'the order events sent', 15_000);
    // Every group has read every partition past the events, so a duplicate would be here by now.
    const markers = await markEveryPartition(kafka!.brokers, T.groups, { label: 'groups' });
    await until(
      () => [[...b1.seen, ...b2.seen], c.seen, a.seen].every((seen) => markers.allIn(dataIds(seen))),
      'groups svc-a, svc-b and svc-c to read every partition past the events',
      15_000,
    );
    const cSeen = sentOnly(c.seen, markers);
    assert.deepEqual(ids(sentOnly([...b1.seen, ...b2.seen], markers)), ids(sent), 'svc-b handled each event exactly once, on one of its members');
    assert.deepEqual(ids(cSeen), ids(sent), 'svc-c handled each event exactly once');
    assert.equal(sentOnly(a.seen, markers).length, 9, 'the publisher heard its own events locally, and none came back from Kafka');
    assert.equal(a.bridge.stats().ownSkipped, 8);
    assert.equal(a.bridge.stats().sent, 8, 'customerCreated matches no publish pattern');
    const first = cSeen[0]!;
    assert.deepEqual({ ...first }, { ...sent.find((e) => e.id === first.id) }, 'an event arrives as it was made');
    assert.ok(Object.isFrozen(first), 'received events are frozen like local ones');
  });

  it('hands an event delivered twice to the handlers once, whichever partitions the copies are on', { timeout: 60_000 }, async () => {
    const b = host({ groupId: `dup-${run}`, subscribe: [T.dup] });
    await b.bridge.start();
    const once = makeEvent('orderPaid', { modelName: 'order', data: { id: 'o1' } });
    const other = makeEvent('orderPaid', { modelName: 'order', data: { id: 'o2' } });
    // Unkeyed, so the copies spread over the partitions: no order between them is promised.
    await produceRaw(T.dup, [JSON.stringify(once), JSON.stringify(once), JSON.stringify(other)]);
    await until(() => b.bridge.stats().delivered + b.bridge.stats().duplicates >= 3, 'three records handled', 15_000);
    assert.deepEqual(ids(b.seen), ids([once, other]));
    assert.equal(b.bridge.stats().duplicates, 1);
    assert.equal(b.seen.find((e) => e.id === once.id)!.at, once.at, 'the event arrives as it was made');
  });

  it('logs and skips records that are not events', { timeout: 60_000 }, async () => {
    const b = host({ groupId: `bad-${run}`, subscribe: [T.bad] });
    await b.bridge.start();
    const good = makeEvent('orderShipped', { modelName: 'order', data: { id: 'o3' } });
    await produceRaw(T.bad, ['{not json', JSON.stringify({ eventName: 'noId' }), '[1,2]', null, JSON.stringify(good)]);
    await until(() => b.bridge.stats().invalid + b.bridge.stats().delivered >= 5, 'every record handled', 15_000);
    assert.deepEqual(b.seen.map((e) => e.id), [good.id]);
    assert.equal(b.bridge.stats().invalid, 4);
    const warnings = b.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('kafka bridge skipped a record'));
    // Spread over the partitions, so in no particular order.
    assert.deepEqual(warnings.map((l) => l.reason).sort(), ['empty record', 'no string id', 'not JSON', 'not a JSON object']);
  });

  it('resumes after a restart from its committed offsets, not from the beginning', { timeout: 60_000 }, async () => {
    const p = host({ groupId: `resume-p-${run}`, publish: ['step*'], topic: T.resume });
    const group = `resume-r-${run}`;
    const r1 = host({ groupId: group, subscribe: [T.resume] });
    await Promise.all([p.bridge.start(), r1.bridge.start()]);
    const steps = [1, 2, 3, 4].map((n) => makeEvent(`step${n}`, { modelName: 'job', data: { id: `job-${n}` } }));
    await p.broker.publish(steps[0]!);
    await p.broker.publish(steps[1]!);
    await until(() => r1.seen.length >= 2, 'steps 1 and 2', 15_000);
    await r1.bridge.stop();

    await p.broker.publish(steps[2]!);
    await p.broker.publish(steps[3]!);
    await until(() => p.bridge.stats().sent === 4, 'steps 3 and 4 sent while the receiver is down', 15_000);
    // A new process of the same service: new broker, new bridge, no memory of ids.
    const r2 = host({ groupId: group, subscribe: [T.resume] });
    await r2.bridge.start();
    // Once r2 has read every partition past the markers, a replay of steps 1 and 2 would be here by now.
    const markers = await markEveryPartition(kafka!.brokers, T.resume, { label: 'resume' });
    await until(() => markers.allIn(dataIds(r2.seen)), 'the restarted receiver to read every partition past the markers', 15_000);
    assert.deepEqual(ids(r1.seen), ids(steps.slice(0, 2)));
    assert.deepEqual(ids(sentOnly(r2.seen, markers)), ids(steps.slice(2)), 'only what the group had not processed');
  });

  it('keeps the host running when Kafka is unreachable, and stops in bounded time', { timeout: 30_000 }, async () => {
    const broker = new EventBroker();
    const logs: Record<string, unknown>[] = [];
    const bridge = new KafkaBridge(broker, {
      // Port 1 on loopback: nothing listens, connections are refused at once.
      brokers: ['127.0.0.1:1'],
      clientId: 'unreachable',
      groupId: `unreachable-${run}`,
      publish: ['*'],
      subscribe: ['nowhere'],
      logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
      startTimeoutMs: 1_500,
      stopTimeoutMs: 1_500,
      kafka: { retry: { retries: 1, initialRetryTime: 100 } },
    });
    hosts.push({ broker, bridge, seen: [], logs }); // stopped by the after hook if an assertion fails
    let started = Date.now();
    await bridge.start();
    assert.ok(Date.now() - started < 5_000, 'start() gave up waiting in time');
    started = Date.now();
    const report = await broker.publish(makeEvent('orderCreated', { data: { id: 'x' } }));
    assert.equal(report.failed.length, 0, 'the local publish is unaffected');
    assert.ok(Date.now() - started < 500, 'and does not wait for Kafka');
    assert.equal(bridge.stats().queued, 1);
    await until(() => logs.some((l) => l.level === 50 && /cannot connect|cannot start/.test(String(l.msg))), 'a connection error in the log', 10_000);
    started = Date.now();
    await bridge.stop();
    assert.ok(Date.now() - started < 6_000, 'stop() is bounded');
    assert.equal(bridge.stats().state, 'stopped');
    assert.equal(bridge.stats().dropped, 1, 'the unsent event is counted, not silently lost');
  });
});
