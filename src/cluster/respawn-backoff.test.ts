import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RespawnBackoff } from './respawn-backoff.js';

describe('respawn backoff', () => {
  it('replaces a worker that ran a while at once, and backs off while workers die soon after starting', () => {
    const backoff = new RespawnBackoff({ minUptimeMs: 1_000, baseDelayMs: 100, maxDelayMs: 700 });
    assert.equal(backoff.delayAfter(60_000), 0);
    assert.deepEqual([50, 50, 50, 50, 50].map((uptime) => backoff.delayAfter(uptime)), [100, 200, 400, 700, 700]);
    assert.equal(backoff.crashLoop, 5);
    assert.equal(backoff.delayAfter(5_000), 0, 'a worker that stayed up ends the loop');
    assert.equal(backoff.delayAfter(10), 100);
  });
});
