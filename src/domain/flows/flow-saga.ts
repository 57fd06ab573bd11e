/**
 * Drives one record's flow. A flow starts at one port; when a port completes,
 * the port consuming its `producesEvent` runs next on the same record. Every
 * transition is stored with the record before the next one starts (the step's
 * outcome and the next step in one write), so after a restart a flow resumes
 * where it stopped: completed steps never run again; a step interrupted
 * mid-call runs again with the same idempotency key. When a step fails, the
 * `undo` of each completed step runs, last first, and the record tells whether
 * compensation completed.
 *
 * A flow runs on the version of its model's remote that started it
 * (`flow.version`): the saga holds that version for as long as it drives the
 * flow, so a canary's flows run and undo on the canary and the stable
 * version's on it, also past a promotion or abort (the replaced version is
 * disposed once its flows end, or at its drain timeout). A flow whose version
 * was disposed under it stops `failed`, nothing undone elsewhere
 * (`abandonFlow`); one whose version is not loaded when this process picks it
 * up (after a restart) moves to the version serving its model now, recorded.
 */
import { MicrolibError, notFoundError } from '../errors.js';
import { makeEvent, type DomainEvent } from '../events/index.js';
import type { ModelService } from '../model-service.js';
import type { Json, PortChanges, StoredRecord } from '../model-spec.js';
import type { BreakerRegistry } from '../ports/breaker-registry.js';
import { invokePort } from '../ports/port-invoker.js';
import { successorOf, type PortSettings } from '../ports/port-settings.js';
import type { FlowEnvironment, FlowWorld, VersionLease } from './flow-environment.js';
import { abandonFlow, completeStep, failStep, finishCompensation, isActive, moveFlow, nextUndo, recordUndo, runningStep } from './flow-state.js';

/** One step's outcome, for the log. */
export interface FlowStepReport {
  model: string;
  id: string;
  flowId: string;
  port: string;
  outcome: 'done' | 'failed' | 'undone' | 'undo-failed';
  error?: unknown;
}

/** A flow taken over by another version: the one that started it is not loaded here. */
export interface FlowMoveReport {
  model: string;
  id: string;
  flowId: string;
  from: string;
  to: string;
}

/** What the saga needs of its runner. */
export interface SagaContext {
  readonly world: FlowWorld;
  readonly breakers: BreakerRegistry;
  publish(event: DomainEvent): unknown;
  onStep?(report: FlowStepReport): void;
  /** A flow moved to the version serving now (its own was not loaded when picked up). */
  onMove?(report: FlowMoveReport): void;
  /** Aborted when the host stops: port calls in progress end. */
  readonly signal: AbortSignal;
  /** Whether the host is stopping: no step starts, and an interrupted step stays running. */
  stopping(): boolean;
}

/** Whoever started the flow waits for its first step: the record after it, or why it failed. */
export interface FirstStep {
  resolve(record: StoredRecord): void;
  reject(error: unknown): void;
}

type UndoOutcome = { outcome: 'done'; changes: PortChanges } | { outcome: 'skipped' } | { outcome: 'failed'; error: unknown };

export class FlowSaga {
  constructor(private readonly context: SagaContext) {}

  /** Drives flow `flowId` of record `id` until it ends, the host stops, or it cannot go on now. */
  async run(model: string, id: string, flowId: string, first: FirstStep): Promise<void> {
    // The version the flow belongs to, held from the first look at the record to the end of this drive.
    let lease: VersionLease | undefined;
    let looked = false;
    try {
      for (;;) {
        if (this.context.stopping()) return;
        const acquired = lease ? lease.acquire() : this.context.world.acquire();
        if ('gone' in acquired) return await this.abandon(model, id, flowId, acquired.gone, first);
        const { env, release } = acquired;
        try {
          const service = env.service(model);
          // The model is not served now (its remote failed to load): the flow waits for it.
          if (!service) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `model ${model} is not served now; the flow resumes when it is`);
          const record = await service.get(id).catch((error: unknown) => {
            if (error instanceof MicrolibError && error.code === 'MLB_ERR_NOT_FOUND') return undefined;
            throw error;
          });
          const flow = record?.flow;
          if (!record || !flow || flow.id !== flowId) return;
          if (!looked && isActive(flow)) {
            looked = true;
            lease = await this.holdVersion(service, record);
            if (lease) continue;
          }
          if (flow.status === 'running') {
            if (!(await this.runStep(env, service, record, first))) return;
            continue;
          }
          if (flow.status === 'compensating') {
            if (!(await this.undoNext(env, service, record))) return;
            continue;
          }
          first.resolve(record);
          return;
        } finally {
          release();
        }
      }
    } finally {
      lease?.end();
    }
  }

  /**
   * Holds the version that started the flow; one not loaded here moves the flow
   * to the version serving its model now (`service`'s), recorded with the flow.
   * Undefined when the world cannot hold versions or the flow names none.
   */
  private async holdVersion(service: ModelService, record: StoredRecord): Promise<VersionLease | undefined> {
    const { world } = this.context;
    const flow = record.flow!;
    if (!world.hold || flow.version === undefined) return undefined;
    const model = service.model.name;
    const held = world.hold(model, flow.version);
    if (held) return held;
    const to = service.model.identity.version;
    await service.transition(record.id, (existing) => (existing.flow?.id === flow.id && isActive(existing.flow) ? { flow: moveFlow(existing.flow, to) } : undefined));
    this.context.onMove?.({ model, id: record.id, flowId: flow.id, from: flow.version, to });
    return world.hold(model, to);
  }

  /** The flow's version was disposed under it: it stops `failed` where it is, and says why. */
  private async abandon(model: string, id: string, flowId: string, reason: Error, first: FirstStep): Promise<void> {
    const { env, release } = this.context.world.acquire();
    try {
      const service = env.service(model);
      if (!service) return;
      let port: string | undefined;
      await service.transition(id, (existing) => {
        const flow = existing.flow;
        if (flow?.id !== flowId || !isActive(flow)) return undefined;
        port = flow.steps.at(-1)?.port;
        return { flow: abandonFlow(flow, reason, service.now()) };
      });
      if (port !== undefined) this.context.onStep?.({ model, id, flowId, port, outcome: 'failed', error: reason });
      first.reject(reason);
    } finally {
      release();
    }
  }

  /** Runs the running step and stores its outcome; false when the flow cannot go on now. */
  private async runStep(env: FlowEnvironment, service: ModelService, record: StoredRecord, first: FirstStep): Promise<boolean> {
    const flow = record.flow!;
    const running = runningStep(flow);
    if (!running) return false;
    const { step, index } = running;
    const settings = service.model.ports.get(step.port);
    let outcome: { result: Json | undefined; attempts: number } | undefined;
    let changes: Record<string, unknown> | undefined;
    let failure: unknown;
    try {
      if (!settings) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `${service.model.name} has no port "${step.port}" any more`);
      outcome = await invokePort({ settings, model: service.model.reveal(record), input: step.input, idempotencyKey: `${flow.id}:${index}`, signal: this.context.signal }, env.bindings, this.context.breakers);
      if (settings.callback) {
        const result = outcome.result;
        changes = changesOf(await invokeModelCode(`callback of port ${step.port}`, () => settings.callback!({ model: service.model.reveal(record), result, input: step.input })));
      }
    } catch (error) {
      failure = error;
    }
    // Interrupted by the host stopping: the step stays running and runs again on the next start.
    if (failure !== undefined && this.context.stopping()) return false;
    const sameStep = (existing: StoredRecord) => existing.flow?.id === flow.id && runningStep(existing.flow)?.index === index;
    const report = { model: service.model.name, id: record.id, flowId: flow.id, port: step.port };
    if (failure === undefined) {
      const next = successorOf(service.model.ports, settings!.producesEvent);
      const done = outcome!;
      const stored = await service.transition(record.id, (existing) =>
        sameStep(existing) ? { flow: completeStep(existing.flow!, index, done, next?.name, service.now()), changes } : undefined,
      );
      this.context.onStep?.({ ...report, outcome: 'done' });
      if (settings!.producesEvent !== undefined) {
        void this.context.publish(makeEvent(settings!.producesEvent, { modelName: service.model.name, data: { id: record.id, flowId: flow.id, port: step.port, result: done.result ?? null } }));
      }
      first.resolve(stored);
      return true;
    }
    const attempts = (failure as { attempts?: unknown }).attempts;
    await service.transition(record.id, (existing) =>
      sameStep(existing) ? { flow: failStep(existing.flow!, index, failure, typeof attempts === 'number' ? attempts : 1, service.now()) } : undefined,
    );
    this.context.onStep?.({ ...report, outcome: 'failed', error: failure });
    first.reject(failure);
    return true;
  }

  /** Undoes the last completed step not yet compensated, or ends compensation; false when the flow cannot go on now. */
  private async undoNext(env: FlowEnvironment, service: ModelService, record: StoredRecord): Promise<boolean> {
    const flow = record.flow!;
    const target = nextUndo(flow);
    const compensating = (existing: StoredRecord) => existing.flow?.id === flow.id && existing.flow.status === 'compensating';
    if (!target) {
      await service.transition(record.id, (existing) => (compensating(existing) ? { flow: finishCompensation(existing.flow!, service.now()) } : undefined));
      return true;
    }
    const result = await this.undo(env, service, service.model.reveal(record), target.step.port, target.step.result, `${flow.id}:${target.index}:undo`);
    if (result.outcome === 'failed' && this.context.stopping()) return false;
    const undone = (existing: StoredRecord) => compensating(existing) && existing.flow!.steps[target.index]?.undo === undefined;
    await service.transition(record.id, (existing) => {
      if (!undone(existing)) return undefined;
      if (result.outcome === 'failed') return { flow: recordUndo(existing.flow!, target.index, { error: result.error }) };
      return { flow: recordUndo(existing.flow!, target.index, result.outcome), changes: result.outcome === 'done' ? changesOf(result.changes) : undefined };
    });
    if (result.outcome !== 'skipped') {
      const report = { model: service.model.name, id: record.id, flowId: flow.id, port: target.step.port };
      this.context.onStep?.(result.outcome === 'done' ? { ...report, outcome: 'undone' } : { ...report, outcome: 'undo-failed', error: result.error });
    }
    return true;
  }

  private async undo(env: FlowEnvironment, service: ModelService, record: StoredRecord, port: string, stepResult: Json | undefined, key: string): Promise<UndoOutcome> {
    const undo = service.model.ports.get(port)?.undo;
    if (undo === undefined) return { outcome: 'skipped' };
    try {
      if (typeof undo === 'string') {
        const settings = service.model.ports.get(undo);
        const result = await this.invokeOnly(env, record, settings, undo, stepResult, key);
        const callback = settings?.callback;
        const changes = callback ? await invokeModelCode(`callback of port ${undo}`, () => callback({ model: { ...record }, result, input: stepResult })) : undefined;
        return { outcome: 'done', changes: changesOf(changes) };
      }
      let calls = 0;
      const invoke = (name: string, input?: unknown) => this.invokeOnly(env, record, service.model.ports.get(name), name, input, `${key}:${++calls}`);
      const changes = await invokeModelCode(`undo of port ${port}`, () => undo({ model: { ...record }, result: stepResult, invoke }));
      return { outcome: 'done', changes: changesOf(changes) };
    } catch (error) {
      return { outcome: 'failed', error };
    }
  }

  /** Calls a port's adapter outside the flow's bookkeeping: an undo port, or an undo function's `invoke`. */
  private async invokeOnly(env: FlowEnvironment, record: StoredRecord, settings: PortSettings | undefined, name: string, input: unknown, key: string): Promise<unknown> {
    if (!settings) throw notFoundError(`no port "${name}"`);
    const outcome = await invokePort({ settings, model: record, input, idempotencyKey: key, signal: this.context.signal }, env.bindings, this.context.breakers);
    return outcome.result;
  }
}

function changesOf(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Runs model code (a callback or undo); a throw is the model refusing, a conflict naming it. */
async function invokeModelCode<T>(what: string, code: () => T | Promise<T>): Promise<T> {
  try {
    return await code();
  } catch (error) {
    if (error instanceof MicrolibError) throw error;
    throw new MicrolibError('MLB_ERR_CONFLICT', `${what} refused: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
}
