import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RecentIds } from './recent-ids.js';
import { topicTemplate } from './kafka-bridge.js';
import { makeEvent } from '../../domain/events/index.js';

describe('RecentIds', () => {
  it('tells duplicates, and forgets the oldest beyond its capacity', () => {
    const ids = new RecentIds(2);
    assert.equal(ids.add('a'), true);
    assert.equal(ids.add('a'), false);
    ids.add('b');
    ids.add('c');
    assert.equal(ids.has('a'), false);
    assert.equal(ids.has('b'), true);
    assert.equal(ids.has('c'), true);
  });
});

describe('Kafka topic templates', () => {
  it('names a topic per model or event, with characters Kafka refuses replaced', () => {
    assert.equal(topicTemplate('microlib.{model}')(makeEvent('orderCreated', { modelName: 'order' })), 'microlib.order');
    assert.equal(topicTemplate('microlib.{model}')(makeEvent('remoteReloaded')), 'microlib.host');
    assert.equal(topicTemplate('ev/{event}')(makeEvent('a b')), 'ev_a_b');
  });
});
