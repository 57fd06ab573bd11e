/**
 * Activating one loaded version of a remote: its models (those placed on this
 * node), their datasources and services, its adapters and services, event
 * handlers and flow triggers, built beside the current route table and swapped
 * in one step; a version that cannot be built changes nothing.
 */
import type { HostConfig } from './host-config.js';
import type { PortOverrides } from '../config/port-overrides.js';
import type { NodePlacement } from '../config/placements.js';
import { parseModelSpecs } from '../domain/spec-parser.js';
import { Model } from '../domain/model.js';
import type { FlowRunner } from '../domain/flows/flow-runner.js';
import { parseAdapters, parseServices } from '../domain/ports/binding-modules.js';
import { ModelService } from '../domain/model-service.js';
import { forModel, type EventBroker } from '../domain/events/index.js';
import type { Activation, ActivateOptions } from '../federation/deployment.js';
import type { LoadedRemote } from '../federation/remote-loader.js';
import { BUILT_IN_SERVICES } from '../adapters/ports/built-in-services.js';
import { MODELS_PREFIX } from '../adapters/http/models-prefix.js';
import type { PlacedElsewhere, ServedModel } from '../catalog/catalog.js';
import { withContribution } from '../catalog/catalog-edit.js';
import type { LiveCatalog } from '../catalog/live-catalog.js';
import type { DatasourceRegistry } from '../adapters/persistence/datasource-registry.js';
import type { Logger } from '../adapters/logging/logger.js';
import { systemClock } from './system-clock.js';
import { refuseDroppedModels } from './dropped-models.js';
import type { FieldKeyLoader } from './field-keys.js';

export interface ActivatorDeps {
  config: Pick<HostConfig, 'portTimeoutMs'>;
  /** The key of sensitive fields, loaded when a model first has some. */
  fieldKeys: FieldKeyLoader;
  placement: NodePlacement;
  portOverrides: PortOverrides;
  broker: EventBroker;
  flows: FlowRunner;
  datasources: DatasourceRegistry;
  catalog: LiveCatalog;
  logger: Logger;
}

export interface Activator {
  /** Builds the routes of one loaded version and swaps them in, or throws and changes nothing. */
  activate(remote: string, loaded: LoadedRemote, options?: ActivateOptions): Promise<Activation>;
  /** A replaced version is gone: its event subscriptions end. */
  retire(loaded: LoadedRemote): void;
}

export function createActivator({ config, fieldKeys, placement, portOverrides, broker, flows, datasources, catalog, logger }: ActivatorDeps): Activator {
  /** The broker owner of each active version: its subscriptions end with it. */
  const owners = new WeakMap<LoadedRemote, string>();
  let activations = 0;

  /** Builds the routes of one loaded version and swaps them in, or throws and changes nothing. */
  async function activate(remote: string, loaded: LoadedRemote, options: ActivateOptions = {}): Promise<Activation> {
    const owner = `${remote}@${loaded.version}#${++activations}`;
    try {
      const activation = await build(remote, loaded, owner, options);
      owners.set(loaded, owner);
      return activation;
    } catch (error) {
      // Whatever the refused version subscribed (its factories may listen) goes with it.
      broker.disposeOwner(owner);
      throw error;
    }
  }

  async function build(remote: string, loaded: LoadedRemote, owner: string, options: ActivateOptions): Promise<Activation> {
    const modelsModule = loaded.modules.get('./models');
    const allSpecs = modelsModule === undefined ? [] : parseModelSpecs(modelsModule);
    refuseDroppedModels(catalog.current, remote, allSpecs, modelsModule, options);
    // Models of another placement: no datasource, flows or handlers here (their factories do not even run).
    const placedHere: PlacedElsewhere[] = allSpecs.flatMap((spec) => {
      const where = placement.elsewhere(spec.modelName);
      return where ? [{ modelName: spec.modelName, endpoint: spec.endpoint, remote, placement: where }] : [];
    });
    const specs = allSpecs.filter((spec) => !placement.elsewhere(spec.modelName));
    const portDefaults = { timeoutMs: config.portTimeoutMs };
    const cipher = specs.some((spec) => Object.values(spec.fields ?? {}).some((field) => field.sensitive)) ? (await fieldKeys.load()).cipher : undefined;
    const models = specs.map(
      (spec) =>
        new Model(spec, { remote, version: loaded.version }, { events: forModel(broker, spec.modelName, owner) }, {
          ports: { defaults: portDefaults, overrides: portOverrides.get(spec.modelName) },
          cipher,
        }),
    );
    // Isolated code: the factories run in the version's workers; a factory that throws refuses the version here.
    await loaded.isolation?.settled();
    const adapters = parseAdapters(loaded.modules.get('./adapters'));
    const exposedServices = parseServices(loaded.modules.get('./services'));
    for (const name of exposedServices.keys()) {
      if ((BUILT_IN_SERVICES as readonly string[]).includes(name)) throw new Error(`./services export "${name}" has the name of a host built-in service; rename it`);
    }
    const services = await Promise.all(
      models.map(async (model) => {
        const datasource = await datasources.forModel(model.name, model.spec.datasource);
        return { model, service: new ModelService(model, datasource, systemClock, broker, flows), servedBy: `${remote}@${loaded.version}` } satisfies ServedModel;
      }),
    );
    // From here on synchronous: build the next catalog beside the current one and swap it in one step.
    const next = withContribution(catalog.current, { remote, models: services, placed: placedHere, adapters, services: exposedServices });
    for (const { model, service } of services) {
      // A spec's eventHandlers receive that model's own events.
      for (const handler of model.spec.eventHandlers ?? []) {
        broker.subscribe('*', (event) => (event.modelName === model.name ? handler(event) : undefined), { owner });
      }
      for (const trigger of flows.triggers(service)) broker.subscribe(trigger.eventName, trigger.handler, { owner });
    }
    const replaced = catalog.swap(next);
    for (const { model, service } of services) {
      // Flows of a model that was not served a moment ago (host start, or its remote is back) resume now.
      if (replaced.byName(model.name)?.model.identity.remote === remote) continue;
      flows.resume(service).then(
        (count) => count > 0 && logger.info({ model: model.name, flows: count }, 'resuming unfinished flows'),
        (error: unknown) => logger.error({ err: error, model: model.name }, 'could not list unfinished flows'),
      );
    }
    for (const route of replaced.models()) {
      if (route.model.identity.remote === remote && !next.atEndpoint(route.model.endpoint)) {
        logger.warn({ remote, model: route.model.name, route: `${MODELS_PREFIX}${route.model.endpoint}` }, 'model no longer served; its data is kept');
      }
    }
    for (const { model, service } of services) {
      logger.info({ remote, model: model.name, route: `${MODELS_PREFIX}${model.endpoint}`, datasource: service.datasource.kind }, 'serving model');
    }
    for (const placed of placedHere) {
      logger.info({ remote, model: placed.modelName, route: `${MODELS_PREFIX}${placed.endpoint}`, placement: placed.placement.name, nodes: placed.placement.nodes }, 'forwarding model to its placement');
    }
    return { drained: replaced.whenIdle() };
  }

  return {
    activate,
    retire(loaded) {
      const owner = owners.get(loaded);
      if (owner) broker.disposeOwner(owner);
    },
  };
}
