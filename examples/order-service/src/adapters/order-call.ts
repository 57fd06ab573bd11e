// What the adapters read from a port call of the order model. Not exposed: `./adapters`
// must export adapters only.
import type { PortCall } from '../../../../src/index.js';
import type { CallOptions } from '../services/simulator.js';

/** The service bound to the port; a port whose spec names none cannot reach the outside world. */
export function serviceOf<S>(call: PortCall<S>): S {
  if (call.service === undefined || call.service === null) {
    throw new Error(`port "${call.port}" of ${call.modelName} has no service bound; its spec must name one`);
  }
  return call.service;
}

/** Idempotency key and deadline of the step, handed to every service call. */
export const callOptions = (call: PortCall): CallOptions => ({ idempotencyKey: call.idempotencyKey, signal: call.signal });

export const orderId = (call: PortCall): string => call.model.id;

export function customerId(call: PortCall): string {
  const id = call.model.customerId;
  if (typeof id !== 'string') throw new Error(`order ${call.model.id} has no customerId`);
  return id;
}

/** The amount to charge: the order's computed total, never a figure from the caller. */
export function orderTotal(call: PortCall): number {
  const total = call.model.total;
  if (typeof total !== 'number') throw new Error(`order ${call.model.id} has no total`);
  return total;
}

export function orderLines(call: PortCall): Array<{ sku: string; quantity: number }> {
  const items = call.model.items;
  if (!Array.isArray(items)) throw new Error(`order ${call.model.id} has no items`);
  return items.map((item) => {
    const line = (item ?? {}) as { sku?: unknown; quantity?: unknown };
    return { sku: String(line.sku), quantity: Number(line.quantity) };
  });
}

function stringIn(source: unknown, name: string): string | undefined {
  const value = typeof source === 'object' && source !== null ? (source as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * An id an earlier step produced (paymentId, pickId, trackingId). Forward steps trust the
 * record first (their input is only the previous step's result); compensation steps trust
 * their input first, because it is the very result of the step they undo.
 */
export function reference(call: PortCall, name: string, first: 'model' | 'input'): string {
  const [a, b] = first === 'model' ? [call.model, call.input] : [call.input, call.model];
  const value = stringIn(a, name) ?? stringIn(b, name);
  if (value === undefined) throw new Error(`port "${call.port}" needs a ${name}, found neither on order ${call.model.id} nor in its input`);
  return value;
}

/** A number from the input (e.g. the amount a refund gives back), else `fallback`. */
export function numberIn(source: unknown, name: string, fallback: number): number {
  const value = typeof source === 'object' && source !== null ? (source as Record<string, unknown>)[name] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
