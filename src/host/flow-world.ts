/**
 * What a port call sees: the catalog of the moment (models, adapters and
 * services of the loaded versions), models of other hosts and placements, and the
 * host's built-in services. Ports bind when called, so a hot deploy serves the next call.
 */
import type { FlowEnvironment, FlowWorld } from '../domain/flows/flow-environment.js';
import type { CatalogView } from '../catalog/live-catalog.js';

export function createFlowWorld(catalog: CatalogView, remoteModel: NonNullable<FlowEnvironment['remoteModel']>, hostServices: ReadonlyMap<string, unknown>): FlowWorld {
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
            service: (name) => {
              const bound = services.get(name);
              if (bound) return { found: true, value: bound.value };
              return hostServices.has(name) ? { found: true, value: hostServices.get(name) } : { found: false, value: undefined };
            },
          },
        },
        release: () => current.leave(),
      };
    },
  };
}
