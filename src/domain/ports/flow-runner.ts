/**
 * Runs flows of ports on records. A flow starts at one port; when a port
 * completes, the port consuming its `producesEvent` runs next on the same
 * record. Every transition is stored with the record before the next one
 * starts, so after a restart a flow resumes where it stopped: completed steps
 * never run again; a step interrupted mid-call runs again with the same
 * idempotency key. When a step fails, the `undo` of each completed step runs,
 * last first, and the record tells whether compensation completed.
 */
import { MicrolibError, notFoundError, validationError } from '../errors.js';
import { makeEvent, type DomainEvent } from '../events/index.js';
import type { ModelService, RecordMethods } from '../model-service.js';
import type { FlowState, Json, ModelObject, PortChanges, StoredRecord } from '../model-spec.js';
import { resolveRelation, type RelationTarget } from '../relations.js';
import type { BreakerRegistry } from './breaker-registry.js';
import {
  beginFlow,
  completeStep,
  failStep,
  finishCompensation,
  isActive,
  nextUndo,
  recordUndo,
  runningStep,
} from './flow-state.js';
import { invokePort, type PortBindings } from './port-invoker.js';
import { successorOf, type PortSettings } from './port-settings.js';

/** The versions loaded now: model services and the adapters and services ports bind to. */
export interface FlowEnvironment {
  service(modelName: string): ModelService | undefined;
  /** Models of other hosts, for relations. */
  remoteModel?(modelName: string): RelationTarget | undefined;
  readonly bindings: PortBindings;
}

/** Gives the environment of the moment; `release` lets a replaced version be disposed once nothing uses it. */
export interface FlowWorld {
  acquire(): { env: FlowEnvironment; release(): void };
}

export interface FlowRunnerOptions {
  world: FlowWorld;
  breakers: BreakerRegistry;
  publish(event: DomainEvent): unknown;
  /**
   * An event could not start a flow (`phase: 'start'`: no such record, a flow
   * already running…), or a flow could not go on (`phase: 'run'`: a storage
   * failure, its model not served); a flow that stopped resumes on the next start.
   */
  onError(error: unknown, where: { phase: 'start' | 'run'; model: string; id: string; flowId?: string; event?: string }): void;
  /** Each step's outcome, for the log. */
  onStep?(report: { model: string; id: string; flowId: string; port: string; outcome: 'done' | 'failed' | 'undone' | 'undo-failed'; error?: unknown }): void;
  /** Flows resumed at once after a restart. */
  resumeConcurrency?: number;
  /**
   * This process's runner id, stored with each flow it starts. When set,
   * `resume` takes over only flows with this runner, plus flows with none when
   * `adoptUnowned` (one process of a cluster, so two never drive one flow).
   */
  runnerId?: string;
  adoptUnowned?: boolean;
}

type UndoOutcome = { outcome: 'done'; changes: PortChanges } | { outcome: 'skipped' } | { outcome: 'failed'; error: unknown };

const RESUME_PAGE = 200;

function jsonInput(input: unknown, port: string): Json | undefined {
  if (input === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(input)) as Json;
  } catch {
    throw validationError(`the input of port "${port}" must be JSON`, 'input');
  }
}

function changesOf(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export class FlowRunner implements RecordMethods {
  private readonly active = new Map<string, Promise<void>>();
  private readonly shutdown = new AbortController();
  private stopping = false;

  constructor(private readonly options: FlowRunnerOptions) {}

  /** Starts a flow at `port` on record `id`; resolves with the record once that first step is done (the flow goes on). */
  async startPort(service: ModelService, id: string, port: string, input: unknown): Promise<StoredRecord> {
    const modelName = service.model.name;
    const settings = service.model.ports.get(port);
    if (!settings) throw notFoundError(`${modelName} has no port "${port}"`);
    if (settings.disabled) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `port ${modelName}.${port} is disabled`);
    if (this.stopping) throw new MicrolibError('MLB_ERR_UNAVAILABLE', 'the host is stopping; try again shortly');
    const stepInput = jsonInput(input, port);
    const flowId = service.newId();
    await service.transition(id, (existing) => ({ flow: beginFlow(existing.flow, flowId, port, stepInput, service.now(), this.options.runnerId) }));
    return new Promise<StoredRecord>((resolve, reject) => {
      this.drive(modelName, id, flowId, { resolve, reject });
    });
  }

  /** Calls a port's adapter outside the flow's bookkeeping: an undo port, or an undo function's `invoke`. */
  private async invokeOnly(env: FlowEnvironment, record: StoredRecord, settings: PortSettings | undefined, name: string, input: unknown, key: string): Promise<unknown> {
    if (!settings) throw notFoundError(`no port "${name}"`);
    const outcome = await invokePort({ settings, model: record, input, idempotencyKey: key, signal: this.shutdown.signal }, env.bindings, this.options.breakers);
    return outcome.result;
  }

  /** The record with a method per enabled port (starting a flow) and per relation. */
  objectOf(service: ModelService, record: StoredRecord): ModelObject {
    const object = service.model.reveal(record) as Record<string, unknown>;
    const modelName = service.model.name;
    for (const [name, settings] of service.model.ports) {
      if (settings.disabled) continue;
      Object.defineProperty(object, name, {
        enumerable: false,
        value: (input?: unknown) => this.withService(modelName, service, (current) => this.startPort(current, record.id, name, input)),
      });
    }
    for (const name of Object.keys(service.model.spec.relations ?? {})) {
      Object.defineProperty(object, name, {
        enumerable: false,
        value: () => this.relation(service, record.id, name),
      });
    }
    return object as ModelObject;
  }

  private async relation(service: ModelService, id: string, name: string): Promise<unknown> {
    const { env, release } = this.options.world.acquire();
    try {
      const result = await resolveRelation(service, id, name, (model) => env.service(model) ?? env.remoteModel?.(model), { limit: 1000, offset: 0, count: false, sort: [] });
      return result.kind === 'one' ? result.record : result.page.records;
    } finally {
      release();
    }
  }

  private async withService<T>(modelName: string, fallback: ModelService, use: (service: ModelService) => Promise<T>): Promise<T> {
    const { env, release } = this.options.world.acquire();
    try {
      return await use(env.service(modelName) ?? fallback);
    } finally {
      release();
    }
  }

  /**
   * Subscriptions that start flows from events: a port consuming an event no port
   * of its model produces starts when that event names a record of the model
   * (`data.id`, and the model's name when the event carries one).
   */
  triggers(service: ModelService): Array<{ eventName: string; handler: (event: DomainEvent) => void }> {
    const model = service.model;
    const produced = new Set([...model.ports.values()].map((port) => port.producesEvent).filter((name) => name !== undefined));
    const result: Array<{ eventName: string; handler: (event: DomainEvent) => void }> = [];
    for (const port of model.ports.values()) {
      const eventName = port.consumesEvent;
      if (eventName === undefined || port.disabled || produced.has(eventName)) continue;
      result.push({
        eventName,
        handler: (event) => {
          const data = event.data as { id?: unknown; flowId?: unknown } | undefined;
          if (typeof data?.id !== 'string' || data.flowId !== undefined) return;
          if (event.modelName !== undefined && event.modelName !== model.name) return;
          const id = data.id;
          this.withService(model.name, service, (current) => this.startPort(current, id, port.name, data)).catch((error: unknown) =>
            this.options.onError(error, { phase: 'start', model: model.name, id, event: eventName }),
          );
        },
      });
    }
    return result;
  }

  /** Resumes every unfinished flow of a model; resolves with how many were found. */
  async resume(service: ModelService): Promise<number> {
    if (service.model.ports.size === 0) return 0;
    const pending: Array<{ id: string; flowId: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await service.datasource.list({ filter: {}, sort: [], limit: RESUME_PAGE, offset: 0, count: false, ...(cursor === undefined ? {} : { cursor }) });
      for (const record of page.records) if (isActive(record.flow) && this.drives(record.flow)) pending.push({ id: record.id, flowId: record.flow.id });
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const limit = this.options.resumeConcurrency ?? 16;
    let next = 0;
    const worker = async () => {
      while (next < pending.length && !this.stopping) {
        const { id, flowId } = pending[next++]!;
        await this.drive(service.model.name, id, flowId);
      }
    };
    // Not awaited by the caller's request path: each flow takes as long as its steps.
    void Promise.all(Array.from({ length: Math.min(limit, pending.length) }, worker));
    return pending.length;
  }

  /** Whether this process resumes a stored flow: its own, or one nobody claimed when it adopts those. */
  private drives(flow: FlowState): boolean {
    const { runnerId, adoptUnowned = true } = this.options;
    if (runnerId === undefined) return true;
    return flow.runner === undefined ? adoptUnowned : flow.runner === runnerId;
  }

  /** Flows being driven now. */
  get running(): number {
    return this.active.size;
  }

  /**
   * Stops starting steps and aborts the calls in progress; their flows stay as
   * stored and resume on the next start. Waits up to `timeoutMs` for them.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.shutdown.abort(new MicrolibError('MLB_ERR_UNAVAILABLE', 'the host is stopping'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.active.values()]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  /** Drives one flow until it ends, or until the host stops; one driver per record at a time. */
  private drive(model: string, id: string, flowId: string, first?: { resolve(record: StoredRecord): void; reject(error: unknown): void }): Promise<void> {
    const key = `${model}\u0000${id}`;
    const current = this.active.get(key);
    // The previous driver may be between its last write and its exit: take over after it.
    if (current) return current.then(() => this.drive(model, id, flowId, first));
    let settled = first === undefined;
    const settle = {
      resolve: (record: StoredRecord) => {
        if (!settled) first!.resolve(record);
        settled = true;
      },
      reject: (error: unknown) => {
        if (!settled) first!.reject(error);
        settled = true;
      },
    };
    const run = this.loop(model, id, flowId, settle)
      .catch((error: unknown) => {
        settle.reject(error);
        this.options.onError(error, { phase: 'run', model, id, flowId });
      })
      .finally(() => {
        this.active.delete(key);
        settle.reject(new MicrolibError('MLB_ERR_UNAVAILABLE', 'the flow stopped before its first step finished (the host is stopping, or the record is gone); a stored flow resumes on the next start'));
      });
    this.active.set(key, run);
    return run;
  }

  private async loop(model: string, id: string, flowId: string, first: { resolve(record: StoredRecord): void; reject(error: unknown): void }): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      const { env, release } = this.options.world.acquire();
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
  }

  /** Runs the running step and stores its outcome; false when the flow cannot go on now. */
  private async runStep(env: FlowEnvironment, service: ModelService, record: StoredRecord, first: { resolve(record: StoredRecord): void; reject(error: unknown): void }): Promise<boolean> {
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
      outcome = await invokePort({ settings, model: service.model.reveal(record), input: step.input, idempotencyKey: `${flow.id}:${index}`, signal: this.shutdown.signal }, env.bindings, this.options.breakers);
      if (settings.callback) {
        const result = outcome.result;
        changes = changesOf(await invokeModelCode(`callback of port ${step.port}`, () => settings.callback!({ model: service.model.reveal(record), result, input: step.input })));
      }
    } catch (error) {
      failure = error;
    }
    // Interrupted by the host stopping: the step stays running and runs again on the next start.
    if (failure !== undefined && this.stopping) return false;
    const sameStep = (existing: StoredRecord) => existing.flow?.id === flow.id && runningStep(existing.flow)?.index === index;
    const report = { model: service.model.name, id: record.id, flowId: flow.id, port: step.port };
    if (failure === undefined) {
      const next = successorOf(service.model.ports, settings!.producesEvent);
      const done = outcome!;
      const stored = await service.transition(record.id, (existing) =>
        sameStep(existing) ? { flow: completeStep(existing.flow!, index, done, next?.name, service.now()), changes } : undefined,
      );
      this.options.onStep?.({ ...report, outcome: 'done' });
      if (settings!.producesEvent !== undefined) {
        void this.options.publish(makeEvent(settings!.producesEvent, { modelName: service.model.name, data: { id: record.id, flowId: flow.id, port: step.port, result: done.result ?? null } }));
      }
      first.resolve(stored);
      return true;
    }
    const attempts = (failure as { attempts?: unknown }).attempts;
    await service.transition(record.id, (existing) =>
      sameStep(existing) ? { flow: failStep(existing.flow!, index, failure, typeof attempts === 'number' ? attempts : 1, service.now()) } : undefined,
    );
    this.options.onStep?.({ ...report, outcome: 'failed', error: failure });
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
    if (result.outcome === 'failed' && this.stopping) return false;
    const undone = (existing: StoredRecord) => compensating(existing) && existing.flow!.steps[target.index]?.undo === undefined;
    await service.transition(record.id, (existing) => {
      if (!undone(existing)) return undefined;
      if (result.outcome === 'failed') return { flow: recordUndo(existing.flow!, target.index, { error: result.error }) };
      return { flow: recordUndo(existing.flow!, target.index, result.outcome), changes: result.outcome === 'done' ? changesOf(result.changes) : undefined };
    });
    if (result.outcome !== 'skipped') {
      const report = { model: service.model.name, id: record.id, flowId: flow.id, port: target.step.port };
      this.options.onStep?.(result.outcome === 'done' ? { ...report, outcome: 'undone' } : { ...report, outcome: 'undo-failed', error: result.error });
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
