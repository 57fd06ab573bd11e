/**
 * A port's effective settings: its spec, overridden by the host's configuration
 * (which adapter and service it gets, its timeout, retries and breaker are
 * configuration, not code), completed with defaults. Also checks ports when a
 * version loads, so a bad port spec refuses the version instead of failing calls.
 */
import type { CircuitBreakerOptions, RetryPolicy } from '../resilience/index.js';
import type { PortCircuitBreakerSpec, PortSpec } from '../model-spec.js';

/** What the host's configuration may change of a port (`ports` in remoteEntries.js, keyed `<model>.<port>`). */
export interface PortOverride {
  adapter?: string;
  service?: string;
  timeout?: number;
  retries?: PortSpec['retries'];
  circuitBreaker?: PortCircuitBreakerSpec | false;
  disabled?: boolean;
}

export interface PortDefaults {
  /** Deadline of an attempt when the port names none. */
  timeoutMs: number;
}

export type BreakerSettings = Pick<CircuitBreakerOptions, 'failureRateThreshold' | 'minimumVolume' | 'windowMs' | 'openMs' | 'halfOpenMaxCalls'>;

export interface PortSettings {
  modelName: string;
  name: string;
  type: 'inbound' | 'outbound';
  adapter: string | undefined;
  service: string | undefined;
  timeoutMs: number;
  retry: RetryPolicy;
  breaker: BreakerSettings | undefined;
  consumesEvent: string | undefined;
  producesEvent: string | undefined;
  disabled: boolean;
  callback: PortSpec['callback'];
  undo: PortSpec['undo'];
}

const BREAKER_DEFAULTS: BreakerSettings = { failureRateThreshold: 0.5, minimumVolume: 10, windowMs: 60_000, openMs: 30_000, halfOpenMaxCalls: 1 };
/** Longest timeout a timer honours (~24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const MAX_RETRIES = 20;

export function portSettings(modelName: string, name: string, spec: PortSpec, override: PortOverride | undefined, defaults: PortDefaults): PortSettings {
  const retries = override?.retries ?? spec.retries ?? 0;
  const retrySpec = typeof retries === 'number' ? { retries } : retries;
  const breaker = override?.circuitBreaker === false ? undefined : (override?.circuitBreaker ?? spec.circuitBreaker);
  return {
    modelName,
    name,
    type: spec.type ?? 'outbound',
    adapter: override?.adapter ?? spec.adapter,
    service: override?.service ?? spec.service,
    timeoutMs: override?.timeout ?? spec.timeout ?? defaults.timeoutMs,
    retry: {
      retries: retrySpec.retries,
      baseDelayMs: retrySpec.baseDelayMs ?? 100,
      maxDelayMs: retrySpec.maxDelayMs ?? 5_000,
      factor: retrySpec.factor ?? 2,
    },
    breaker: breaker === undefined ? undefined : { ...BREAKER_DEFAULTS, ...breaker },
    consumesEvent: spec.consumesEvent,
    producesEvent: spec.producesEvent,
    disabled: override?.disabled ?? spec.disabled ?? false,
    callback: spec.callback,
    undo: spec.undo,
  };
}

function checkNumber(value: unknown, what: string, test: (n: number) => boolean, expected: string): void {
  if (value !== undefined && (typeof value !== 'number' || !test(value))) throw new Error(`${what} must be ${expected} (got ${JSON.stringify(value)})`);
}

/** Checks the parts of a port that configuration may also set (so overrides are checked the same way). */
export function checkPortOptions(raw: Record<string, unknown>, where: string): void {
  for (const key of ['adapter', 'service'] as const) {
    if (raw[key] !== undefined && (typeof raw[key] !== 'string' || raw[key] === '')) throw new Error(`${where}.${key} must be a non-empty name`);
  }
  checkNumber(raw.timeout, `${where}.timeout`, (n) => n > 0 && n <= MAX_TIMEOUT_MS, `a number of ms in (0, ${MAX_TIMEOUT_MS}]`);
  const retries = raw.retries;
  if (typeof retries === 'object' && retries !== null) {
    const r = retries as Record<string, unknown>;
    checkNumber(r.retries, `${where}.retries.retries`, (n) => Number.isInteger(n) && n >= 0 && n <= MAX_RETRIES, `an integer in [0, ${MAX_RETRIES}]`);
    if (r.retries === undefined) throw new Error(`${where}.retries.retries is required`);
    checkNumber(r.baseDelayMs, `${where}.retries.baseDelayMs`, (n) => n >= 0 && n <= MAX_TIMEOUT_MS, 'a number of ms >= 0');
    checkNumber(r.maxDelayMs, `${where}.retries.maxDelayMs`, (n) => n >= 0 && n <= MAX_TIMEOUT_MS, 'a number of ms >= 0');
    checkNumber(r.factor, `${where}.retries.factor`, (n) => n >= 1 && n <= 100, 'a number in [1, 100]');
  } else {
    checkNumber(retries, `${where}.retries`, (n) => Number.isInteger(n) && n >= 0 && n <= MAX_RETRIES, `an integer in [0, ${MAX_RETRIES}] or { retries, baseDelayMs, maxDelayMs, factor }`);
  }
  const breaker = raw.circuitBreaker;
  if (breaker !== undefined && breaker !== false) {
    if (typeof breaker !== 'object' || breaker === null) throw new Error(`${where}.circuitBreaker must be an object`);
    const b = breaker as Record<string, unknown>;
    checkNumber(b.failureRateThreshold, `${where}.circuitBreaker.failureRateThreshold`, (n) => n > 0 && n <= 1, 'a number in (0, 1]');
    checkNumber(b.minimumVolume, `${where}.circuitBreaker.minimumVolume`, (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
    checkNumber(b.windowMs, `${where}.circuitBreaker.windowMs`, (n) => n > 0 && n <= MAX_TIMEOUT_MS, 'a number of ms > 0');
    checkNumber(b.openMs, `${where}.circuitBreaker.openMs`, (n) => n >= 0 && n <= MAX_TIMEOUT_MS, 'a number of ms >= 0');
    checkNumber(b.halfOpenMaxCalls, `${where}.circuitBreaker.halfOpenMaxCalls`, (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
  }
  if (raw.disabled !== undefined && typeof raw.disabled !== 'boolean') throw new Error(`${where}.disabled must be true or false`);
}

/**
 * Checks a spec's `ports`: shapes, undo targets, and that events chain into a
 * line (one successor per event, no cycle), since a flow runs one step at a time.
 */
export function checkPortSpecs(ports: Record<string, unknown>): void {
  const consumers = new Map<string, string>();
  for (const [name, value] of Object.entries(ports)) {
    const where = `ports.${name}`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} must be an object`);
    const raw = value as Record<string, unknown>;
    checkPortOptions(raw, where);
    if (raw.type !== undefined && raw.type !== 'inbound' && raw.type !== 'outbound') throw new Error(`${where}.type must be "inbound" or "outbound"`);
    if (raw.callback !== undefined && typeof raw.callback !== 'function') throw new Error(`${where}.callback must be a function`);
    for (const key of ['consumesEvent', 'producesEvent'] as const) {
      if (raw[key] !== undefined && (typeof raw[key] !== 'string' || raw[key] === '')) throw new Error(`${where}.${key} must be an event name`);
    }
    const undo = raw.undo;
    if (typeof undo === 'string') {
      if (!Object.hasOwn(ports, undo)) throw new Error(`${where}.undo names port "${undo}", which the spec does not declare`);
      if (undo === name) throw new Error(`${where}.undo cannot name the port itself`);
    } else if (undo !== undefined && typeof undo !== 'function') {
      throw new Error(`${where}.undo must be the name of another port or a function`);
    }
    if (typeof raw.consumesEvent === 'string' && raw.disabled !== true) {
      const other = consumers.get(raw.consumesEvent);
      if (other) throw new Error(`ports "${other}" and "${name}" both consume "${raw.consumesEvent}"; a flow step has one successor`);
      consumers.set(raw.consumesEvent, name);
    }
  }
  for (const start of Object.keys(ports)) {
    const seen = new Set<string>([start]);
    let port = ports[start] as PortSpec;
    while (port.producesEvent !== undefined) {
      const next = consumers.get(port.producesEvent);
      if (next === undefined) break;
      if (seen.has(next)) throw new Error(`ports form a cycle through "${next}" (event "${port.producesEvent}"); a flow must end`);
      seen.add(next);
      port = ports[next] as PortSpec;
    }
  }
}

/** The enabled port that consumes `event` among `settings`, if any. */
export function successorOf(settings: ReadonlyMap<string, PortSettings>, event: string | undefined): PortSettings | undefined {
  if (event === undefined) return undefined;
  for (const port of settings.values()) if (!port.disabled && port.consumesEvent === event) return port;
  return undefined;
}
