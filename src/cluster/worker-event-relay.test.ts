// Events cross between cluster workers only for WebSocket subscriptions: a primary side (StreamInterest
// and the relay primary.ts does) and worker links over in-memory channels that count what crosses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBroker, makeEvent, type DomainEvent } from '../domain/events/index.js';
import { memoryChannel, type MemoryChannelEnd } from '../../test/support/memory-channel.js';
import { IpcPeer } from './ipc-peer.js';
import { RELAYED_FROM } from './messages.js';
import { StreamInterest } from './stream-interest.js';
import { WorkerLink } from './worker-link.js';

interface TestWorker {
  local: EventBroker;
  stream: EventBroker;
  link: WorkerLink;
  /** The worker's end: counts the events it sends the primary. */
  toPrimary: MemoryChannelEnd;
}

/** A primary and `count` workers, each with its stream broker made (as the events feature does at start). */
async function cluster(count: number): Promise<TestWorker[]> {
  const peers = new Map<number, IpcPeer>();
  const interest = new StreamInterest((slot, wanted) => peers.get(slot)!.call('events.wanted', wanted));
  const workers = Array.from({ length: count }, (_, i) => {
    const slot = i + 1;
    const [primaryEnd, workerEnd] = memoryChannel();
    peers.set(
      slot,
      new IpcPeer(primaryEnd, { 'events.interest': (patterns) => interest.declare(slot, patterns) }, (topic, payload) => {
        if (topic !== 'event') return;
        const relayed = { ...(payload as DomainEvent), [RELAYED_FROM]: slot };
        for (const [other, peer] of peers) if (other !== slot && interest.wants(other, relayed.eventName)) peer.notify('event', relayed);
      }),
    );
    const link = new WorkerLink(slot, 1_000, workerEnd);
    const local = new EventBroker();
    return { local, stream: link.streamBroker(local), link, toPrimary: workerEnd };
  });
  await Promise.all(workers.map((w) => w.link.streamSettled()));
  return workers;
}

/** Event notifications `end` sent, batches unpacked. */
function eventsSent(end: MemoryChannelEnd): number {
  return end.messages
    .flatMap((message) => {
      const m = message as { mlb: string; messages?: unknown[] };
      return m.mlb === 'batch' ? (m.messages ?? []) : [m];
    })
    .filter((one) => (one as { topic?: string }).topic === 'event').length;
}

const event = (eventName: string, id: string) => makeEvent(eventName, { modelName: 'thing', data: { id } });
const turns = (n: number) => new Promise<void>((resolve) => {
  const next = (left: number) => (left === 0 ? resolve() : setImmediate(() => next(left - 1)));
  next(n);
});

describe('cluster event relay', () => {
  it('sends no event to the primary, and asks for none to be built, while no WebSocket client subscribes', async () => {
    const [a] = await cluster(2);
    assert.equal(a!.local.hasSubscribers('thingCreated'), false, 'a write builds no event nobody streams');
    await a!.local.publish(event('thingCreated', '1'));
    await turns(5);
    assert.equal(eventsSent(a!.toPrimary), 0);
  });

  it("relays another worker's matching events to a settled subscription, once each, and stops after it ends", async () => {
    const [a, b] = await cluster(2);
    const seen: DomainEvent[] = [];
    const unsubscribe = b!.stream.subscribe('thingCreated', (e) => void seen.push(e));
    await b!.link.streamSettled();
    assert.equal(a!.local.hasSubscribers('thingCreated'), true, 'the other worker now forwards the pattern');
    assert.equal(a!.local.hasSubscribers('thingDeleted'), false);
    await a!.local.publish(event('thingCreated', 'x'));
    await a!.local.publish(event('thingDeleted', 'x'));
    await turns(10);
    assert.deepEqual(seen.map((e) => [e.eventName, (e.data as { id: string }).id, e[RELAYED_FROM]]), [['thingCreated', 'x', 1]]);
    assert.equal(eventsSent(a!.toPrimary), 1, 'only the event a client wants crossed');

    unsubscribe();
    await b!.link.streamSettled();
    assert.equal(a!.local.hasSubscribers('thingCreated'), false, 'nobody streams it any more');
  });

  it("gives a worker's own clients its events once, whatever patterns overlap", async () => {
    const [a, b] = await cluster(2);
    const own: string[] = [];
    a!.stream.subscribe('thing*', (e) => void own.push((e.data as { id: string }).id as string));
    b!.stream.subscribe('*Created', () => undefined);
    await Promise.all([a!.link.streamSettled(), b!.link.streamSettled()]);
    await a!.local.publish(event('thingCreated', 'y'));
    await turns(10);
    assert.deepEqual(own, ['y']);
    assert.equal(eventsSent(a!.toPrimary), 1);
  });
});
