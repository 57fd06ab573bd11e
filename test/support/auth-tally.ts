/**
 * The tally an auth suite reports in its output: how many cases it tried, how
 * many were meant to be refused (401, 403, 404 for another owner's record, 429)
 * and how many of those were refused as they should be, counted from the cases
 * actually run.
 */
import assert from 'node:assert/strict';

export interface AuthTally {
  /** Checks one case's answer against the expected status (asserting it) and counts it. */
  check(what: string, actual: { status: number; body?: unknown }, expected: number): void;
  /** "auth cases tried: N (R meant to be refused), refused correctly: M, accepted correctly: A". */
  summary(): string;
}

export function authTally(): AuthTally {
  let tried = 0;
  let refusals = 0;
  let refusedCorrectly = 0;
  let acceptedCorrectly = 0;
  return {
    check(what, actual, expected) {
      tried++;
      const refusal = expected >= 400;
      if (refusal) refusals++;
      assert.equal(actual.status, expected, `${what}: ${JSON.stringify(actual.body)}`);
      if (refusal) refusedCorrectly++;
      else acceptedCorrectly++;
    },
    summary: () => `auth cases tried: ${tried} (${refusals} meant to be refused), refused correctly: ${refusedCorrectly}, accepted correctly: ${acceptedCorrectly}`,
  };
}
