/**
 * Checks what a remote's `./models` expose resolves to before anything of it is
 * served: each spec must have a model name, a URL-safe endpoint and a factory,
 * only the keys a spec may carry (`spec-keys.ts`), and options of the right
 * shape. A bad spec fails the whole version's load.
 */
import type { HookSemantics, ModelSpecification } from './model-spec.js';
import { checkPortSpecs } from './ports/port-settings.js';
import { checkSpecKeys, withDescriptions } from './spec-keys.js';

/** A spec the host cannot serve; the message names the model and what is wrong. */
export class SpecError extends Error {
  constructor(model: string, message: string) {
    super(`model spec ${model}: ${message}`);
    this.name = 'SpecError';
  }
}

const ENDPOINT = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MODEL_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const FUNCTION_OPTIONS = ['validate', 'onUpdate', 'onDelete'] as const;
const OBJECT_OPTIONS = ['fields', 'dependencies', 'relations', 'commands', 'ports'] as const;
const HOOK_SEMANTICS: readonly HookSemantics[] = ['original', 'merged'];

function isSpecLike(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && 'modelName' in value;
}

/**
 * Collects specs from a module: an array, named exports, or a default export of
 * either. Also how a remote's worker finds the specs whose factories it runs, so
 * both sides agree on what a `./models` module holds.
 */
export function collectSpecs(mod: unknown): unknown[] {
  if (Array.isArray(mod)) return mod;
  if (isSpecLike(mod)) return [mod];
  if (typeof mod !== 'object' || mod === null) return [];
  const values = Object.entries(mod as Record<string, unknown>)
    .filter(([key]) => key !== '__esModule')
    .flatMap(([key, value]) => (key === 'default' ? collectSpecs(value) : [value]));
  return values.filter(isSpecLike);
}

/** Runs `check`, reporting what it throws as a SpecError of the model `label`. */
function about<T>(label: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new SpecError(label, (error as Error).message);
  }
}

/**
 * The checked specs of a `./models` module, in the order found. Each `desc` (the
 * alias of `description`) is also given as `description`. Throws a SpecError
 * naming the model and the problem.
 */
export function parseModelSpecs(mod: unknown): ModelSpecification[] {
  const candidates = collectSpecs(mod);
  if (candidates.length === 0) throw new SpecError('(none)', 'the models module exports no model specification (objects with modelName, endpoint, factory)');
  const seen = new Map<string, string>();
  return candidates.map((candidate, index) => {
    const raw = candidate as Record<string, unknown>;
    const label = typeof raw.modelName === 'string' ? `"${raw.modelName}"` : `#${index}`;
    if (typeof raw.modelName !== 'string' || !MODEL_NAME.test(raw.modelName)) {
      throw new SpecError(label, `"modelName" must match ${MODEL_NAME}`);
    }
    // Before the other checks, so a misspelt option is reported as such (`factroy`, not "factory must be a function").
    about(label, () => checkSpecKeys(raw));
    if (typeof raw.endpoint !== 'string' || !ENDPOINT.test(raw.endpoint)) {
      throw new SpecError(label, `"endpoint" must be lowercase letters, digits, "-" or "_" (got ${JSON.stringify(raw.endpoint)})`);
    }
    if (typeof raw.factory !== 'function') throw new SpecError(label, '"factory" must be a function');
    for (const key of FUNCTION_OPTIONS) {
      if (raw[key] !== undefined && typeof raw[key] !== 'function') throw new SpecError(label, `"${key}" must be a function`);
    }
    if (raw.hookSemantics !== undefined && !HOOK_SEMANTICS.includes(raw.hookSemantics as HookSemantics)) {
      throw new SpecError(label, `"hookSemantics" must be "original" or "merged" (got ${JSON.stringify(raw.hookSemantics)})`);
    }
    for (const key of OBJECT_OPTIONS) {
      const value = raw[key];
      if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
        throw new SpecError(label, `"${key}" must be an object`);
      }
    }
    if (raw.eventHandlers !== undefined && (!Array.isArray(raw.eventHandlers) || raw.eventHandlers.some((h) => typeof h !== 'function'))) {
      throw new SpecError(label, '"eventHandlers" must be an array of functions');
    }
    if (raw.mixins !== undefined) {
      if (!Array.isArray(raw.mixins)) throw new SpecError(label, '"mixins" must be an array');
      raw.mixins.forEach((mixin: unknown, i: number) => {
        if (typeof mixin === 'function') {
          throw new SpecError(label, `mixins[${i}] is a function (the original MicroLib's form); use requireProperties, freezeProperties, updateProperties or validateProperties from microlib`);
        }
        const m = mixin as { onCreate?: unknown; onUpdate?: unknown } | null;
        if (!m || typeof m !== 'object' || (m.onCreate !== undefined && typeof m.onCreate !== 'function') || (m.onUpdate !== undefined && typeof m.onUpdate !== 'function')) {
          throw new SpecError(label, `mixins[${i}] must be an object with onCreate and/or onUpdate functions`);
        }
      });
    }
    if (raw.ports !== undefined) about(label, () => checkPortSpecs(raw.ports as Record<string, unknown>));
    checkCommands(label, raw.commands as Record<string, unknown> | undefined, raw.ports as Record<string, unknown> | undefined);
    const datasource = raw.datasource;
    if (datasource !== undefined && typeof datasource !== 'string' && (typeof datasource !== 'object' || datasource === null || typeof (datasource as { adapter?: unknown }).adapter !== 'string')) {
      throw new SpecError(label, '"datasource" must be a name such as "file" or an object with an "adapter" name');
    }
    for (const [key, other] of [['modelName', raw.modelName], ['endpoint', raw.endpoint]] as const) {
      const id = `${key}:${other}`;
      if (seen.has(id)) throw new SpecError(label, `${key} "${other}" is used twice in this remote`);
      seen.set(id, label);
    }
    return about(label, () => withDescriptions(raw)) as unknown as ModelSpecification;
  });
}

function checkCommands(label: string, commands: Record<string, unknown> | undefined, ports: Record<string, unknown> | undefined): void {
  for (const [name, value] of Object.entries(commands ?? {})) {
    const command = value as { command?: unknown; acl?: unknown } | null;
    if (typeof command !== 'object' || command === null) throw new SpecError(label, `commands.${name} must be an object with a "command"`);
    if (typeof command.command === 'string') {
      if (!ports || !Object.hasOwn(ports, command.command)) throw new SpecError(label, `commands.${name} names port "${command.command}", which the spec does not declare`);
    } else if (typeof command.command !== 'function') {
      throw new SpecError(label, `commands.${name}.command must be a function or the name of a port`);
    }
    if (command.acl !== undefined && (!Array.isArray(command.acl) || command.acl.some((p) => typeof p !== 'string' || p === ''))) {
      throw new SpecError(label, `commands.${name}.acl must be an array of permission names`);
    }
  }
}
