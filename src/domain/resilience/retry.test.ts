import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MicrolibError, notFoundError } from '../errors.js';
import { retry, backoffDelay, RetryError, type RetryEvent, type RetryPolicy } from './retry.js';

/** A sleep that records the delays and returns at once. */
function recordingSleep(): { delays: number[]; sleep: (ms: number, signal: AbortSignal) => Promise<void> } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

/** An operation that fails `failures` times, then resolves with `value`. */
function flaky<T>(failures: number, value: T): { calls: number[]; op: (attempt: number) => Promise<T> } {
  const calls: number[] = [];
  return {
    calls,
    op: async (attempt) => {
      calls.push(attempt);
      if (calls.length <= failures) throw new Error(`fail ${attempt}`);
      return value;
    },
  };
}

const policy: RetryPolicy = { retries: 3, baseDelayMs: 100, maxDelayMs: 10_000, jitter: 'none' };

describe('retry', () => {
  it('resolves with the first success, numbering attempts from 1', async () => {
    const { calls, op } = flaky(2, 'ok');
    const { sleep } = recordingSleep();
    assert.equal(await retry(op, policy, { sleep }), 'ok');
    assert.deepEqual(calls, [1, 2, 3]);
  });

  it('makes retries + 1 attempts, then rejects with RetryError carrying the last error', async () => {
    const { calls, op } = flaky(Infinity, 'never');
    const { sleep, delays } = recordingSleep();
    const error = await retry(op, policy, { sleep }).catch((e: unknown) => e);
    assert.ok(error instanceof RetryError);
    assert.equal(error.attempts, 4);
    assert.equal(error.exhausted, true);
    assert.equal((error.cause as Error).message, 'fail 4');
    assert.equal(error.code, 'MLB_ERR_UNAVAILABLE');
    assert.match(error.message, /after 4 attempts: fail 4/);
    assert.deepEqual(calls, [1, 2, 3, 4]);
    assert.equal(delays.length, 3, 'no wait after the last attempt');
  });

  it('with retries 0 calls once', async () => {
    const { calls, op } = flaky(Infinity, 'never');
    const error = await retry(op, { ...policy, retries: 0 }).catch((e: unknown) => e);
    assert.ok(error instanceof RetryError);
    assert.equal(error.attempts, 1);
    assert.deepEqual(calls, [1]);
  });

  it('waits base * factor^(n-1), capped by maxDelayMs, with jitter none', async () => {
    const { op } = flaky(Infinity, 'never');
    const { sleep, delays } = recordingSleep();
    await assert.rejects(retry(op, { retries: 5, baseDelayMs: 100, maxDelayMs: 500, jitter: 'none' }, { sleep }), RetryError);
    assert.deepEqual(delays, [100, 200, 400, 500, 500]);
  });

  it('waits random() * cap with full jitter (the default)', async () => {
    const { op } = flaky(Infinity, 'never');
    const { sleep, delays } = recordingSleep();
    const randoms = [0.5, 0.25, 0, 0.75];
    const random = (): number => randoms.shift()!;
    await assert.rejects(retry(op, { retries: 4, baseDelayMs: 100, maxDelayMs: 300, factor: 3 }, { sleep, random }), RetryError);
    // caps: 100, 300, 300 (900 capped), 300 (2700 capped)
    assert.deepEqual(delays, [50, 75, 0, 225]);
  });

  it('backoffDelay follows the documented formula', () => {
    const p: RetryPolicy = { retries: 9, baseDelayMs: 10, maxDelayMs: 1000, factor: 3, jitter: 'none' };
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(n, p)), [10, 30, 90, 270, 810]);
    assert.equal(backoffDelay(6, p), 1000);
    assert.equal(backoffDelay(2, { ...p, jitter: 'full' }, () => 0.5), 15);
    assert.equal(backoffDelay(3, { retries: 1, baseDelayMs: 10, maxDelayMs: 1000, jitter: 'none' }), 40, 'factor defaults to 2');
  });

  it('stops at once when retryIf returns false', async () => {
    const { calls, op } = flaky(Infinity, 'never');
    const { sleep, delays } = recordingSleep();
    const seen: Array<[string, number]> = [];
    const error = await retry(
      op,
      {
        ...policy,
        retryIf: (e, attempt) => {
          seen.push([(e as Error).message, attempt]);
          return false;
        },
      },
      { sleep },
    ).catch((e: unknown) => e);
    assert.ok(error instanceof RetryError);
    assert.equal(error.attempts, 1);
    assert.equal(error.exhausted, false);
    assert.deepEqual(calls, [1]);
    assert.deepEqual(delays, []);
    assert.deepEqual(seen, [['fail 1', 1]]);
  });

  it('retries only what retryIf accepts, and keeps a MicrolibError code', async () => {
    let calls = 0;
    const op = async (): Promise<never> => {
      calls++;
      throw calls === 1 ? new Error('transient') : notFoundError('no such order');
    };
    const { sleep } = recordingSleep();
    const error = await retry(op, { ...policy, retryIf: (e) => !(e instanceof MicrolibError) }, { sleep }).catch((e: unknown) => e);
    assert.ok(error instanceof RetryError);
    assert.equal(error.attempts, 2);
    assert.equal(error.code, 'MLB_ERR_NOT_FOUND');
  });

  it('tells onRetry the failed attempt, the delay and the error before each wait', async () => {
    const { op } = flaky(2, 'ok');
    const { sleep } = recordingSleep();
    const events: RetryEvent[] = [];
    await retry(op, policy, { sleep, onRetry: (e) => events.push(e) });
    assert.deepEqual(
      events.map((e) => [e.attempt, e.delayMs, (e.error as Error).message]),
      [
        [1, 100, 'fail 1'],
        [2, 200, 'fail 2'],
      ],
    );
  });

  it('stops during a wait on abort, with the abort reason, even if sleep ignores the signal', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const { calls, op } = flaky(Infinity, 'never');
    const sleep = (): Promise<void> => {
      queueMicrotask(() => controller.abort(reason));
      return new Promise(() => undefined); // never resolves
    };
    await assert.rejects(retry(op, policy, { sleep, signal: controller.signal }), (e) => e === reason);
    assert.deepEqual(calls, [1]);
  });

  it('stops during a wait on abort with the default sleep (real timer, cleared)', async () => {
    const controller = new AbortController();
    const { calls, op } = flaky(Infinity, 'never');
    const started = Date.now();
    const pending = retry(op, { retries: 3, baseDelayMs: 60_000, maxDelayMs: 60_000, jitter: 'none' }, {
      signal: controller.signal,
      onRetry: () => setTimeout(() => controller.abort(), 5),
    });
    await assert.rejects(pending, (e) => (e as Error).name === 'AbortError');
    assert.deepEqual(calls, [1]);
    assert.ok(Date.now() - started < 1000);
  });

  it('stops mid-attempt on abort, and hands the operation the caller signal', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    let seen: AbortSignal | undefined;
    const pending = retry(
      (_attempt, signal) => {
        seen = signal;
        return new Promise<never>(() => undefined); // ignores the signal
      },
      policy,
      { signal: controller.signal },
    );
    await Promise.resolve();
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    assert.equal(seen, controller.signal);
  });

  it('reports the abort, not the attempt failure it caused', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const { sleep } = recordingSleep();
    const pending = retry(
      async (attempt) => {
        controller.abort(reason);
        throw new Error(`fail ${attempt}`);
      },
      policy,
      { signal: controller.signal, sleep },
    );
    await assert.rejects(pending, (e) => e === reason);
  });

  it('does not call the operation when already aborted', async () => {
    const { calls, op } = flaky(0, 'ok');
    const reason = new Error('before');
    await assert.rejects(retry(op, policy, { signal: AbortSignal.abort(reason) }), (e) => e === reason);
    assert.deepEqual(calls, []);
  });

  it('rejects an invalid policy with RangeError before any attempt', async () => {
    const { calls, op } = flaky(0, 'ok');
    await assert.rejects(retry(op, { ...policy, retries: -1 }), RangeError);
    await assert.rejects(retry(op, { ...policy, retries: 1.5 }), RangeError);
    await assert.rejects(retry(op, { ...policy, factor: 0.5 }), RangeError);
    await assert.rejects(retry(op, { ...policy, baseDelayMs: Number.NaN }), RangeError);
    assert.deepEqual(calls, []);
  });
});
