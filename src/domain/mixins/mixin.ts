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

/** Applies the mixins of a spec in order; each sees the previous one's result. */
export function applyMixins(
  mixins: readonly Mixin[],
  phase: 'create' | 'update',
  model: Record<string, unknown>,
  changes: Record<string, unknown>,
  previous: Record<string, unknown> = {},
): Record<string, unknown> {
  let current = model;
  for (const mixin of mixins) {
    const next = phase === 'create' ? mixin.onCreate?.(current, changes) : mixin.onUpdate?.(current, changes, previous);
    if (next && typeof next === 'object') current = next;
  }
  return current;
}
