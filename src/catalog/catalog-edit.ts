/**
 * The next catalog after one remote's new version: the remote's previous models,
 * placed models, adapters and services leave, the version's own come in. Clashes
 * with another remote (an endpoint, a model name, an adapter or service name) refuse
 * the version, naming what clashed and who holds it; the current catalog is untouched.
 * Canaries of other remotes carry over; the remote's own canary, if any, is dropped
 * (the caller promotes or ends it: `canary-edit.ts`).
 */
import { Catalog, type Bound, type CanaryEntry, type PlacedElsewhere, type RemoteContribution, type ServedModel } from './catalog.js';

export type { RemoteContribution } from './catalog.js';

/** Thrown when a version would take an endpoint or name another remote holds. */
export class CatalogClashError extends Error {
  override readonly name = 'CatalogClashError';
}

export function withContribution(current: Catalog, contribution: RemoteContribution): Catalog {
  const { remote } = contribution;
  const served = new Map<string, ServedModel>();
  const placed = new Map<string, PlacedElsewhere>();
  for (const model of current.models()) if (model.model.identity.remote !== remote) served.set(model.model.endpoint, model);
  for (const model of current.placed()) if (model.remote !== remote) placed.set(model.endpoint, model);
  /** Model name → the remote holding it. */
  const names = new Map<string, string>();
  for (const model of served.values()) names.set(model.model.name, model.model.identity.remote);
  for (const model of placed.values()) names.set(model.modelName, model.remote);

  const claim = (endpoint: string, modelName: string) => {
    const taken = served.get(endpoint)?.model.identity.remote ?? placed.get(endpoint)?.remote;
    if (taken) throw new CatalogClashError(`endpoint "${endpoint}" is already served by remote "${taken}"`);
    const owner = names.get(modelName);
    if (owner) throw new CatalogClashError(`model "${modelName}" is already served by remote "${owner}"`);
    names.set(modelName, remote);
  };
  for (const model of contribution.placed) {
    claim(model.endpoint, model.modelName);
    placed.set(model.endpoint, model);
  }
  for (const model of contribution.models) {
    claim(model.model.endpoint, model.model.name);
    served.set(model.model.endpoint, model);
  }
  const bindings = {
    adapters: mergeExports('adapter', current.bindings.adapters, contribution.adapters, remote),
    services: mergeExports('service', current.bindings.services, contribution.services, remote),
  };
  const canaries = new Map<string, CanaryEntry>();
  for (const canary of current.canaries()) if (canary.remote !== remote) canaries.set(canary.remote, canary);
  return new Catalog(served, bindings, placed, canaries);
}

/**
 * The adapters (or services) of every loaded version after `remote` exposes
 * `exposed`: its previous exports go, another remote's export of the same name
 * refuses the version.
 */
function mergeExports<T>(kind: string, current: ReadonlyMap<string, Bound<T>>, exposed: ReadonlyMap<string, T>, remote: string): Map<string, Bound<T>> {
  const merged = new Map([...current].filter(([, bound]) => bound.remote !== remote));
  for (const [name, value] of exposed) {
    const taken = merged.get(name);
    if (taken) throw new CatalogClashError(`${kind} "${name}" is already exposed by remote "${taken.remote}"`);
    merged.set(name, { value, remote });
  }
  return merged;
}
