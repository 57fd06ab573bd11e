import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONSUMER_OPTION_NAMES, isSessionTimeoutRefusal, sessionTimeoutRefusal, timingWarnings } from './session-timeout.js';

const env = { sessionTimeout: 'KAFKA_SESSION_TIMEOUT_MS', heartbeatInterval: 'KAFKA_HEARTBEAT_INTERVAL_MS' };

describe('kafka session timeout', () => {
  it('warns of nothing for the defaults, which stock brokers accept', () => {
    assert.deepEqual(timingWarnings(undefined, env), []);
    assert.deepEqual(timingWarnings({ sessionTimeout: 6_000, heartbeatInterval: 300 }, env), []);
  });

  it('warns of a session timeout outside the stock range, and of a heartbeat over a third of the session', () => {
    const [low, heartbeat] = timingWarnings({ sessionTimeout: 3_000, heartbeatInterval: 3_000 }, env);
    assert.match(low!, /^KAFKA_SESSION_TIMEOUT_MS=3000 is below 6000, the group\.min\.session\.timeout\.ms of a stock Kafka broker/);
    assert.match(heartbeat!, /^KAFKA_HEARTBEAT_INTERVAL_MS=3000 is more than a third of KAFKA_SESSION_TIMEOUT_MS=3000/);
    assert.match(timingWarnings({ sessionTimeout: 2_000_000 }, CONSUMER_OPTION_NAMES)[0]!, /^consumer\.sessionTimeout=2000000 is above 1800000, the group\.max\.session\.timeout\.ms/);
  });

  it('names the broker setting that refused a join, the value sent and what to change', () => {
    assert.match(sessionTimeoutRefusal('g', 3_000, env), /join consumer group "g": the session timeout it sent, 3000 ms, is below the broker's group\.min\.session\.timeout\.ms \(6000 on a stock broker\); set KAFKA_SESSION_TIMEOUT_MS to at least that/);
    assert.match(sessionTimeoutRefusal('g', 2_000_000, env), /2000000 ms, is above the broker's group\.max\.session\.timeout\.ms \(1800000 on a stock broker\); set KAFKA_SESSION_TIMEOUT_MS to at most that/);
    assert.match(sessionTimeoutRefusal('g', 30_000, env), /30000 ms, is outside the range the broker allows: this broker raised group\.min\.session\.timeout\.ms above it or lowered group\.max\.session\.timeout\.ms below it/);
  });

  it('recognises the refusal however deep kafkajs wrapped it', () => {
    const refusal = Object.assign(new Error('The session timeout is not within the range allowed by the broker'), { type: 'INVALID_SESSION_TIMEOUT' });
    assert.ok(isSessionTimeoutRefusal(refusal));
    assert.ok(isSessionTimeoutRefusal(new Error('retries exceeded', { cause: new Error('join failed', { cause: refusal }) })));
    assert.ok(!isSessionTimeoutRefusal(Object.assign(new Error('no'), { type: 'REBALANCE_IN_PROGRESS' })));
    assert.ok(!isSessionTimeoutRefusal('INVALID_SESSION_TIMEOUT'));
  });
});
