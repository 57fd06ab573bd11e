import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { notFoundError } from '../errors.js';
import { CircuitBreaker, CircuitOpenError, type CircuitBreakerOptions, type CircuitStateChange } from './circuit-breaker.js';

/** A breaker on a hand-moved clock. */
function setup(overrides: Partial<CircuitBreakerOptions> = {}): { breaker: CircuitBreaker; clock: { t: number } } {
  const clock = { t: 0 };
  const breaker = new CircuitBreaker({
    failureRateThreshold: 0.5,
    minimumVolume: 4,
    windowMs: 10_000,
    buckets: 10,
    openMs: 5_000,
    now: () => clock.t,
    ...overrides,
  });
  return { breaker, clock };
}

const ok = (): Promise<string> => Promise.resolve('ok');
const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const succeed = (b: CircuitBreaker): Promise<string> => b.execute(ok);
const fail = (b: CircuitBreaker): Promise<unknown> => b.execute(boom).catch((e: unknown) => e);

/** A call that stays pending until released. */
function deferred(): { op: () => Promise<string>; resolve: () => void; reject: () => void } {
  let resolve!: () => void;
  let reject!: () => void;
  const promise = new Promise<string>((res, rej) => {
    resolve = () => res('late');
    reject = () => rej(new Error('late failure'));
  });
  return { op: () => promise, resolve, reject };
}

async function openIt(b: CircuitBreaker): Promise<void> {
  for (let i = 0; i < 4; i++) await fail(b);
  assert.equal(b.state, 'open');
}

describe('CircuitBreaker', () => {
  it('passes results and errors through while closed', async () => {
    const { breaker } = setup();
    assert.equal(await succeed(breaker), 'ok');
    const error = await fail(breaker);
    assert.equal((error as Error).message, 'boom');
    assert.equal(breaker.state, 'closed');
  });

  it('stays closed below minimumVolume, even at 100% failures', async () => {
    const { breaker } = setup({ minimumVolume: 5 });
    for (let i = 0; i < 4; i++) await fail(breaker);
    assert.deepEqual(breaker.snapshot(), { state: 'closed', failures: 4, successes: 0, failureRate: 1 });
  });

  it('stays closed below the threshold', async () => {
    const { breaker } = setup();
    await succeed(breaker);
    await succeed(breaker);
    await succeed(breaker);
    await fail(breaker);
    await fail(breaker); // 2 of 5 = 40%
    assert.equal(breaker.state, 'closed');
  });

  it('opens when the volume is reached and the rate is at the threshold', async () => {
    const { breaker, clock } = setup();
    await succeed(breaker);
    await succeed(breaker);
    await fail(breaker);
    assert.equal(breaker.state, 'closed', '3 calls < minimumVolume');
    clock.t = 1000;
    await fail(breaker); // 2 of 4 = 50%
    assert.deepEqual(breaker.snapshot(), {
      state: 'open',
      failures: 2,
      successes: 2,
      failureRate: 0.5,
      openedAt: 1000,
      nextAttemptAt: 6000,
    });
  });

  it('rejects at once while open with CircuitOpenError and retryAfterMs', async () => {
    const { breaker, clock } = setup({ name: 'payments' });
    await openIt(breaker);
    clock.t = 2000;
    let called = false;
    const error = await breaker
      .execute(async () => {
        called = true;
      })
      .catch((e: unknown) => e);
    assert.ok(error instanceof CircuitOpenError);
    assert.equal(error.retryAfterMs, 3000);
    assert.equal(error.state, 'open');
    assert.equal(error.code, 'MLB_ERR_UNAVAILABLE');
    assert.match(error.message, /"payments" is open/);
    assert.equal(called, false);
  });

  it('moves to half-open after openMs, and a trial success closes with a fresh window', async () => {
    const { breaker, clock } = setup();
    await openIt(breaker);
    clock.t = 4999;
    assert.equal(breaker.state, 'open');
    clock.t = 5000;
    assert.equal(breaker.state, 'half-open');
    assert.equal(await succeed(breaker), 'ok');
    assert.deepEqual(breaker.snapshot(), { state: 'closed', failures: 0, successes: 0, failureRate: 0 });
  });

  it('re-opens when the trial fails, from the time of that failure', async () => {
    const { breaker, clock } = setup();
    await openIt(breaker);
    clock.t = 7000;
    const error = await fail(breaker);
    assert.equal((error as Error).message, 'boom', 'the trial ran and its own error is returned');
    const snap = breaker.snapshot();
    assert.equal(snap.state, 'open');
    assert.equal(snap.openedAt, 7000);
    assert.equal(snap.nextAttemptAt, 12_000);
  });

  it('lets only halfOpenMaxCalls trial calls through at once', async () => {
    const { breaker, clock } = setup({ halfOpenMaxCalls: 2 });
    await openIt(breaker);
    clock.t = 5000;
    const first = deferred();
    const second = deferred();
    const a = breaker.execute(first.op);
    const b = breaker.execute(second.op);
    const refused = await breaker.execute(ok).catch((e: unknown) => e);
    assert.ok(refused instanceof CircuitOpenError);
    assert.equal(refused.state, 'half-open');
    assert.equal(refused.retryAfterMs, 0);
    first.resolve();
    assert.equal(await a, 'late');
    assert.equal(breaker.state, 'closed');
    // The other trial settles after the circuit closed: its outcome no longer counts.
    second.reject();
    await assert.rejects(b, /late failure/);
    assert.deepEqual(breaker.snapshot(), { state: 'closed', failures: 0, successes: 0, failureRate: 0 });
  });

  it('ignores a slow call admitted before the circuit opened', async () => {
    const { breaker, clock } = setup();
    const slow = deferred();
    const pending = breaker.execute(slow.op);
    await openIt(breaker);
    clock.t = 5000;
    assert.equal(breaker.state, 'half-open');
    slow.resolve();
    await pending;
    assert.equal(breaker.state, 'half-open', 'a success from the closed era is not a trial');
  });

  it('rolls the window: failures older than windowMs no longer count', async () => {
    const { breaker, clock } = setup();
    await fail(breaker);
    await fail(breaker);
    await fail(breaker);
    clock.t = 10_000; // the bucket of t=0 has left the 10 s window
    assert.equal(breaker.snapshot().failures, 0);
    await fail(breaker);
    assert.deepEqual(breaker.snapshot(), { state: 'closed', failures: 1, successes: 0, failureRate: 1 });
    clock.t = 10_500;
    await fail(breaker);
    await fail(breaker);
    await fail(breaker);
    assert.equal(breaker.state, 'open', 'four failures inside one window');
  });

  it('counts rejections that isFailure excludes as successes, and still rethrows them', async () => {
    const { breaker } = setup({ isFailure: (e) => !(e instanceof Error && e.message.startsWith('not found')) });
    for (let i = 0; i < 4; i++) {
      await assert.rejects(
        breaker.execute(() => Promise.reject(notFoundError('not found: order'))),
        (e) => (e as { code?: string }).code === 'MLB_ERR_NOT_FOUND',
      );
    }
    assert.deepEqual(breaker.snapshot(), { state: 'closed', failures: 0, successes: 4, failureRate: 0 });
  });

  it('tells listeners about every transition until they unsubscribe', async () => {
    const { breaker, clock } = setup();
    const changes: CircuitStateChange[] = [];
    const unsubscribe = breaker.onStateChange((c) => changes.push(c));
    breaker.onStateChange(() => {
      throw new Error('a broken listener changes nothing');
    });
    await openIt(breaker);
    clock.t = 5000;
    await fail(breaker); // half-open, trial fails
    clock.t = 10_000;
    await succeed(breaker); // half-open, trial succeeds
    assert.deepEqual(changes, [
      { from: 'closed', to: 'open', at: 0 },
      { from: 'open', to: 'half-open', at: 5000 },
      { from: 'half-open', to: 'open', at: 5000 },
      { from: 'open', to: 'half-open', at: 10_000 },
      { from: 'half-open', to: 'closed', at: 10_000 },
    ]);
    unsubscribe();
    await openIt(breaker);
    assert.equal(changes.length, 5);
  });

  it('treats a synchronous throw of the operation as a failure', async () => {
    const { breaker } = setup({ minimumVolume: 1 });
    await assert.rejects(
      breaker.execute(() => {
        throw new Error('sync');
      }),
      /sync/,
    );
    assert.equal(breaker.state, 'open');
  });

  it('rejects invalid options with RangeError', () => {
    assert.throws(() => setup({ failureRateThreshold: 0 }), RangeError);
    assert.throws(() => setup({ failureRateThreshold: 1.5 }), RangeError);
    assert.throws(() => setup({ minimumVolume: 0 }), RangeError);
    assert.throws(() => setup({ windowMs: 0 }), RangeError);
    assert.throws(() => setup({ buckets: 2.5 }), RangeError);
    assert.throws(() => setup({ openMs: -1 }), RangeError);
    assert.throws(() => setup({ halfOpenMaxCalls: 0 }), RangeError);
  });
});
