import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventBroker, makeEvent, type DomainEvent } from '../../domain/events/index.js';
import { EventRelay } from './event-relay.js';

function relayOn(share: string[], rememberIds = 100) {
  const broker = new EventBroker();
  const relay = new EventRelay({ broker, share, owner: 'test-relay', rememberIds });
  const sent: DomainEvent[] = [];
  relay.open((event) => void sent.push(event));
  return { broker, relay, sent };
}

describe('EventRelay', () => {
  it('hands out the local events the shared patterns match, each once', async () => {
    const { broker, sent } = relayOn(['order*', '*Created']);
    const created = makeEvent('orderCreated');
    await broker.publish(created);
    await broker.publish(makeEvent('customerDeleted'));
    const paid = makeEvent('orderPaid');
    await broker.publish(paid);
    assert.deepEqual(sent.map((e) => e.id), [created.id, paid.id], 'both patterns match orderCreated, yet it leaves once');
  });

  it('publishes an event from another host locally, once, and never hands it (or a copy) back out', async () => {
    const { broker, relay, sent } = relayOn(['*']);
    const heard: DomainEvent[] = [];
    broker.subscribe('*', (event) => void heard.push(event));
    const remote = makeEvent('orderCreated', { data: { id: 'o1' } });
    const delivery = relay.deliver(remote);
    assert.notEqual(delivery, false);
    await delivery;
    assert.equal(relay.deliver({ ...remote }), false, 'a second copy is a duplicate');
    await broker.publish({ ...remote });
    assert.deepEqual(heard.map((e) => e.id), [remote.id, remote.id], 'the delivery and the local re-publish');
    assert.deepEqual(sent, [], 'nothing that came in went out');
  });

  it('still recognises a received event object after its id was forgotten', async () => {
    const { broker, relay, sent } = relayOn(['*'], 1);
    const first = makeEvent('a');
    await relay.deliver(first);
    await relay.deliver(makeEvent('b'));
    await broker.publish(first);
    assert.deepEqual(sent, []);
  });

  it('hands out nothing once closed, and nothing before it is opened', async () => {
    const broker = new EventBroker();
    const relay = new EventRelay({ broker, share: ['*'], owner: 'test-relay', rememberIds: 10 });
    assert.equal(broker.hasSubscribers('x'), false);
    const sent: DomainEvent[] = [];
    relay.open((event) => void sent.push(event));
    relay.close();
    await broker.publish(makeEvent('x'));
    assert.deepEqual(sent, []);
    assert.equal(broker.hasSubscribers('x'), false, 'its subscriptions are gone');
  });

  it('refuses an invalid shared pattern when made', () => {
    assert.throws(() => new EventRelay({ broker: new EventBroker(), share: [''], owner: 'test-relay', rememberIds: 10 }), TypeError);
  });
});
