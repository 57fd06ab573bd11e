import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPortSpecs, portSettings } from './port-settings.js';

describe('port specs', () => {
  it('accepts a chain of ports with undo ports', () => {
    assert.doesNotThrow(() =>
      checkPortSpecs({
        pay: { adapter: 'pay', producesEvent: 'paid', undo: 'refund', retries: { retries: 2, baseDelayMs: 10 }, circuitBreaker: { minimumVolume: 5 } },
        ship: { adapter: 'ship', consumesEvent: 'paid', timeout: 500 },
        refund: { adapter: 'refund' },
      }),
    );
  });

  for (const [what, ports, message] of [
    ['an undo naming no port', { a: { undo: 'b' } }, /undo names port "b"/],
    ['an undo naming itself', { a: { undo: 'a' } }, /cannot name the port itself/],
    ['two consumers of one event', { a: { producesEvent: 'e' }, b: { consumesEvent: 'e' }, c: { consumesEvent: 'e' } }, /both consume "e"/],
    ['a cycle', { a: { consumesEvent: 'y', producesEvent: 'x' }, b: { consumesEvent: 'x', producesEvent: 'y' } }, /cycle/],
    ['a negative timeout', { a: { timeout: -1 } }, /ports\.a\.timeout must be/],
    ['fractional retries', { a: { retries: 1.5 } }, /ports\.a\.retries must be/],
    ['a breaker rate above 1', { a: { circuitBreaker: { failureRateThreshold: 2 } } }, /failureRateThreshold must be/],
    ['an unknown type', { a: { type: 'sideways' } }, /type must be "inbound" or "outbound"/],
    ['a callback that is not a function', { a: { callback: 'x' } }, /callback must be a function/],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.throws(() => checkPortSpecs(ports as Record<string, unknown>), message);
    });
  }

  it('lets configuration override the spec and fills defaults', () => {
    const settings = portSettings('order', 'pay', { adapter: 'pay', timeout: 100, circuitBreaker: { openMs: 5 } }, { adapter: 'fakePay', retries: 3 }, { timeoutMs: 30_000 });
    assert.equal(settings.adapter, 'fakePay');
    assert.equal(settings.timeoutMs, 100);
    assert.equal(settings.retry.retries, 3);
    assert.equal(settings.type, 'outbound');
    assert.deepEqual(settings.breaker, { failureRateThreshold: 0.5, minimumVolume: 10, windowMs: 60_000, openMs: 5, halfOpenMaxCalls: 1 });
    assert.equal(portSettings('order', 'pay', { circuitBreaker: {} }, { circuitBreaker: false }, { timeoutMs: 1 }).breaker, undefined);
    assert.equal(portSettings('order', 'pay', {}, undefined, { timeoutMs: 7 }).timeoutMs, 7);
  });
});
