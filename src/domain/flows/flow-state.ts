/**
 * The persisted state of a flow (the record's `flow` field) and its transitions.
 * Pure functions: each returns a new FlowState, or throws when the transition
 * does not apply (the caller re-reads and decides). Keeping them pure lets the
 * runner recompute a transition on a fresh record after a concurrent write.
 */
import { conflictError } from '../errors.js';
import type { FlowState, FlowStep, Json } from '../model-spec.js';
import { serializeError } from '../resilience/index.js';

export type StepError = NonNullable<FlowStep['error']>;

/** Whether a flow still has work to do (a step to run or an undo to make). */
export function isActive(flow: FlowState | undefined): flow is FlowState {
  return flow !== undefined && (flow.status === 'running' || flow.status === 'compensating');
}

export function errorOf(error: unknown): StepError {
  const serialized = serializeError(error);
  return serialized.code === undefined ? { name: serialized.name, message: serialized.message } : { name: serialized.name, message: serialized.message, code: serialized.code };
}

/** A new flow whose first step, `port`, is running. Refused while another flow is active on the record. */
export function beginFlow(current: FlowState | undefined, flowId: string, port: string, input: Json | undefined, now: string, runner?: string, version?: string): FlowState {
  if (isActive(current)) {
    const step = current.steps.at(-1)?.port ?? '?';
    throw conflictError(`a flow is already ${current.status} on this record (step "${step}"); wait for it to finish`, 'flow');
  }
  const flow: FlowState = { id: flowId, status: 'running', steps: [startStep(port, input, now)], startedAt: now };
  if (runner !== undefined) flow.runner = runner;
  if (version !== undefined) flow.version = version;
  return flow;
}

function startStep(port: string, input: Json | undefined, now: string): FlowStep {
  const step: FlowStep = { port, status: 'running', startedAt: now };
  if (input !== undefined) step.input = input;
  return step;
}

/** The running step of a running flow, with its index. */
export function runningStep(flow: FlowState): { step: FlowStep; index: number } | undefined {
  const index = flow.steps.length - 1;
  const step = flow.steps[index];
  return flow.status === 'running' && step?.status === 'running' ? { step, index } : undefined;
}

function replaceStep(flow: FlowState, index: number, step: FlowStep): FlowStep[] {
  return flow.steps.map((s, i) => (i === index ? step : s));
}

/** The running step is done; `next` (if any) starts now with the result as its input, else the flow completed. */
export function completeStep(
  flow: FlowState,
  index: number,
  outcome: { result: Json | undefined; attempts: number },
  next: string | undefined,
  now: string,
): FlowState {
  const done: FlowStep = { ...flow.steps[index]!, status: 'done', attempts: outcome.attempts, finishedAt: now };
  if (outcome.result !== undefined) done.result = outcome.result;
  const steps = replaceStep(flow, index, done);
  if (next !== undefined) return { ...flow, steps: [...steps, startStep(next, outcome.result, now)] };
  return { ...flow, status: 'completed', steps, finishedAt: now };
}

/** The running step failed: the flow compensates its completed steps next. */
export function failStep(flow: FlowState, index: number, error: unknown, attempts: number, now: string): FlowState {
  const step = flow.steps[index]!;
  const failed: FlowStep = { ...step, status: 'failed', attempts, finishedAt: now, error: errorOf(error) };
  return { ...flow, status: 'compensating', steps: replaceStep(flow, index, failed), error: { port: step.port, ...errorOf(error) } };
}

/** The next step to undo while compensating: the last completed step not yet compensated. */
export function nextUndo(flow: FlowState): { step: FlowStep; index: number } | undefined {
  if (flow.status !== 'compensating') return undefined;
  for (let index = flow.steps.length - 1; index >= 0; index--) {
    const step = flow.steps[index]!;
    if (step.status === 'done' && step.undo === undefined) return { step, index };
  }
  return undefined;
}

/** Records how the undo of step `index` went. */
export function recordUndo(flow: FlowState, index: number, outcome: 'done' | 'skipped' | { error: unknown }): FlowState {
  const step: FlowStep = { ...flow.steps[index]! };
  if (typeof outcome === 'string') step.undo = outcome;
  else {
    step.undo = 'failed';
    step.undoError = errorOf(outcome.error);
  }
  return { ...flow, steps: replaceStep(flow, index, step) };
}

/** Compensation ended: `compensated` when every undo succeeded, `failed` when some did not. */
export function finishCompensation(flow: FlowState, now: string): FlowState {
  const incomplete = flow.steps.some((step) => step.undo === 'failed');
  return { ...flow, status: incomplete ? 'failed' : 'compensated', finishedAt: now };
}

/**
 * The flow cannot go on where it belongs (the version that started it is gone):
 * it stops `failed`. The running step, if any, fails with `error`; completed
 * steps not yet undone are marked `undo: 'failed'` with `error` (nothing runs
 * them on another version), so the record says what was left as it is.
 */
export function abandonFlow(flow: FlowState, error: unknown, now: string): FlowState {
  const reason = errorOf(error);
  const last = flow.steps.length - 1;
  const steps = flow.steps.map((step, index): FlowStep => {
    if (index === last && step.status === 'running') return { ...step, status: 'failed', finishedAt: now, error: reason };
    if (step.status === 'done' && step.undo === undefined) return { ...step, undo: 'failed', undoError: reason };
    return step;
  });
  // A compensating flow keeps the failure that started its compensation.
  return { ...flow, status: 'failed', steps, finishedAt: now, error: flow.error ?? { port: flow.steps[last]?.port ?? '?', ...reason } };
}

/** The flow moves to `version` (the one it started on is not loaded when this process picks it up). */
export function moveFlow(flow: FlowState, version: string): FlowState {
  return { ...flow, version };
}
