/**
 * What a port call sees: the catalog of the moment (models, adapters and
 * services of the loaded versions), models of other hosts and placements, and the
 * host's built-in services. Ports bind when called, so a hot deploy serves the next call.
 *
 * A flow holds the version that started it (`hold`): its steps see that
 * version's models, adapters and services, never the other version of the same
 * remote (while a canary runs both are loaded), and the catalog it was found in
 * stays in use until the flow's drive ends, so the version is disposed only
 * after its flows (or at the drain timeout, after which the flow learns it is gone).
 */
import type { AcquiredEnvironment, FlowEnvironment, FlowWorld, VersionLease } from '../domain/flows/flow-environment.js';
import { MicrolibError } from '../domain/errors.js';
import type { CatalogView } from '../catalog/live-catalog.js';
import type { Bound, Catalog, ServedModel } from '../catalog/catalog.js';
import type { Adapter } from '../domain/model-spec.js';
import type { PortBindings } from '../domain/ports/port-invoker.js';

/** The host's services, as a port of `forModel` gets them (scoped to what that model may reach). */
export type HostServices = (forModel: string | undefined, reachable: ((modelName: string) => boolean) | undefined) => ReadonlyMap<string, unknown>;

/** The live catalog as flows need it: now, the replaced catalogs still in use, and disposed versions. */
export interface VersionedCatalogs extends CatalogView {
  stillInUse(): Catalog[];
  isRetired(model: ServedModel): boolean;
}

/**
 * Models a port of `modelName` may reach through the host's services: those its
 * remote serves, and those its relations name.
 */
function reachableFrom(catalog: Catalog, modelName: string): ((target: string) => boolean) | undefined {
  const own = catalog.byName(modelName);
  if (!own) return undefined;
  const remote = own.model.identity.remote;
  const related = new Set(Object.values(own.model.spec.relations ?? {}).map((relation) => relation.modelName));
  return (target) => target === modelName || related.has(target) || catalog.byName(target)?.model.identity.remote === remote;
}

/** Model `modelName` at `version` in `catalog`: the version serving it, or its remote's canary. */
function servedAt(catalog: Catalog, modelName: string, version: string): ServedModel | undefined {
  const served = catalog.byName(modelName);
  if (served?.model.identity.version === version) return served;
  for (const canary of catalog.canaries()) {
    if (canary.canaryVersion !== version) continue;
    const model = canary.contribution.models.find((m) => m.model.name === modelName);
    if (model) return model;
  }
  return undefined;
}

/** The adapters and services one version exposes. */
interface Exports {
  readonly adapters: ReadonlyMap<string, Adapter>;
  readonly services: ReadonlyMap<string, unknown>;
}

/**
 * Whose bindings a flow of one version may use: `own` (a canary's exports) come
 * first; names bound to `remote` serve only when they are this version's, so a
 * canary's flow never binds the stable version's adapter, nor the stable's one a
 * name only the canary (`foreign`) added.
 */
interface BindingScope {
  readonly remote: string;
  readonly own?: Exports;
  readonly foreign?: Exports;
}

/** Port bindings resolved in `catalog`, for every version serving (no scope) or for one. */
function bindingsOf(catalog: Catalog, hostServices: HostServices, scope?: BindingScope): PortBindings {
  const { adapters, services } = catalog.bindings;
  const usable = (kind: keyof Exports, name: string, bound: Bound<unknown>) =>
    scope === undefined || bound.remote !== scope.remote || (scope.own === undefined && scope.foreign?.[kind].get(name) !== bound.value);
  return {
    adapter: (name) => {
      const own = scope?.own?.adapters.get(name);
      if (own !== undefined) return own;
      const bound = adapters.get(name);
      return bound && usable('adapters', name, bound) ? bound.value : undefined;
    },
    service: (name, forModel) => {
      const own = scope?.own?.services;
      if (own?.has(name)) return { found: true, value: own.get(name) };
      const bound = services.get(name);
      if (bound && usable('services', name, bound)) return { found: true, value: bound.value };
      const host = hostServices(forModel, forModel === undefined ? undefined : reachableFrom(catalog, forModel));
      return host.has(name) ? { found: true, value: host.get(name) } : { found: false, value: undefined };
    },
  };
}

export function createFlowWorld(catalog: VersionedCatalogs, remoteModel: NonNullable<FlowEnvironment['remoteModel']>, hostServices: HostServices): FlowWorld {
  /** The versions serving now in `current`, entered until released. */
  const acquire = (current: Catalog): AcquiredEnvironment => {
    current.enter();
    return {
      env: { service: (name) => current.byName(name)?.service, remoteModel, bindings: bindingsOf(current, hostServices) },
      release: () => current.leave(),
    };
  };

  /** One version (`served`'s) in `at`: its models, and its own adapters and services before anyone else's. */
  const acquireVersion = (at: Catalog, served: ServedModel): AcquiredEnvironment => {
    const { remote, version } = served.model.identity;
    const canary = at.canary(remote);
    const isCanary = canary?.canaryVersion === version;
    const exports = canary && { adapters: canary.contribution.adapters, services: canary.contribution.services };
    at.enter();
    return {
      env: {
        service: (name) => {
          const model = (isCanary ? canary.contribution.models.find((m) => m.model.name === name) : undefined) ?? at.byName(name);
          // The other version of the same remote: not this flow's.
          if (model && model.model.identity.remote === remote && model.model.identity.version !== version) return undefined;
          return model?.service;
        },
        remoteModel,
        bindings: bindingsOf(at, hostServices, isCanary ? { remote, own: exports } : exports ? { remote, foreign: exports } : { remote }),
      },
      release: () => at.leave(),
    };
  };

  return {
    acquire: () => acquire(catalog.current),
    hold(modelName, version): VersionLease | undefined {
      const live = (c: Catalog) => {
        const served = servedAt(c, modelName, version);
        return served && !catalog.isRetired(served) ? served : undefined;
      };
      // Where the version is now: served, or in a replaced catalog a request or flow still uses.
      const home = live(catalog.current) ? catalog.current : catalog.stillInUse().find((c) => live(c) !== undefined);
      if (!home) return undefined;
      home.enter();
      let ended = false;
      return {
        acquire() {
          const now = catalog.current;
          // The catalog of the moment when it has the version (bindings of other remotes at their newest), else its home.
          const inNow = live(now);
          if (inNow) return acquireVersion(now, inNow);
          const inHome = live(home);
          if (inHome) return acquireVersion(home, inHome);
          const remote = servedAt(home, modelName, version)?.model.identity.remote ?? '?';
          return {
            gone: new MicrolibError(
              'MLB_ERR_UNAVAILABLE',
              `version ${version} of remote "${remote}", which started this flow, was disposed before the flow finished (it was replaced, and DRAIN_TIMEOUT_MS passed); the flow stopped here and nothing was undone on another version`,
            ),
          };
        },
        end() {
          if (ended) return;
          ended = true;
          home.leave();
        },
      };
    },
  };
}
