/**
 * A new version of a remote may not silently stop serving a model its running
 * version serves: every client of that endpoint would start getting 404. Such a
 * version is refused, naming the model, unless removal is intended (the entry's
 * `allowRemove`, or a reload asked with allowRemove).
 */
import type { Catalog } from '../catalog/catalog.js';
import type { ModelSpecification } from '../domain/model-spec.js';
import { MODELS_PREFIX } from '../adapters/http/models-prefix.js';

/** Whether this activation may drop models the running version serves. */
export interface DropPolicy {
  allowRemove?: boolean;
}

/** A version that would stop serving models of the running one without leave. */
export class DroppedModelsError extends Error {
  constructor(readonly models: readonly string[], message: string) {
    super(message);
    this.name = 'DroppedModelsError';
  }
}

/** Exports of a `./models` module that are not model specs (no `modelName`): the likely replacement of a dropped one. */
function nonSpecExports(modelsModule: unknown): string[] {
  if (typeof modelsModule !== 'object' || modelsModule === null || Array.isArray(modelsModule)) return [];
  return Object.entries(modelsModule as Record<string, unknown>)
    .filter(([key, value]) => key !== '__esModule' && key !== 'default' && !(typeof value === 'object' && value !== null && 'modelName' in value))
    .map(([key, value]) => `"${key}" (${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`})`);
}

/**
 * Throws a DroppedModelsError when `specs` (the new version's, all placements) lack a model
 * that `current` shows the remote serving, here or on another placement.
 */
export function refuseDroppedModels(current: Catalog, remote: string, specs: readonly ModelSpecification[], modelsModule: unknown, policy: DropPolicy = {}): void {
  if (policy.allowRemove) return;
  const kept = new Set(specs.map((spec) => spec.modelName));
  const running = [
    ...[...current.models()].filter((served) => served.model.identity.remote === remote).map((served) => ({ name: served.model.name, endpoint: served.model.endpoint })),
    ...[...current.placed()].filter((placed) => placed.remote === remote).map((placed) => ({ name: placed.modelName, endpoint: placed.endpoint })),
  ];
  const dropped = running.filter((model) => !kept.has(model.name));
  if (dropped.length === 0) return;
  const named = dropped.map((model) => `"${model.name}" (${MODELS_PREFIX}${model.endpoint})`).join(', ');
  const others = nonSpecExports(modelsModule);
  throw new DroppedModelsError(
    dropped.map((model) => model.name),
    `./models no longer exports model ${named}, which the running version serves` +
      (others.length > 0 ? `; it exports ${others.join(', ')}, which ${others.length === 1 ? 'is' : 'are'} not a model spec` : '') +
      '. If removing it is intended, set allowRemove: true on the remote in remoteEntries.js or reload with allowRemove (POST /microlib/reload?allowRemove=1, microlib reload --allow-remove)',
  );
}
