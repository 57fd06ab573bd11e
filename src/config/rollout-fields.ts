/**
 * The `rollout` key of a `remoteEntries.js` entry: new versions of the remote
 * start as a canary stepped up through `steps` and promoted, or rolled back by
 * the analysis (src/domain/resilience/rollout-analysis.ts). Absent keys take
 * the defaults; every refusal names the key.
 */
import { DEFAULT_ROLLOUT, type RolloutPlan } from '../domain/resilience/rollout-analysis.js';
import { RemoteEntriesError, type EntryFields } from './entry-fields.js';

const KEYS = ['steps', 'stepSeconds', 'maxErrorRate', 'maxP99Ratio', 'minRequests', 'minP99Ms', 'onRestart'] as const;

function numberIn(raw: EntryFields, key: string, where: string, min: number, max: number, what: string, whole = false): number | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (whole && !Number.isInteger(value))) {
    throw new RemoteEntriesError(where, `"rollout.${key}" must be ${what}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function stepsOf(value: unknown, where: string): number[] | undefined {
  if (value === undefined) return undefined;
  const shape = '"rollout.steps" must be a non-empty array of whole percentages from 1 to 100, each larger than the one before (e.g. [5, 25, 50, 100])';
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) throw new RemoteEntriesError(where, shape);
  value.forEach((step: unknown, i) => {
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 1 || step > 100) {
      throw new RemoteEntriesError(where, `"rollout.steps[${i}]" must be a whole percentage from 1 to 100, got ${JSON.stringify(step)}`);
    }
    if (i > 0 && step <= (value[i - 1] as number)) throw new RemoteEntriesError(where, `"rollout.steps[${i}]" (${step}) must be larger than the step before it (${value[i - 1] as number}): ${shape}`);
  });
  return [...(value as number[])];
}

/** The entry's rollout plan, or undefined when it has none (reloads then switch at once). */
export function readRolloutField(raw: EntryFields, where: string): RolloutPlan | undefined {
  const value = raw.rollout;
  if (value === undefined || value === false) return undefined;
  if (value === true) return DEFAULT_ROLLOUT;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RemoteEntriesError(where, `"rollout" must be an object such as { steps: [5, 25, 50, 100], stepSeconds: 60, maxErrorRate: 0.01, maxP99Ratio: 1.5, minRequests: 100 }, or true for those defaults`);
  }
  const fields = value as EntryFields;
  const unknown = Object.keys(fields).find((key) => !(KEYS as readonly string[]).includes(key));
  if (unknown !== undefined) throw new RemoteEntriesError(where, `"rollout.${unknown}" is not a rollout setting (known: ${KEYS.join(', ')})`);
  const onRestart = fields.onRestart;
  if (onRestart !== undefined && onRestart !== 'resume' && onRestart !== 'rollback') {
    throw new RemoteEntriesError(where, `"rollout.onRestart" must be "resume" or "rollback", got ${JSON.stringify(onRestart)}`);
  }
  return {
    steps: stepsOf(fields.steps, where) ?? DEFAULT_ROLLOUT.steps,
    stepSeconds: numberIn(fields, 'stepSeconds', where, 1, 86_400, 'a whole number of seconds from 1 to 86400', true) ?? DEFAULT_ROLLOUT.stepSeconds,
    maxErrorRate: numberIn(fields, 'maxErrorRate', where, 0, 1, 'a rate from 0 to 1 (0.01: 1 %)') ?? DEFAULT_ROLLOUT.maxErrorRate,
    maxP99Ratio: numberIn(fields, 'maxP99Ratio', where, 1, 1000, 'a factor from 1 to 1000 (1.5: the canary may be 50 % slower)') ?? DEFAULT_ROLLOUT.maxP99Ratio,
    minRequests: numberIn(fields, 'minRequests', where, 0, 1_000_000_000, 'a whole number of requests, 0 or more', true) ?? DEFAULT_ROLLOUT.minRequests,
    minP99Ms: numberIn(fields, 'minP99Ms', where, 0, 600_000, 'a number of milliseconds, 0 or more') ?? DEFAULT_ROLLOUT.minP99Ms,
    onRestart: onRestart ?? DEFAULT_ROLLOUT.onRestart,
  };
}
