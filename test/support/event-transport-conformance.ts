/**
 * The behaviour every event transport must show, whatever carries the events.
 * Register it from a transport's own test file with a maker of two connected
 * hosts:
 *
 *     eventTransportConformance('webswitch', async ({ a, b, share }) => ({ a: hub, b: peer, ... }));
 *
 * Only what the `EventTransport` contract promises is checked: an event
 * crosses once and whole, what came in never goes back out, a duplicate is
 * dropped, the share filter holds, stop lets go of the local broker.
 *
 * Nothing here waits a fixed time. What must NOT arrive is checked by sending
 * a marker event after it from the same host: the transports keep one host's
 * events in order, so once the marker is in, anything sent before it is too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBroker, makeEvent, type DomainEvent } from '../../src/domain/events/index.js';
import type { EventTransport } from '../../src/adapters/events/event-transport.js';
import { until } from './until.js';

/** Two hosts' transports, made by a {@link TransportPairMaker}, not started yet. */
export interface TransportPair {
  /** Host A's transport, on the broker given as `a`. */
  a: EventTransport;
  /** Host B's transport, on the broker given as `b`. */
  b: EventTransport;
  /**
   * Resolves once both transports, started, are connected: an event published
   * now on either side reaches the other, in the order its host sent it.
   */
  connected(): Promise<void>;
  /** How many events `side` has sent to the other host so far, by its transport's own count. */
  sent(side: 'a' | 'b'): number;
  /** Releases what the maker set up besides the transports (servers, topics); the suite stops the transports. */
  cleanup(): Promise<void>;
}

/** Makes two transports connected to each other, sharing the local events matching `share`. Called once per test. */
export type TransportPairMaker = (hosts: { a: EventBroker; b: EventBroker; share: readonly string[] }) => Promise<TransportPair>;

/** Options of {@link eventTransportConformance}. */
export interface ConformanceOptions {
  /** Why the suite is skipped (e.g. no Kafka here); runs when undefined. */
  skip?: string | undefined;
  /** Longest wait for anything to arrive. Default 15 s. */
  waitMs?: number;
}

/** The owner of the suite's own listeners on both brokers. */
const OWNER = 'conformance';

interface Hosts {
  pair: TransportPair;
  brokers: { a: EventBroker; b: EventBroker };
  /** What each host's local listeners saw, in order. */
  seen: { a: DomainEvent[]; b: DomainEvent[] };
  /** Publishes a marker on `from` and waits for it on the other host: everything `from` sent before is there too. */
  flush(from: 'a' | 'b'): Promise<DomainEvent>;
}

/** Registers the suite (one `describe`, one pair per test) for the transport `name`. */
export function eventTransportConformance(name: string, makePair: TransportPairMaker, options: ConformanceOptions = {}): void {
  const waitMs = options.waitMs ?? 15_000;

  /** Makes and connects a pair, runs `body`, then stops both transports and cleans up, whatever happened. */
  async function withHosts(share: readonly string[], body: (hosts: Hosts) => Promise<void>): Promise<void> {
    const brokers = { a: new EventBroker(), b: new EventBroker() };
    const seen = { a: [] as DomainEvent[], b: [] as DomainEvent[] };
    brokers.a.subscribe('*', (event) => void seen.a.push(event), { owner: OWNER });
    brokers.b.subscribe('*', (event) => void seen.b.push(event), { owner: OWNER });
    const pair = await makePair({ ...brokers, share });
    try {
      await Promise.all([pair.a.start(), pair.b.start()]);
      await pair.connected();
      let markers = 0;
      const flush = async (from: 'a' | 'b') => {
        const to = from === 'a' ? 'b' : 'a';
        const marker = makeEvent('orderMarked', { modelName: 'order', data: { id: `marker-${++markers}` } });
        await brokers[from].publish(marker);
        await until(() => seen[to].some((event) => event.id === marker.id), `the marker from host ${from.toUpperCase()} on host ${to.toUpperCase()}`, waitMs);
        return marker;
      };
      await body({ pair, brokers, seen, flush });
    } finally {
      await pair.b.stop();
      await pair.a.stop();
      await pair.cleanup();
    }
  }

  const idsOf = (events: DomainEvent[]) => events.map((event) => event.id);
  /** Only the events that were not markers. */
  const payload = (events: DomainEvent[]) => events.filter((event) => event.eventName !== 'orderMarked');

  describe(`event transport conformance: ${name}`, { skip: options.skip, timeout: 20 * waitMs }, () => {
    it('delivers an event published on one host to the other once, with the same id, name and data, both ways', async () => {
      await withHosts(['order*'], async ({ brokers, seen, flush }) => {
        for (const [from, to] of [['a', 'b'], ['b', 'a']] as const) {
          const event = makeEvent('orderCreated', { modelName: 'order', data: { id: `o-${from}`, total: 12.5, lines: [{ sku: 'x', qty: 2 }] } });
          await brokers[from].publish(event);
          await flush(from);
          const arrived = payload(seen[to]).filter((e) => e.id === event.id);
          assert.equal(arrived.length, 1, `host ${to.toUpperCase()} got the event of host ${from.toUpperCase()} once`);
          const [copy] = arrived;
          assert.equal(copy!.eventName, event.eventName);
          assert.equal(copy!.modelName, event.modelName);
          assert.equal(copy!.at, event.at);
          assert.deepEqual(copy!.data, event.data);
        }
        assert.equal(payload(seen.a).length, 2, 'host A heard its own event locally and B\'s once, nothing more');
      });
    });

    it('does not send an event it received back out, nor a copy a handler published again', async () => {
      await withHosts(['*'], async ({ pair, brokers, seen, flush }) => {
        // A handler on B re-publishes what it hears: the copy has the same id and must stay local too.
        brokers.b.subscribe('orderPinged', (event) => brokers.b.publish({ ...event }), { once: true, owner: OWNER });
        const ping = makeEvent('orderPinged', { modelName: 'order', data: { id: 'p1' } });
        await brokers.a.publish(ping);
        await until(() => seen.b.filter((e) => e.id === ping.id).length === 2, 'the ping and its local copy on host B', waitMs);
        await flush('b');
        await until(() => pair.sent('b') >= 1, 'host B to count its marker as sent', waitMs);
        assert.equal(pair.sent('b'), 1, 'host B sent its marker and nothing else');
        assert.deepEqual(idsOf(payload(seen.a)), [ping.id], 'host A heard its ping once, locally');
      });
    });

    it('drops an event that arrives a second time', async () => {
      await withHosts(['order*'], async ({ pair, brokers, seen, flush }) => {
        const event = makeEvent('orderPaid', { modelName: 'order', data: { id: 'o1' } });
        await brokers.a.publish(event);
        // Another object with the same id: host A sends it again, as a redelivery would arrive.
        await brokers.a.publish({ ...event });
        await flush('a');
        await until(() => pair.sent('a') >= 3, 'host A to send the event, its copy and the marker', waitMs);
        assert.deepEqual(idsOf(payload(seen.b)), [event.id], 'host B handled it once');
      });
    });

    it('sends only the local events the share filter matches', async () => {
      await withHosts(['order*'], async ({ pair, brokers, seen, flush }) => {
        await brokers.a.publish(makeEvent('customerCreated', { modelName: 'customer', data: { id: 'c1' } }));
        const order = makeEvent('orderCreated', { modelName: 'order', data: { id: 'o2' } });
        await brokers.a.publish(order);
        await flush('a');
        await until(() => pair.sent('a') >= 2, 'host A to count the order and the marker as sent', waitMs);
        assert.deepEqual(idsOf(payload(seen.b)), [order.id], 'host B got the order, not the customer');
        assert.equal(pair.sent('a'), 2, 'the customer event never left host A');
      });
    });

    it('lets go of its broker on stop, so no local event leaves any more', async () => {
      await withHosts(['*'], async ({ pair, brokers }) => {
        for (const side of ['b', 'a'] as const) {
          assert.notDeepEqual(brokers[side].subscriptions().filter((s) => s.owner !== OWNER), [], `host ${side.toUpperCase()}'s transport listens while started`);
          await pair[side].stop();
          assert.deepEqual(brokers[side].subscriptions().filter((s) => s.owner !== OWNER), [], `host ${side.toUpperCase()}'s transport no longer listens to its broker`);
        }
      });
    });
  });
}
