/**
 * Calls a port's adapter with the port's resilience settings: each attempt has
 * a deadline that aborts the adapter's signal, goes through the port's circuit
 * breaker, and failed attempts are retried with backoff and jitter.
 */
import { MicrolibError, type ErrorCode } from '../errors.js';
import type { Adapter, Json, StoredRecord } from '../model-spec.js';
import { CircuitOpenError, retry, RetryError, TimeoutError, withTimeout } from '../resilience/index.js';
import type { BreakerRegistry } from './breaker-registry.js';
import type { PortSettings } from './port-settings.js';

/** Where adapters and services are found: the versions loaded now, and the host's built-ins. */
export interface PortBindings {
  adapter(name: string): Adapter | undefined;
  /**
   * `found: false` when nothing of that name is loaded (a service may legitimately be undefined).
   * `forModel` is the model whose port binds it: a host service may scope itself to what that model may reach.
   */
  service(name: string, forModel?: string): { found: boolean; value: unknown };
}

export interface PortInvocation {
  settings: PortSettings;
  model: StoredRecord;
  input: unknown;
  idempotencyKey: string;
  /** Aborts every attempt and wait (the host stopping). */
  signal: AbortSignal;
}

export interface PortOutcome {
  result: Json | undefined;
  attempts: number;
}

/** A port call that failed; `code` tells the client why (502 adapter failed, 503 unavailable or open circuit, 504 timeout). */
export class PortCallError extends MicrolibError {
  constructor(
    readonly port: string,
    readonly attempts: number,
    code: ErrorCode,
    message: string,
    cause: unknown,
    /** Ms until an open circuit allows a trial call (a Retry-After hint). */
    readonly retryAfterMs?: number,
  ) {
    super(code, message, undefined, { cause });
    this.name = 'PortCallError';
  }
}

const passInput: Adapter = (call) => call.input;

/** The adapter and service a port is bound to now; throws when they are not loaded. */
export function bindPort(settings: PortSettings, bindings: PortBindings): { adapter: Adapter; service: unknown } {
  const label = `${settings.modelName}.${settings.name}`;
  if (settings.disabled) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `port ${label} is disabled`);
  let service: unknown;
  if (settings.service !== undefined) {
    const found = bindings.service(settings.service, settings.modelName);
    if (!found.found) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `service "${settings.service}" of port ${label} is not loaded (no remote exposes it)`);
    service = found.value;
  }
  if (settings.adapter === undefined) {
    // An inbound port without an adapter takes what the outside world sent as its result.
    if (settings.type === 'inbound') return { adapter: passInput, service };
    throw new MicrolibError('MLB_ERR_NOT_IMPLEMENTED', `port ${label} has no adapter; name one in the spec or in the host's port configuration`);
  }
  const adapter = bindings.adapter(settings.adapter);
  if (!adapter) throw new MicrolibError('MLB_ERR_UNAVAILABLE', `adapter "${settings.adapter}" of port ${label} is not loaded (no remote exposes it)`);
  return { adapter, service };
}

function toJson(value: unknown, label: string): Json | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(value)) as Json;
  } catch (error) {
    throw new MicrolibError('MLB_ERR_PORT_FAILED', `adapter of port ${label} returned a value that is not JSON: ${(error as Error).message}`);
  }
}

/** Calls the port's adapter (see the file comment); rejects with {@link PortCallError}. */
export async function invokePort(invocation: PortInvocation, bindings: PortBindings, breakers: BreakerRegistry): Promise<PortOutcome> {
  const { settings } = invocation;
  const label = `${settings.modelName}.${settings.name}`;
  const { adapter, service } = bindPort(settings, bindings);
  const breaker = breakers.forPort(settings.modelName, settings.name, settings.breaker);
  let attempts = 0;
  const attempt = (attempt: number, signal: AbortSignal) => {
    const once = () => {
      attempts = attempt;
      return withTimeout(
        async (deadline) =>
          adapter({
            port: settings.name,
            modelName: settings.modelName,
            model: { ...invocation.model },
            input: invocation.input,
            service,
            signal: deadline,
            attempt,
            idempotencyKey: invocation.idempotencyKey,
          }),
        settings.timeoutMs,
        { signal },
      );
    };
    return breaker ? breaker.execute(once) : once();
  };
  try {
    const result = await retry(attempt, { ...settings.retry, retryIf: (error) => !(error instanceof CircuitOpenError) }, { signal: invocation.signal });
    return { result: toJson(result, label), attempts };
  } catch (error) {
    throw describeFailure(label, attempts, error);
  }
}

function describeFailure(label: string, attempts: number, error: unknown): unknown {
  const cause = error instanceof RetryError ? error.cause : error;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (cause instanceof CircuitOpenError) {
    return new PortCallError(label, attempts, 'MLB_ERR_UNAVAILABLE', `port ${label} refused the call: its circuit is ${cause.state}`, cause, cause.retryAfterMs);
  }
  if (cause instanceof TimeoutError) {
    return new PortCallError(label, attempts, 'MLB_ERR_TIMEOUT', `port ${label} timed out${tries} (each attempt may take ${cause.ms} ms)`, cause);
  }
  if (error !== cause || !(cause instanceof MicrolibError)) {
    const message = cause instanceof Error ? cause.message : String(cause);
    return new PortCallError(label, attempts, 'MLB_ERR_PORT_FAILED', `port ${label} failed${tries}: ${message}`, cause);
  }
  // Not an attempt's failure (the host stopping): passed on as it is.
  return cause;
}
