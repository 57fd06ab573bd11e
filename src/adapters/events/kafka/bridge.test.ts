import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { EventBroker } from '../../../domain/events/index.js';
import { KafkaBridge } from './bridge.js';

const options = { brokers: ['127.0.0.1:1'], clientId: 'c', groupId: 'g', publish: [], subscribe: ['t'], logger: pino({ level: 'silent' }) };

describe('KafkaBridge options', () => {
  it('refuses a consumer whose heartbeat is not below its session timeout, which kafkajs would throw at start, out of reach', () => {
    assert.throws(
      () => new KafkaBridge(new EventBroker(), { ...options, consumer: { sessionTimeout: 3_000 } }),
      /heartbeat interval \(3000 ms\) must be below its session timeout \(3000 ms\)/,
    );
    assert.doesNotThrow(() => new KafkaBridge(new EventBroker(), { ...options, consumer: { sessionTimeout: 6_000 } }));
    assert.doesNotThrow(() => new KafkaBridge(new EventBroker(), { ...options, subscribe: [], consumer: { sessionTimeout: 3_000 } }), 'no consumer, no heartbeat');
  });
});
