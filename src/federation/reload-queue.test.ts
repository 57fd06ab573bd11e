import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReloadQueue } from './reload-queue.js';
import type { ReloadRequest, ReloadResult } from './remote-state.js';

/** A queue whose reloads finish only when the test says so, recording what each one ran. */
function heldQueue() {
  const ran: ReloadRequest[] = [];
  const releases: (() => void)[] = [];
  const queue = new ReloadQueue((request) => {
    ran.push(request);
    return new Promise<ReloadResult>((resolve) => {
      releases.push(() =>
        resolve({ remote: 'r', reason: request.reason, outcome: 'reloaded', from: null, to: request.version ?? null, attempted: null, ms: 0 }),
      );
    });
  });
  /** Waits until `count` reloads have started. */
  const started = async (count: number) => {
    while (ran.length < count) await new Promise((resolve) => setImmediate(resolve));
  };
  /** Waits until reload number `count` has started, then lets it finish. */
  const release = async (count: number) => {
    await started(count);
    releases[count - 1]!();
  };
  return { queue, ran, started, release };
}

describe('ReloadQueue', () => {
  it('runs one reload at a time; requests arriving meanwhile share one follow-up of the newest target', async () => {
    const { queue, ran, started, release } = heldQueue();
    const first = queue.request({ reason: 'manual' });
    await started(1);
    const second = queue.request({ reason: 'webhook', version: 'v2' });
    const third = queue.request({ reason: 'webhook', version: 'v3' });
    assert.equal(queue.busy, true);
    await release(1);
    await first;
    await release(2);
    assert.equal(await second, await third);
    assert.deepEqual(ran.map((r) => r.version), [undefined, 'v3']);
    assert.equal(queue.busy, false);
  });

  it('keeps a waiting pushed commit over a later poll and over an older push it replaced', async () => {
    const { queue, ran, started, release } = heldQueue();
    const first = queue.request({ reason: 'manual' });
    await started(1);
    const pushed = queue.request({ reason: 'webhook', version: 'v3', replaces: 'v2' });
    void queue.request({ reason: 'poll' });
    void queue.request({ reason: 'webhook', version: 'v2', replaces: 'v1' });
    await release(1);
    await first;
    await release(2);
    await pushed;
    assert.deepEqual(ran.map((r) => r.version), [undefined, 'v3']);
  });

  it('keeps allowRemove when requests coalesce: the one reload answers every caller', async () => {
    const { queue, ran, started, release } = heldQueue();
    const first = queue.request({ reason: 'manual' });
    await started(1);
    void queue.request({ reason: 'manual', allowRemove: true });
    const pushed = queue.request({ reason: 'webhook', version: 'v2' });
    await release(1);
    await first;
    await release(2);
    await pushed;
    assert.deepEqual(ran.slice(1), [{ reason: 'webhook', version: 'v2', allowRemove: true }]);
  });

  it('runs a task alone after what was queued before it; reloads asked later wait for it and never join the earlier one', async () => {
    const { queue, ran, started, release } = heldQueue();
    const first = queue.request({ reason: 'manual' });
    await started(1);
    const waiting = queue.request({ reason: 'webhook', version: 'v2' });
    const order: string[] = [];
    const task = queue.exclusive(async () => {
      order.push(`task after ${ran.length} reloads`);
      return 'done';
    });
    const later = queue.request({ reason: 'webhook', version: 'v3' });
    await release(1);
    await first;
    await release(2);
    assert.equal((await waiting).to, 'v2');
    assert.equal(await task, 'done');
    assert.deepEqual(order, ['task after 2 reloads']);
    await release(3);
    assert.equal((await later).to, 'v3', 'the reload asked after the task ran on its own');
    assert.deepEqual(ran.map((r) => r.version), [undefined, 'v2', 'v3']);
    assert.equal(queue.busy, false);
  });
});
