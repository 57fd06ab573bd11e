/**
 * Runs flows of ports on records (the saga of one flow is `flow-saga.ts`):
 * starts them from port calls and events, resumes unfinished ones after a
 * restart (only those this process owns), keeps one driver per record per
 * process, and stops with a drain timeout. Model code reaches it through the
 * record object (`objectOf`): one method per port and per relation.
 */
import { MicrolibError, notFoundError, validationError } from '../errors.js';
import type { DomainEvent } from '../events/index.js';
import type { ModelService, PortMachinery } from '../model-service.js';
import type { Json, RecordMethods, StoredRecord } from '../model-spec.js';
import { resolveRelation } from '../relations.js';
import type { BreakerRegistry } from '../ports/breaker-registry.js';
import type { FlowWorld } from './flow-environment.js';
import { drivesFlow, type RunnerIdentity } from './flow-ownership.js';
import { FlowSaga, type FirstStep, type FlowMoveReport, type FlowStepReport } from './flow-saga.js';
import { beginFlow, isActive } from './flow-state.js';
import { flowTriggers, type FlowTrigger } from './flow-triggers.js';

export interface FlowRunnerOptions extends RunnerIdentity {
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
  onStep?(report: FlowStepReport): void;
  /** A flow picked up after its version was no longer loaded, moved to the version serving now. */
  onMove?(report: FlowMoveReport): void;
  /** Flows resumed at once after a restart. */
  resumeConcurrency?: number;
}

const RESUME_PAGE = 200;

function jsonInput(input: unknown, port: string): Json | undefined {
  if (input === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(input)) as Json;
  } catch {
    throw validationError(`the input of port "${port}" must be JSON`, 'input');
  }
}

export class FlowRunner implements PortMachinery {
  private readonly active = new Map<string, Promise<void>>();
  private readonly shutdown = new AbortController();
  private stopping = false;
  private readonly saga: FlowSaga;

  constructor(private readonly options: FlowRunnerOptions) {
    this.saga = new FlowSaga({
      world: options.world,
      breakers: options.breakers,
      publish: (event) => options.publish(event),
      onStep: (report) => options.onStep?.(report),
      onMove: (report) => options.onMove?.(report),
      signal: this.shutdown.signal,
      stopping: () => this.stopping,
    });
  }

  /**
   * Starts a flow at `port` on record `id` on `service`'s version (the one the
   * request or event reached): its steps and undos run there. Resolves with the
   * record once that first step is done (the flow goes on).
   */
  async startPort(service: ModelService, id: string, port: string, input: unknown): Promise<StoredRecord> {
    const modelName = service.model.name;
    const settings = service.model.ports.get(port);
    if (!settings) throw notFoundError(`${modelName} has no port "${port}"`);
    if (settings.disabled) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `port ${modelName}.${port} is disabled`);
    if (this.stopping) throw new MicrolibError('MLB_ERR_UNAVAILABLE', 'the host is stopping; try again shortly');
    const stepInput = jsonInput(input, port);
    const flowId = service.newId();
    const version = service.model.identity.version;
    await service.transition(id, (existing) => ({ flow: beginFlow(existing.flow, flowId, port, stepInput, service.now(), this.options.runnerId, version) }));
    return new Promise<StoredRecord>((resolve, reject) => {
      this.drive(modelName, id, flowId, { resolve, reject });
    });
  }

  /** The record with a method per enabled port (starting a flow) and per relation. */
  objectOf(service: ModelService, record: StoredRecord): StoredRecord & RecordMethods {
    const object = service.model.reveal(record) as Record<string, unknown>;
    for (const [name, settings] of service.model.ports) {
      if (settings.disabled) continue;
      Object.defineProperty(object, name, {
        enumerable: false,
        // On the version whose code holds the record: a canary's command starts the canary's flow.
        value: (input?: unknown) => this.startPort(service, record.id, name, input),
      });
    }
    for (const name of Object.keys(service.model.spec.relations ?? {})) {
      Object.defineProperty(object, name, {
        enumerable: false,
        value: () => this.relation(service, record.id, name),
      });
    }
    return object as StoredRecord & RecordMethods;
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

  /** Subscriptions that start flows from events (see `flowTriggers`); a flow that cannot start is reported, phase `start`. */
  triggers(service: ModelService): FlowTrigger[] {
    const modelName = service.model.name;
    return flowTriggers(service.model, ({ id, port, input, eventName }) => {
      this.withService(modelName, service, (current) => this.startPort(current, id, port, input)).catch((error: unknown) =>
        this.options.onError(error, { phase: 'start', model: modelName, id, event: eventName }),
      );
    });
  }

  /** Resumes every unfinished flow of a model that this process drives; resolves with how many were found. */
  async resume(service: ModelService): Promise<number> {
    if (service.model.ports.size === 0) return 0;
    const pending: Array<{ id: string; flowId: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await service.datasource.list({ filter: {}, sort: [], limit: RESUME_PAGE, offset: 0, count: false, ...(cursor === undefined ? {} : { cursor }) });
      for (const record of page.records) if (isActive(record.flow) && drivesFlow(record.flow, this.options)) pending.push({ id: record.id, flowId: record.flow.id });
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
    let timer: ReturnType<typeof setTimeout> | undefined;
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
  private drive(model: string, id: string, flowId: string, first?: FirstStep): Promise<void> {
    const key = `${model}\u0000${id}`;
    const current = this.active.get(key);
    // The previous driver may be between its last write and its exit: take over after it.
    if (current) return current.then(() => this.drive(model, id, flowId, first));
    let settled = first === undefined;
    const settle: FirstStep = {
      resolve: (record) => {
        if (!settled) first!.resolve(record);
        settled = true;
      },
      reject: (error) => {
        if (!settled) first!.reject(error);
        settled = true;
      },
    };
    const run = this.saga
      .run(model, id, flowId, settle)
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
}
