/**
 * Mixins: small, composable rules a spec lists in `mixins` (the original
 * MicroLib's requireProperties, freezeProperties, updateProperties and
 * validateProperties). They run after the field schema, in order, on create and
 * on update; one that throws rejects the request with its message (400).
 */

/** One property rule of a spec's `mixins`: made by requireProperties, freezeProperties, updateProperties or validateProperties, or written by hand. */
export interface Mixin {
  /** Shown in error messages. */
  readonly name: string;
  /** On create: may return a changed model. */
  onCreate?(model: Record<string, unknown>, input: Record<string, unknown>): Record<string, unknown> | void;
  /** On update: `model` is the merged record, `changes` the patch, `previous` the record before; may return a changed model. */
  onUpdate?(model: Record<string, unknown>, changes: Record<string, unknown>, previous: Record<string, unknown>): Record<string, unknown> | void;
}

/**
 * Applies the mixins of a spec in order; each sees the previous one's result.
 * Synchronous unless a mixin returns a promise (a remote's code running in a
 * worker answers every call with one).
 */
export function applyMixins(
  mixins: readonly Mixin[],
  phase: 'create' | 'update',
  model: Record<string, unknown>,
  changes: Record<string, unknown>,
  previous: Record<string, unknown> = {},
): Record<string, unknown> | Promise<Record<string, unknown>> {
  let current = model;
  for (let i = 0; i < mixins.length; i++) {
    const mixin = mixins[i]!;
    const next = phase === 'create' ? mixin.onCreate?.(current, changes) : mixin.onUpdate?.(current, changes, previous);
    if (isPromise(next)) return next.then((value) => applyMixins(mixins.slice(i + 1), phase, value && typeof value === 'object' ? value : current, changes, previous));
    if (next && typeof next === 'object') current = next;
  }
  return current;
}

function isPromise(value: unknown): value is Promise<Record<string, unknown> | void> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
