// A request that would outlive the function is answered 504 a margin before the
// remaining time ends, and the work is told to give up.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { RemainingTimeExceeded, timeoutAnswer, withinRemainingTime } from './deadline.js';

it('answers with the timeout shortly before the remaining time ends, aborting the work', async () => {
  let seen: AbortSignal | undefined;
  const started = performance.now();
  const result = await withinRemainingTime(
    (signal) => {
      seen = signal;
      return new Promise<string>(() => undefined);
    },
    400,
    250,
    (budgetMs) => `timed out after ${budgetMs}`,
  );
  const elapsed = performance.now() - started;
  assert.equal(result, 'timed out after 150');
  assert.ok(elapsed >= 140 && elapsed < 390, `answered after ${Math.round(elapsed)} ms: after the budget, before the function's end`);
  assert.ok(seen?.aborted);
  assert.ok(seen.reason instanceof RemainingTimeExceeded);
});

it('does not begin the work when the margin leaves no time, and leaves work without a remaining time unbounded', async () => {
  let begun = false;
  const result = await withinRemainingTime(async () => ((begun = true), 'done'), 200, 250, () => 'no time');
  assert.equal(result, 'no time');
  assert.equal(begun, false);
  assert.equal(await withinRemainingTime(async (signal) => (signal === undefined ? 'unbounded' : 'bounded'), undefined, 250, () => 'no time'), 'unbounded');
});

it('passes the work\'s own answer and failure through when it is in time', async () => {
  assert.equal(await withinRemainingTime(async () => 'answered', 5_000, 250, () => 'late'), 'answered');
  await assert.rejects(withinRemainingTime(async () => Promise.reject(new Error('boom')), 5_000, 250, () => 'late'), /boom/);
});

it('words the 504 as the API does', () => {
  const answer = timeoutAnswer(750, 'req-1');
  assert.equal(answer.status, 504);
  assert.equal(answer.headers['x-request-id'], 'req-1');
  const body = JSON.parse(answer.raw.toString()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'MLB_ERR_TIMEOUT');
  assert.match(body.error.message, /remaining time \(750 ms\).*req-1/);
});
