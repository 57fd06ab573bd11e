/**
 * The `ports` export of remoteEntries.js: per-port configuration that wins over
 * the spec, so operators choose which adapter and service a port gets, and its
 * timeout, retries and breaker, without touching the remote's code:
 *
 *   export const ports = { 'order.checkInventory': { timeout: 2000, circuitBreaker: { openMs: 10000 } } };
 */
import { checkPortOptions, type PortOverride } from '../domain/ports/port-settings.js';
import { RemoteEntriesError } from './remote-entries.js';

/** Overrides by model name, then port name. */
export type PortOverrides = ReadonlyMap<string, ReadonlyMap<string, PortOverride>>;

const KEY = /^([A-Za-z_][A-Za-z0-9_-]{0,63})\.([A-Za-z_$][A-Za-z0-9_$]{0,63})$/;
const ALLOWED = new Set(['adapter', 'service', 'timeout', 'retries', 'circuitBreaker', 'disabled']);

export function normalisePortOverrides(raw: unknown): PortOverrides {
  const result = new Map<string, Map<string, PortOverride>>();
  if (raw === undefined) return result;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RemoteEntriesError('ports', 'must be an object keyed "<model>.<port>"');
  for (const [key, value] of Object.entries(raw)) {
    const match = KEY.exec(key);
    if (!match) throw new RemoteEntriesError('ports', `key "${key}" must be "<model>.<port>", e.g. "order.authorizePayment"`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RemoteEntriesError(`ports["${key}"]`, 'must be an object');
    for (const option of Object.keys(value)) {
      if (!ALLOWED.has(option)) throw new RemoteEntriesError(`ports["${key}"]`, `"${option}" cannot be configured here; use one of ${[...ALLOWED].join(', ')}`);
    }
    try {
      checkPortOptions(value as Record<string, unknown>, key);
    } catch (error) {
      throw new RemoteEntriesError(`ports["${key}"]`, (error as Error).message);
    }
    const [, model, port] = match as unknown as [string, string, string];
    let ports = result.get(model);
    if (!ports) result.set(model, (ports = new Map()));
    ports.set(port, value as PortOverride);
  }
  return result;
}
