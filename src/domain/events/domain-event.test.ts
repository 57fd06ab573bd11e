import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeEvent } from './domain-event.js';

describe('makeEvent', () => {
  it('sets id, eventName and ISO time from the clock', () => {
    const event = makeEvent('orderCreated', { modelName: 'order', data: { total: 3 } }, {
      id: () => 'id-1',
      now: () => new Date('2024-01-02T03:04:05.000Z'),
    });
    assert.deepEqual({ ...event }, {
      id: 'id-1',
      eventName: 'orderCreated',
      modelName: 'order',
      at: '2024-01-02T03:04:05.000Z',
      data: { total: 3 },
    });
  });

  it('defaults to unique UUIDs and the current time', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => makeEvent('x').id));
    assert.equal(ids.size, 1000);
    const event = makeEvent('x');
    assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(Math.abs(Date.parse(event.at) - Date.now()) < 5000);
  });

  it('keeps extra fields but never lets them override id, eventName or at', () => {
    const event = makeEvent('a', { id: 'forged', eventName: 'b', at: 'then', traceId: 't1' }, { id: () => 'real' });
    assert.equal(event.id, 'real');
    assert.equal(event.eventName, 'a');
    assert.notEqual(event.at, 'then');
    assert.equal(event['traceId'], 't1');
  });

  it('is frozen so handlers cannot alter what others see', () => {
    const event = makeEvent('a');
    assert.ok(Object.isFrozen(event));
  });

  it('rejects an empty event name', () => {
    assert.throws(() => makeEvent(''), TypeError);
  });
});
