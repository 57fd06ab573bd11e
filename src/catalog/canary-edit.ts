/**
 * The next catalog when a remote's canary starts, changes its split, is promoted
 * or ends. While it runs, the stable version keeps every endpoint, name, adapter
 * and service it had; the canary adds the models (and the adapters and services)
 * only it has, claimed as a hot deploy would claim them, and splits the
 * endpoints both serve. Promotion is a hot deploy of the canary's version.
 */
import { Catalog, type Bound, type CanaryEntry, type PlacedElsewhere, type ServedModel } from './catalog.js';
import { CatalogClashError, withContribution } from './catalog-edit.js';
import type { SplitPolicy } from './traffic-split.js';

const servedMap = (catalog: Catalog) => new Map<string, ServedModel>([...catalog.models()].map((m) => [m.model.endpoint, m]));
const placedMap = (catalog: Catalog) => new Map<string, PlacedElsewhere>([...catalog.placed()].map((p) => [p.endpoint, p]));

/** `current` with the canary beside its remote's stable version; throws CatalogClashError when it cannot be. */
export function withCanary(current: Catalog, canary: CanaryEntry): Catalog {
  const { remote, contribution } = canary;
  if (current.canary(remote)) throw new CatalogClashError(`remote "${remote}" already runs a canary`);
  const served = servedMap(current);
  const placed = placedMap(current);
  /** Model name → the remote holding it. */
  const names = new Map<string, string>();
  for (const model of served.values()) names.set(model.model.name, model.model.identity.remote);
  for (const model of placed.values()) names.set(model.modelName, model.remote);

  for (const model of contribution.models) {
    const { endpoint, name } = model.model;
    const holder = served.get(endpoint);
    const holderRemote = holder?.model.identity.remote ?? placed.get(endpoint)?.remote;
    if (holderRemote !== undefined && holderRemote !== remote) throw new CatalogClashError(`endpoint "${endpoint}" is already served by remote "${holderRemote}"`);
    if (holder) {
      if (holder.model.name !== name) throw new CatalogClashError(`the canary serves model "${name}" at endpoint "${endpoint}" where the stable version serves "${holder.model.name}": a canary cannot rename a model (deploy it with a reload)`);
      continue;
    }
    const owner = names.get(name);
    if (owner === remote) throw new CatalogClashError(`the canary serves model "${name}" at another endpoint ("${endpoint}"): a canary cannot move a model (deploy it with a reload)`);
    if (owner !== undefined) throw new CatalogClashError(`model "${name}" is already served by remote "${owner}"`);
    names.set(name, remote);
    served.set(endpoint, model);
  }
  const bindings = {
    adapters: withNewExports('adapter', current.bindings.adapters, contribution.adapters, remote),
    services: withNewExports('service', current.bindings.services, contribution.services, remote),
  };
  const canaries = new Map([...current.canaries()].map((c) => [c.remote, c]));
  canaries.set(remote, canary);
  return new Catalog(served, bindings, placed, canaries);
}

/** `current` with the remote's canary split anew (weight, stickiness, mode); same versions, same tallies. */
export function withCanaryPolicy(current: Catalog, remote: string, policy: SplitPolicy): Catalog {
  const canary = current.canary(remote);
  if (!canary) throw new Error(`remote "${remote}" runs no canary`);
  const canaries = new Map([...current.canaries()].map((c) => [c.remote, c]));
  canaries.set(remote, { ...canary, policy });
  return new Catalog(servedMap(current), current.bindings, placedMap(current), canaries);
}

/** `current` without the remote's canary: the stable version serves alone, as before the canary. */
export function withoutCanary(current: Catalog, remote: string): Catalog {
  const canary = current.canary(remote);
  if (!canary) return current;
  const own = new Set<unknown>(canary.contribution.models);
  const served = new Map([...servedMap(current)].filter(([, model]) => !own.has(model)));
  const added = (exported: ReadonlyMap<string, unknown>) => (bound: Bound<unknown>, name: string) => bound.remote === remote && exported.get(name) === bound.value;
  const adapters = new Map([...current.bindings.adapters].filter(([name, bound]) => !added(canary.contribution.adapters)(bound, name)));
  const services = new Map([...current.bindings.services].filter(([name, bound]) => !added(canary.contribution.services)(bound, name)));
  const canaries = new Map([...current.canaries()].filter((c) => c.remote !== remote).map((c) => [c.remote, c]));
  return new Catalog(served, { adapters, services }, placedMap(current), canaries);
}

/** `current` with the remote's canary as its only version: a hot deploy of the canary's version. */
export function withCanaryPromoted(current: Catalog, remote: string): Catalog {
  const canary = current.canary(remote);
  if (!canary) throw new Error(`remote "${remote}" runs no canary`);
  return withContribution(withoutCanary(current, remote), canary.contribution);
}

/**
 * The bindings after a canary of `remote` exposes `exposed`: names the stable
 * version binds stay its own until promotion, new names bind to the canary's,
 * and a name another remote holds refuses the canary.
 */
function withNewExports<T>(kind: string, current: ReadonlyMap<string, Bound<T>>, exposed: ReadonlyMap<string, T>, remote: string): Map<string, Bound<T>> {
  const merged = new Map(current);
  for (const [name, value] of exposed) {
    const taken = merged.get(name);
    if (taken && taken.remote !== remote) throw new CatalogClashError(`${kind} "${name}" is already exposed by remote "${taken.remote}"`);
    if (!taken) merged.set(name, { value, remote });
  }
  return merged;
}
