/**
 * Reads what a remote's `./adapters` and `./services` expose: named exports
 * (or a default export holding them). Adapters must be functions; services may
 * be anything an adapter knows how to use.
 */
import type { Adapter } from '../model-spec.js';

function exportsOf(mod: unknown): Array<[string, unknown]> {
  if (typeof mod !== 'object' || mod === null) return [];
  const entries = Object.entries(mod as Record<string, unknown>).filter(([key]) => key !== '__esModule');
  return entries.flatMap(([key, value]) => (key === 'default' && typeof value === 'object' && value !== null ? exportsOf(value) : [[key, value] as [string, unknown]]));
}

export function parseAdapters(mod: unknown): Map<string, Adapter> {
  const adapters = new Map<string, Adapter>();
  for (const [name, value] of exportsOf(mod)) {
    if (typeof value !== 'function') throw new Error(`./adapters export "${name}" is not a function; an adapter is (call) => result`);
    adapters.set(name, value as Adapter);
  }
  return adapters;
}

export function parseServices(mod: unknown): Map<string, unknown> {
  return new Map(exportsOf(mod));
}
