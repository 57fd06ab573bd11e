/**
 * What a port call sees: the catalog of the moment (models, adapters and
 * services of the loaded versions), models of other hosts and placements, and the
 * host's built-in services. Ports bind when called, so a hot deploy serves the next call.
 */
import type { FlowEnvironment, FlowWorld } from '../domain/flows/flow-environment.js';
import type { CatalogView } from '../catalog/live-catalog.js';
import type { Catalog } from '../catalog/catalog.js';

/** The host's services, as a port of `forModel` gets them (scoped to what that model may reach). */
export type HostServices = (forModel: string | undefined, reachable: ((modelName: string) => boolean) | undefined) => ReadonlyMap<string, unknown>;

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

export function createFlowWorld(catalog: CatalogView, remoteModel: NonNullable<FlowEnvironment['remoteModel']>, hostServices: HostServices): FlowWorld {
  // A replaced catalog is disposed after its users release it.
  return {
    acquire() {
      const current = catalog.current;
      current.enter();
      const { adapters, services } = current.bindings;
      return {
        env: {
          service: (name) => current.byName(name)?.service,
          remoteModel,
          bindings: {
            adapter: (name) => adapters.get(name)?.value,
            service: (name, forModel) => {
              const bound = services.get(name);
              if (bound) return { found: true, value: bound.value };
              const host = hostServices(forModel, forModel === undefined ? undefined : reachableFrom(current, forModel));
              return host.has(name) ? { found: true, value: host.get(name) } : { found: false, value: undefined };
            },
          },
        },
        release: () => current.leave(),
      };
    },
  };
}
