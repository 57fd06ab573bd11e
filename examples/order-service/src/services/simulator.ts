/**
 * The in-memory "external system" behind the example's services. Payment, inventory
 * and shipping share it so they deduplicate, slow down, fail and hang the same way:
 *
 * - Each operation is deduplicated by idempotency key: a repeated key gets the first
 *   result back (outcome `replayed`) and the operation is not performed again.
 * - `ORDER_SERVICE_LATENCY_MS` (default 0) delays every call.
 * - `ORDER_SERVICE_FAULTS` is a JSON object keyed `<service>.<operation>`, with values
 *   `{ latencyMs?, fail?, hang? }`: `fail: n` fails the first n calls of that operation
 *   in this process, `hang: n` leaves them unanswered until their signal aborts;
 *   `"always"` applies to every call. `latencyMs` replaces the default latency.
 * - `ORDER_SERVICE_CALL_LOG`, when set, names a file that gets one JSON line per call
 *   phase (`start`, then `end` with its outcome).
 *
 * The environment is read on every call, so a running host can be reconfigured.
 */
import { appendFileSync } from 'node:fs';
import { raceAbort, sleep } from '../../../../src/index.js';

/** What identifies one logical request, and bounds how long its caller waits. */
export interface CallOptions {
  /** The same for every attempt of one step: a repeated key returns the first result. */
  idempotencyKey: string;
  /** Aborts every wait (latency, hang, a duplicate still running): the call rejects with its reason. */
  signal?: AbortSignal | undefined;
}

/** Settings of one operation in ORDER_SERVICE_FAULTS. */
export interface FaultSpec {
  latencyMs?: number;
  fail?: number | 'always';
  hang?: number | 'always';
}

/** Counters of one operation since this process started. */
export interface OperationStats {
  /** Calls that reached the system (replays excluded): the count `fail` and `hang` use. */
  calls: number;
  /** Operations actually performed. */
  performed: number;
  /** Calls answered with an earlier result of the same idempotency key. */
  replayed: number;
}

/** Errors of the simulated systems; `code` is saved with a failed flow step. */
export class OrderServiceError extends Error {
  readonly code: string;

  constructor(name: string, code: string, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

const configError = (message: string) => new OrderServiceError('OrderServiceConfigError', 'ORDER_SERVICE_CONFIG', message);

/** `<service>.<operation>` of every simulated operation, to catch typos in ORDER_SERVICE_FAULTS. */
const knownOperations = new Set<string>();

const FAULT_SETTINGS = new Set(['latencyMs', 'fail', 'hang']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function defaultLatency(): number {
  const raw = process.env.ORDER_SERVICE_LATENCY_MS;
  if (raw === undefined || raw.trim() === '') return 0;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 0) throw configError(`ORDER_SERVICE_LATENCY_MS must be a number of milliseconds >= 0, got ${JSON.stringify(raw)}`);
  return ms;
}

function checkCount(key: string, setting: string, value: unknown): void {
  if (value === undefined || value === 'always') return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw configError(`ORDER_SERVICE_FAULTS["${key}"].${setting} must be an integer >= 0 or "always", got ${JSON.stringify(value)}`);
  }
}

/** The fault settings of one operation; the whole variable is checked, so a typo anywhere is reported. */
function faultsOf(operationKey: string): FaultSpec {
  const raw = process.env.ORDER_SERVICE_FAULTS;
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw configError(`ORDER_SERVICE_FAULTS is not valid JSON (${reason}); expected an object such as {"shipping.ship":{"fail":1}}`);
  }
  if (!isPlainObject(parsed)) throw configError('ORDER_SERVICE_FAULTS must be a JSON object keyed "<service>.<operation>", such as {"shipping.ship":{"fail":1}}');
  for (const [key, spec] of Object.entries(parsed)) {
    if (!knownOperations.has(key)) throw configError(`ORDER_SERVICE_FAULTS names unknown operation "${key}" (known: ${[...knownOperations].join(', ')})`);
    if (!isPlainObject(spec)) throw configError(`ORDER_SERVICE_FAULTS["${key}"] must be an object with latencyMs, fail and/or hang`);
    for (const setting of Object.keys(spec)) {
      if (!FAULT_SETTINGS.has(setting)) throw configError(`ORDER_SERVICE_FAULTS["${key}"] has unknown setting "${setting}" (known: latencyMs, fail, hang)`);
    }
    const latency = spec.latencyMs;
    if (latency !== undefined && (typeof latency !== 'number' || !Number.isFinite(latency) || latency < 0)) {
      throw configError(`ORDER_SERVICE_FAULTS["${key}"].latencyMs must be a number >= 0, got ${JSON.stringify(latency)}`);
    }
    checkCount(key, 'fail', spec.fail);
    checkCount(key, 'hang', spec.hang);
  }
  return (parsed[operationKey] ?? {}) as FaultSpec;
}

/** Whether a `fail`/`hang` setting applies to call number `n` of its operation. */
const applies = (setting: number | 'always' | undefined, n: number) => setting === 'always' || (setting !== undefined && n <= setting);

/** A call that never answers: it only ends when its signal aborts (without one, never). */
function hang(signal: AbortSignal | undefined): Promise<never> {
  return raceAbort(new Promise<never>(() => undefined), signal);
}

interface CallLogLine {
  service: string;
  operation: string;
  orderId: string;
  idempotencyKey: string;
  phase: 'start' | 'end';
  outcome?: 'ok' | 'failed' | 'aborted' | 'replayed';
}

function writeCallLog(line: CallLogLine): void {
  const file = process.env.ORDER_SERVICE_CALL_LOG;
  if (!file) return;
  // Synchronous, so the line is on disk before the call goes on, even if the host is killed next.
  appendFileSync(file, `${JSON.stringify({ ...line, at: new Date().toISOString() })}\n`);
}

/** State of one simulated system. */
interface SystemState {
  /** First result of each `<operation> <idempotencyKey>`, oldest first. */
  results: Map<string, unknown>;
  /** Calls still running, by the same key: a duplicate waits for the first instead of performing twice. */
  running: Map<string, Promise<void>>;
  operations: Map<string, OperationStats>;
}

/** Results kept per system; the oldest go first, so a long-running host stays bounded. */
const MAX_RESULTS = 10_000;

// The state lives on globalThis rather than in this module: a hot reload loads a new copy
// of the module, but the external system it simulates does not restart with the code.
// One entry per process, whatever the number of reloads.
const STATE_KEY = Symbol.for('microlib.examples.order-service.simulated-systems');

function stateOf(service: string): SystemState {
  const holder = globalThis as unknown as Record<symbol, Map<string, SystemState> | undefined>;
  const systems = (holder[STATE_KEY] ??= new Map());
  let state = systems.get(service);
  if (!state) {
    state = { results: new Map(), running: new Map(), operations: new Map() };
    systems.set(service, state);
  }
  return state;
}

/** One simulated external system (payment, inventory, shipping). */
export class SimulatedSystem {
  private readonly state: SystemState;

  constructor(
    readonly service: string,
    operations: readonly string[],
  ) {
    for (const operation of operations) knownOperations.add(`${service}.${operation}`);
    this.state = stateOf(service);
  }

  /**
   * Performs `operation` once per idempotency key: `perform` runs after the configured
   * latency and faults, and its result (JSON) is kept and returned for repeated keys.
   */
  async call<R>(operation: string, orderId: string, options: CallOptions, perform: () => R): Promise<R> {
    const entry = { service: this.service, operation, orderId, idempotencyKey: options.idempotencyKey };
    writeCallLog({ ...entry, phase: 'start' });
    try {
      const { value, outcome } = await this.run(operation, options, perform);
      writeCallLog({ ...entry, phase: 'end', outcome });
      // A copy, so a caller changing its result cannot change what later replays return.
      return structuredClone(value);
    } catch (error) {
      writeCallLog({ ...entry, phase: 'end', outcome: options.signal?.aborted ? 'aborted' : 'failed' });
      throw error;
    }
  }

  /** Counters of every operation of this system since the process started. */
  stats(): Record<string, OperationStats> {
    return Object.fromEntries([...this.state.operations].map(([name, stats]) => [name, { ...stats }]));
  }

  private statsOf(operation: string): OperationStats {
    let stats = this.state.operations.get(operation);
    if (!stats) {
      stats = { calls: 0, performed: 0, replayed: 0 };
      this.state.operations.set(operation, stats);
    }
    return stats;
  }

  private async run<R>(operation: string, { idempotencyKey, signal }: CallOptions, perform: () => R): Promise<{ value: R; outcome: 'ok' | 'replayed' }> {
    const name = `${this.service}.${operation}`;
    if (typeof idempotencyKey !== 'string' || idempotencyKey === '') {
      throw new OrderServiceError('OrderServiceError', 'ORDER_SERVICE_BAD_REQUEST', `${name} needs an idempotency key`);
    }
    if (signal?.aborted) throw abortReason(signal);
    const fault = faultsOf(name);
    const latencyMs = fault.latencyMs ?? defaultLatency();
    const stats = this.statsOf(operation);
    const key = `${operation} ${idempotencyKey}`;
    for (;;) {
      if (this.state.results.has(key)) {
        stats.replayed++;
        return { value: this.state.results.get(key) as R, outcome: 'replayed' };
      }
      const running = this.state.running.get(key);
      if (!running) break;
      // Settles (never rejects) when the first call ends; then its result, if any, is replayed.
      await raceAbort(running, signal);
    }
    const attempt = this.attempt(operation, key, stats, fault, latencyMs, signal, perform);
    const settled: Promise<void> = attempt.then(
      () => this.release(key, settled),
      () => this.release(key, settled),
    );
    this.state.running.set(key, settled);
    return { value: await attempt, outcome: 'ok' };
  }

  private release(key: string, settled: Promise<void>): void {
    if (this.state.running.get(key) === settled) this.state.running.delete(key);
  }

  private async attempt<R>(
    operation: string,
    key: string,
    stats: OperationStats,
    fault: FaultSpec,
    latencyMs: number,
    signal: AbortSignal | undefined,
    perform: () => R,
  ): Promise<R> {
    // Numbered before any wait, so calls count in the order they arrived.
    const n = ++stats.calls;
    if (latencyMs > 0) await sleep(latencyMs, signal);
    if (applies(fault.hang, n)) await hang(signal);
    if (signal?.aborted) throw abortReason(signal);
    if (applies(fault.fail, n)) {
      throw new OrderServiceError('OrderServiceFault', 'ORDER_SERVICE_FAULT', `${this.service}.${operation} failed (injected fault, call ${n})`);
    }
    const value = perform();
    this.state.results.set(key, value);
    if (this.state.results.size > MAX_RESULTS) this.state.results.delete(this.state.results.keys().next().value!);
    stats.performed++;
    return value;
  }
}
