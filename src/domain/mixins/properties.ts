/** The property rules remote authors compose with `mixins: [...]`. */
import type { Mixin } from './mixin.js';

const missing = (value: unknown) => value === undefined || value === null || value === '';

/**
 * Properties that must be present. A name, or a function of the model that
 * returns names (for rules such as "required for guests": `(m) => m.guest ? ['email'] : []`).
 */
export function requireProperties(...rules: Array<string | ((model: Record<string, unknown>) => readonly string[])>): Mixin {
  const check = (model: Record<string, unknown>) => {
    for (const rule of rules) {
      for (const name of typeof rule === 'string' ? [rule] : rule(model)) {
        if (missing(model[name])) throw new Error(`"${name}" is required`);
      }
    }
  };
  return { name: 'requireProperties', onCreate: check, onUpdate: check };
}

/**
 * Properties that cannot change once set. A name, or `{ name, after }` to
 * freeze only once `after(previous)` holds (e.g. the items of an approved order).
 */
export function freezeProperties(...rules: Array<string | { name: string; after: (model: Record<string, unknown>) => boolean }>): Mixin {
  return {
    name: 'freezeProperties',
    onUpdate(_model, changes, previous) {
      for (const rule of rules) {
        const name = typeof rule === 'string' ? rule : rule.name;
        if (!Object.hasOwn(changes, name)) continue;
        const frozen = typeof rule === 'string' ? !missing(previous[name]) : rule.after(previous);
        if (frozen) throw new Error(`"${name}" cannot be changed`);
      }
    },
  };
}

/** Computed properties: when any of `on` is set, `compute(model)` gives the new value of `set`. */
export function updateProperties(...rules: Array<{ on: readonly string[]; set: string; compute: (model: Record<string, unknown>) => unknown }>): Mixin {
  const run = (model: Record<string, unknown>, changes: Record<string, unknown>, always: boolean) => {
    let next = model;
    for (const rule of rules) {
      if (always || rule.on.some((name) => Object.hasOwn(changes, name))) next = Object.assign({}, next, { [rule.set]: rule.compute(next) });
    }
    return next;
  };
  return { name: 'updateProperties', onCreate: (model, input) => run(model, input, true), onUpdate: (model, changes) => run(model, changes, false) };
}

/** A check of one property; only properties present are checked. */
export interface PropertyCheck {
  name: string;
  /** Allowed values. */
  values?: readonly unknown[];
  /** A pattern a string value must match. */
  regex?: RegExp;
  /** Returns true for a valid value. */
  isValid?: (value: unknown, model: Record<string, unknown>) => boolean;
  /** Message when invalid (default names the property). */
  message?: string;
}

/** Checks of present properties: allowed values, a pattern, a predicate (see {@link PropertyCheck}). */
export function validateProperties(...checks: PropertyCheck[]): Mixin {
  const check = (model: Record<string, unknown>) => {
    for (const c of checks) {
      const value = model[c.name];
      if (value === undefined) continue;
      const ok =
        (!c.values || c.values.includes(value)) &&
        (!c.regex || (typeof value === 'string' && c.regex.test(value))) &&
        (!c.isValid || c.isValid(value, model));
      if (!ok) throw new Error(c.message ?? `"${c.name}" is invalid`);
    }
  };
  return { name: 'validateProperties', onCreate: check, onUpdate: check };
}
