import { MicrolibError } from '../errors.js';
import { abortReason } from './abortable.js';
import { codeFromCause, messageOf } from './error-code.js';

/**
 * One step of a flow run by {@link runSteps}.
 *
 * `R` is the step's result, handed back to its `undo`. (Methods rather than
 * function properties, so a `Step<Order>` fits in a `Step[]`.)
 */
export interface Step<R = unknown> {
  /** Unique within the flow; reported in outcomes. */
  name: string;
  /** Does the step's work. Gets the flow's signal, if any. A rejection fails the flow. */
  run(signal?: AbortSignal): Promise<R>;
  /**
   * Reverses a completed `run`, given its result. Only called for steps whose
   * `run` succeeded: a failing step must clean up its own partial work.
   */
  undo?(result: R): Promise<unknown>;
}

/** Options of {@link runSteps}. */
export interface RunStepsOptions {
  /**
   * Passed to every `run`, and checked before each step: once aborted, no
   * further step starts and the flow fails (and compensates) with the abort
   * reason as `cause`. A running step is not abandoned, because only its own
   * outcome tells whether it needs undoing. Undos do not get the signal:
   * compensation runs to the end even after an abort.
   */
  signal?: AbortSignal;
}

/** Resolution of {@link runSteps}: every step succeeded. */
export interface FlowCompleted {
  status: 'completed';
  /** `results[i]` is the result of `steps[i].run`. */
  results: unknown[];
}

/** An undo that failed during compensation. */
export interface FailedUndo {
  /** The step whose undo failed. */
  step: string;
  /** What the undo threw. */
  error: unknown;
}

/** What compensation did after a step failed. */
export interface CompensationReport {
  /** True when every undo that ran succeeded (`failedUndos` is empty): nothing is left half done. */
  completed: boolean;
  /** Steps whose undo succeeded, in the order they were undone (reverse of the run order). */
  undone: string[];
  /** Undos that failed, in the order they ran; compensation went on after each. */
  failedUndos: FailedUndo[];
  /** Completed steps that have no `undo`, in reverse run order. */
  skipped: string[];
}

/** An error reduced to what can be stored as JSON. */
export interface SerializedError {
  name: string;
  message: string;
  /** The error's `code` when it has a string one (e.g. `MLB_ERR_NOT_FOUND`, `ECONNRESET`). */
  code?: string;
}

/**
 * JSON form of a {@link FlowFailedError} (what `JSON.stringify` writes), for
 * persisting on the model:
 *
 * ```json
 * { "status": "failed", "failedStep": "charge", "failedStepIndex": 2,
 *   "error": { "name": "Error", "message": "card declined" },
 *   "compensation": { "completed": false, "undone": ["reserve"], "skipped": [],
 *     "failedUndos": [{ "step": "book", "error": { "name": "Error", "message": "gone" } }] } }
 * ```
 */
export interface FlowFailedRecord {
  status: 'failed';
  failedStep: string;
  failedStepIndex: number;
  error: SerializedError;
  compensation: {
    completed: boolean;
    undone: string[];
    failedUndos: Array<{ step: string; error: SerializedError }>;
    skipped: string[];
  };
}

/** Reduces any thrown value to a {@link SerializedError}. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? { name: error.name, message: error.message, code } : { name: error.name, message: error.message };
  }
  return { name: 'NonError', message: messageOf(error) };
}

/**
 * Rejection of {@link runSteps}: step `failedStep` failed with `cause`, and the
 * completed steps before it were compensated as `compensation` reports. `code`
 * is the cause's code when it is a MicrolibError, else `MLB_ERR_UNAVAILABLE`.
 * `JSON.stringify` gives a {@link FlowFailedRecord}.
 */
export class FlowFailedError extends MicrolibError {
  /** Name of the step that failed (or that was about to start when the flow was aborted). */
  readonly failedStep: string;
  /** Its index in `steps`. */
  readonly failedStepIndex: number;
  /** What the step threw (or the abort reason). */
  override readonly cause: unknown;
  readonly compensation: CompensationReport;

  constructor(failedStep: string, failedStepIndex: number, cause: unknown, compensation: CompensationReport) {
    const tail = compensation.completed ? 'compensated' : `compensation incomplete (${compensation.failedUndos.map((f) => f.step).join(', ')} not undone)`;
    super(codeFromCause(cause), `Step "${failedStep}" failed: ${messageOf(cause)}; ${tail}`, undefined, { cause });
    this.name = 'FlowFailedError';
    this.failedStep = failedStep;
    this.failedStepIndex = failedStepIndex;
    this.cause = cause;
    this.compensation = compensation;
  }

  /** The {@link FlowFailedRecord} of this failure. */
  toJSON(): FlowFailedRecord {
    return {
      status: 'failed',
      failedStep: this.failedStep,
      failedStepIndex: this.failedStepIndex,
      error: serializeError(this.cause),
      compensation: {
        completed: this.compensation.completed,
        undone: [...this.compensation.undone],
        failedUndos: this.compensation.failedUndos.map((f) => ({ step: f.step, error: serializeError(f.error) })),
        skipped: [...this.compensation.skipped],
      },
    };
  }
}

/**
 * Runs `steps` one after another (a saga). If step `k` fails, the `undo` of
 * every completed step runs in reverse order (`k-1` … `0`), each with its own
 * step's result; an undo that fails is recorded and the next one still runs,
 * because leaving the remaining steps in place would only make things worse.
 *
 * @returns `{ status: 'completed', results }` when every step succeeded.
 * @throws {@link FlowFailedError} when a step failed (after compensation);
 *   TypeError, before running anything, when two steps share a name.
 */
export async function runSteps(steps: readonly Step[], options: RunStepsOptions = {}): Promise<FlowCompleted> {
  const names = new Set<string>();
  for (const step of steps) {
    if (names.has(step.name)) throw new TypeError(`runSteps: duplicate step name "${step.name}"`);
    names.add(step.name);
  }

  const { signal } = options;
  const results: unknown[] = [];
  for (const [index, step] of steps.entries()) {
    try {
      if (signal?.aborted) throw abortReason(signal);
      results.push(await step.run(signal));
    } catch (error) {
      throw new FlowFailedError(step.name, index, error, await compensate(steps, results));
    }
  }
  return { status: 'completed', results };
}

/** Undoes the first `results.length` steps, last first. Never throws. */
async function compensate(steps: readonly Step[], results: readonly unknown[]): Promise<CompensationReport> {
  const report: CompensationReport = { completed: true, undone: [], failedUndos: [], skipped: [] };
  for (let i = results.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if (step.undo === undefined) {
      report.skipped.push(step.name);
      continue;
    }
    try {
      await step.undo(results[i]);
      report.undone.push(step.name);
    } catch (error) {
      report.failedUndos.push({ step: step.name, error });
    }
  }
  report.completed = report.failedUndos.length === 0;
  return report;
}
