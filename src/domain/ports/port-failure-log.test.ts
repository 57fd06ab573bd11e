import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortFailureLog } from './port-failure-log.js';

describe('PortFailureLog', () => {
  it('keeps the newest failures of each port, newest first, with code and message', () => {
    const log = new PortFailureLog(3);
    for (let i = 1; i <= 5; i++) {
      const error = Object.assign(new Error(`boom ${i}`), { code: 'MLB_ERR_PORT_FAILED' });
      log.record('order', 'shipOrder', { outcome: 'failed', error, id: `o${i}` }, new Date(Date.UTC(2025, 0, 1, 0, 0, i)));
    }
    log.record('order', 'authorizePayment', { outcome: 'undo-failed', error: 'plain string' });
    assert.deepEqual(
      log.recent('order', 'shipOrder').map((f) => [f.message, f.id, f.code, f.at]),
      [
        ['boom 5', 'o5', 'MLB_ERR_PORT_FAILED', '2025-01-01T00:00:05.000Z'],
        ['boom 4', 'o4', 'MLB_ERR_PORT_FAILED', '2025-01-01T00:00:04.000Z'],
        ['boom 3', 'o3', 'MLB_ERR_PORT_FAILED', '2025-01-01T00:00:03.000Z'],
      ],
    );
    assert.deepEqual(log.recent('order', 'authorizePayment').map((f) => [f.outcome, f.message, f.code, f.id]), [['undo-failed', 'plain string', null, null]]);
    assert.deepEqual(log.recent('order', 'checkInventory'), []);
  });

  it('forgets the port that failed least recently once it tracks too many', () => {
    const log = new PortFailureLog(2, 2);
    log.record('m', 'a', { outcome: 'failed', error: new Error('a') });
    log.record('m', 'b', { outcome: 'failed', error: new Error('b') });
    log.record('m', 'a', { outcome: 'failed', error: new Error('a again') });
    log.record('m', 'c', { outcome: 'failed', error: new Error('c') });
    assert.equal(log.recent('m', 'b').length, 0);
    assert.deepEqual(log.recent('m', 'a').map((f) => f.message), ['a again', 'a']);
    assert.equal(log.recent('m', 'c').length, 1);
  });
});
