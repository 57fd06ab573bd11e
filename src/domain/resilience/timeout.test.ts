import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { withTimeout, TimeoutError } from './timeout.js';

/** When the operation that ignores its timeout rejects, and a moment after that. */
const LATE_MS = 20;
const AFTER_LATE_MS = LATE_MS + 10;

const countTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** Resolves when `signal` aborts, with its reason; how a well-behaved operation waits. */
const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

describe('withTimeout', () => {
  it('resolves with the result, leaves the signal alone and clears its timer', async () => {
    const before = countTimers();
    let seen: AbortSignal | undefined;
    const value = await withTimeout(async (signal) => {
      seen = signal;
      return 42;
    }, 60_000);
    assert.equal(value, 42);
    assert.equal(seen?.aborted, false);
    assert.equal(countTimers(), before);
  });

  it('aborts the signal and rejects with TimeoutError when the deadline passes', async () => {
    let seen: AbortSignal | undefined;
    const error = await withTimeout((signal) => {
      seen = signal;
      return untilAborted(signal);
    }, 10).catch((e: unknown) => e);
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.ms, 10);
    assert.equal(error.code, 'MLB_ERR_TIMEOUT');
    assert.equal(error.name, 'TimeoutError');
    assert.equal(seen?.aborted, true);
    assert.equal(seen?.reason, error, 'the signal reason is the same TimeoutError');
  });

  it('discards the late result of an operation that ignores its signal', async () => {
    let finished = false;
    const late = new Promise<string>((resolve) =>
      setTimeout(() => {
        finished = true;
        resolve('late');
      }, 30),
    );
    await assert.rejects(withTimeout(() => late, 5), TimeoutError);
    assert.equal(await late, 'late');
    assert.equal(finished, true);
  });

  it('does not turn a late rejection into an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      await assert.rejects(withTimeout(() => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), LATE_MS)), 5), TimeoutError);
      // Kept on purpose: the late rejection must really happen (real time passes) and an
      // unhandled one would be reported right after it; nothing to poll for an absence.
      await new Promise((resolve) => setTimeout(resolve, AFTER_LATE_MS));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('aborts and rejects with the outer reason when the outer signal aborts', async () => {
    const outer = new AbortController();
    const reason = new Error('client went away');
    let seen: AbortSignal | undefined;
    const pending = withTimeout(
      (signal) => {
        seen = signal;
        return untilAborted(signal);
      },
      60_000,
      { signal: outer.signal },
    );
    const before = countTimers();
    outer.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    assert.equal(seen?.reason, reason);
    assert.equal(countTimers(), before - 1, 'the deadline timer is cleared on abort');
  });

  it('does not call the operation when the outer signal is already aborted', async () => {
    let called = false;
    const reason = new Error('already');
    await assert.rejects(
      withTimeout(
        async () => {
          called = true;
        },
        1000,
        { signal: AbortSignal.abort(reason) },
      ),
      (e) => e === reason,
    );
    assert.equal(called, false);
  });

  it('removes its listener from the outer signal once settled', async () => {
    const outer = new AbortController();
    await withTimeout(async () => 'ok', 1000, { signal: outer.signal });
    await assert.rejects(withTimeout(() => Promise.reject(new Error('no')), 1000, { signal: outer.signal }));
    assert.equal(getEventListeners(outer.signal, 'abort').length, 0);
  });

  it('passes the operation rejection through and clears the timer', async () => {
    const before = countTimers();
    const failure = new Error('boom');
    await assert.rejects(withTimeout(() => Promise.reject(failure), 60_000), (e) => e === failure);
    assert.equal(countTimers(), before);
  });

  it('turns a synchronous throw into a rejection', async () => {
    const failure = new Error('sync');
    await assert.rejects(
      withTimeout(() => {
        throw failure;
      }, 1000),
      (e) => e === failure,
    );
  });

  it('rejects an invalid ms with RangeError, and treats Infinity as no deadline', async () => {
    await assert.rejects(withTimeout(async () => 1, -1), RangeError);
    await assert.rejects(withTimeout(async () => 1, Number.NaN), RangeError);
    const before = countTimers();
    const pending = withTimeout(async () => 7, Infinity);
    assert.equal(countTimers(), before, 'no timer for Infinity');
    assert.equal(await pending, 7);
  });

  it('lets the process exit promptly after a fast call with a long timeout', () => {
    const moduleUrl = new URL('./timeout.js', import.meta.url).href;
    const script = `import { withTimeout } from ${JSON.stringify(moduleUrl)};
      console.log(await withTimeout(async () => 'done', 60000));`;
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(child.signal, null, 'the child had to be killed: a timer kept it alive');
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'done');
    assert.ok(Date.now() - started < 20_000);
  });
});
