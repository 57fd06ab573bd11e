import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaMessage } from 'kafkajs';
import { makeEvent } from '../../../domain/events/index.js';
import { fromRecord, HEADERS, sentBy, toRecord, topicTemplate } from './codec.js';

/** A consumed record as kafkajs hands it over. */
function consumed(value: string | null, headers: KafkaMessage['headers'] = {}): KafkaMessage {
  return { key: null, value: value === null ? null : Buffer.from(value), timestamp: '1700000000000', attributes: 0, offset: '0', headers };
}

describe('Kafka topic templates', () => {
  it('names a topic per model or event, with characters Kafka refuses replaced', () => {
    assert.equal(topicTemplate('microlib.{model}')(makeEvent('orderCreated', { modelName: 'order' })), 'microlib.order');
    assert.equal(topicTemplate('microlib.{model}')(makeEvent('remoteReloaded')), 'microlib.host');
    assert.equal(topicTemplate('ev/{event}')(makeEvent('a b')), 'ev_a_b');
  });
});

describe('Kafka records', () => {
  const sender = { origin: 'host-1/42/abcd', groupId: 'orders' };

  it('keys a record by the model and id of what it is about, and names event and sender in headers', () => {
    const event = makeEvent('orderCreated', { modelName: 'order', data: { id: 7 } });
    const record = toRecord(event, JSON.stringify(event), sender);
    assert.equal(record.key, 'order/7');
    assert.deepEqual(record.headers, {
      [HEADERS.eventId]: event.id,
      [HEADERS.eventName]: 'orderCreated',
      [HEADERS.origin]: sender.origin,
      [HEADERS.group]: 'orders',
      'content-type': 'application/json',
    });
    assert.equal(toRecord(makeEvent('ping'), '{}', sender).key, null, 'no id, no key');
  });

  it('reads back the event it wrote, frozen, and fills in a missing time from the record', () => {
    const event = makeEvent('orderCreated', { modelName: 'order', data: { id: 'o1' } });
    const read = fromRecord(consumed(JSON.stringify(event)));
    assert.deepEqual(read, { ...event });
    assert.ok(Object.isFrozen(read));
    const timeless = fromRecord(consumed(JSON.stringify({ id: 'x', eventName: 'ping' })));
    assert.equal(typeof timeless === 'object' && timeless.at, new Date(1700000000000).toISOString());
  });

  it('says why a record is not an event', () => {
    assert.equal(fromRecord(consumed(null)), 'empty record');
    assert.equal(fromRecord(consumed('{not json')), 'not JSON');
    assert.equal(fromRecord(consumed('[1]')), 'not a JSON object');
    assert.equal(fromRecord(consumed('{"eventName":"x"}')), 'no string id');
    assert.equal(fromRecord(consumed('{"id":"1"}')), 'no string eventName');
    assert.equal(fromRecord(consumed('{"id":"1","eventName":"x","modelName":3}')), 'modelName is not a string');
  });

  it('recognises records of this process, and of its group when asked', () => {
    const own = consumed('{}', { [HEADERS.origin]: Buffer.from(sender.origin), [HEADERS.group]: Buffer.from('orders') });
    const sibling = consumed('{}', { [HEADERS.origin]: Buffer.from('host-2/7/ffff'), [HEADERS.group]: Buffer.from('orders') });
    assert.equal(sentBy(own, sender, false), true);
    assert.equal(sentBy(sibling, sender, false), false);
    assert.equal(sentBy(sibling, sender, true), true);
    assert.equal(sentBy(consumed('{}'), sender, true), false);
  });
});
