/**
 * Activating one loaded version of a remote: its models (those placed on this
 * node), their datasources and services, its adapters and services, event
 * handlers and flow triggers, built beside the current route table and swapped
 * in one step; a version that cannot be built changes nothing. A canary is built
 * the same way and swapped in beside the stable version.
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
import type { Activation, ActivateOptions, CanaryActivation } from '../federation/deployment.js';
import type { LoadedRemote } from '../federation/remote-loader.js';
import { BUILT_IN_SERVICES } from '../adapters/ports/built-in-services.js';
import { MODELS_PREFIX } from '../adapters/http/models-prefix.js';
import type { CanaryEntry, Catalog, PlacedElsewhere, RemoteContribution, ServedModel } from '../catalog/catalog.js';
import { withContribution } from '../catalog/catalog-edit.js';
import { withCanary, withCanaryPolicy, withCanaryPromoted, withoutCanary } from '../catalog/canary-edit.js';
import { describeSticky, splitSeed } from '../catalog/traffic-split.js';
import { VersionTally } from '../domain/resilience/version-tally.js';
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
  /** A replaced version is gone: its event subscriptions end, and flows still on it learn it. */
  retire(loaded: LoadedRemote): void;
  /**
   * Flows of the models activated so far resume now. Until then (the host's start:
   * remotes loading, canaries resuming) resumes wait, so a flow finds the version
   * that started it, a canary's included.
   */
  releaseFlowResumes(): void;
  /** Canaries: a second version beside the stable one (`canary-edit.ts` builds their catalogs). */
  readonly canaries: CanaryActivation;
}

/** A version's models with their services, ready to enter a catalog. */
interface Prepared {
  served: ServedModel[];
  placedHere: PlacedElsewhere[];
  adapters: ReturnType<typeof parseAdapters>;
  exposedServices: ReturnType<typeof parseServices>;
}

export function createActivator({ config, fieldKeys, placement, portOverrides, broker, flows, datasources, catalog, logger }: ActivatorDeps): Activator {
  /** The broker owner of each active version: its subscriptions end with it. */
  const owners = new WeakMap<LoadedRemote, string>();
  /** The models each active version serves here: marked disposed when it is retired. */
  const servedOf = new WeakMap<LoadedRemote, readonly ServedModel[]>();
  /** Flow resumes waiting for the host's start to finish (`releaseFlowResumes`); undefined once it has. */
  let heldResumes: Array<() => void> | undefined = [];
  /**
   * A canary's models whose event handlers and flow triggers wait for its promotion: until
   * then the stable version's handle the events of both (one handler per event, not two).
   */
  const waitingHandlers = new Map<string, { owner: string; served: ServedModel[] }>();
  /**
   * The catalogs a canary's start and split changes replaced: requests that began on them may
   * still use either version, so a promotion or abort drains them all before disposing one.
   */
  const replacedDuringCanary = new Map<string, Catalog[]>();
  const drainedAll = (remote: string, last: Catalog): Activation => {
    const catalogs = [...(replacedDuringCanary.get(remote) ?? []), last];
    replacedDuringCanary.delete(remote);
    return { drained: Promise.all(catalogs.map((c) => c.whenIdle())).then(() => undefined) };
  };
  let activations = 0;

  /** Builds the routes of one loaded version and swaps them in, or throws and changes nothing. */
  async function activate(remote: string, loaded: LoadedRemote, options: ActivateOptions = {}): Promise<Activation> {
    return owned(remote, loaded, async (owner) => {
      const prepared = await prepare(remote, loaded, owner, options);
      servedOf.set(loaded, prepared.served);
      // From here on synchronous: build the next catalog beside the current one and swap it in one step.
      const next = withContribution(catalog.current, contributionOf(remote, prepared));
      subscribe(prepared.served, owner);
      const replaced = catalog.swap(next);
      resumeFlows(remote, prepared.served, replaced);
      for (const route of replaced.models()) {
        if (route.model.identity.remote === remote && !next.atEndpoint(route.model.endpoint)) {
          logger.warn({ remote, model: route.model.name, route: `${MODELS_PREFIX}${route.model.endpoint}` }, 'model no longer served; its data is kept');
        }
      }
      logServing(remote, prepared);
      return { drained: replaced.whenIdle() };
    });
  }

  /** Runs `build` under a fresh broker owner for the version; a refused version's subscriptions go with it. */
  async function owned<T>(remote: string, loaded: LoadedRemote, build: (owner: string) => Promise<T>): Promise<T> {
    const owner = `${remote}@${loaded.version}#${++activations}`;
    try {
      const result = await build(owner);
      owners.set(loaded, owner);
      return result;
    } catch (error) {
      // Whatever the refused version subscribed (its factories may listen) goes with it.
      broker.disposeOwner(owner);
      throw error;
    }
  }

  async function prepare(remote: string, loaded: LoadedRemote, owner: string, options: ActivateOptions): Promise<Prepared> {
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
    const keys = specs.some((spec) => Object.values(spec.fields ?? {}).some((field) => field.sensitive)) ? fieldKeys.load() : undefined;
    // Schemas compile (tens of ms on a cold start) while scrypt derives the key on the thread pool, not after it.
    keys?.catch(() => undefined);
    for (const spec of specs) Model.precompile(spec);
    const cipher = keys ? (await keys).cipher : undefined;
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
    const served = await Promise.all(
      models.map(async (model) => {
        const datasource = await datasources.forModel(model.name, model.spec.datasource);
        return { model, service: new ModelService(model, datasource, systemClock, broker, flows), servedBy: `${remote}@${loaded.version}` } satisfies ServedModel;
      }),
    );
    return { served, placedHere, adapters, exposedServices };
  }

  const contributionOf = (remote: string, prepared: Prepared): RemoteContribution => ({
    remote,
    models: prepared.served,
    placed: prepared.placedHere,
    adapters: prepared.adapters,
    services: prepared.exposedServices,
  });

  /** A spec's eventHandlers receive that model's own events; flow triggers start its flows. */
  function subscribe(served: readonly ServedModel[], owner: string): void {
    for (const { model, service } of served) {
      for (const handler of model.spec.eventHandlers ?? []) {
        broker.subscribe('*', (event) => (event.modelName === model.name ? handler(event) : undefined), { owner });
      }
      for (const trigger of flows.triggers(service)) broker.subscribe(trigger.eventName, trigger.handler, { owner });
    }
  }

  /** Flows of a model that was not served a moment ago (host start, or its remote is back) resume now. */
  function resumeFlows(remote: string, served: readonly ServedModel[], replaced: Catalog): void {
    for (const { model, service } of served) {
      if (replaced.byName(model.name)?.model.identity.remote === remote) continue;
      const resume = () =>
        flows.resume(service).then(
          (count) => count > 0 && logger.info({ model: model.name, flows: count }, 'resuming unfinished flows'),
          (error: unknown) => logger.error({ err: error, model: model.name }, 'could not list unfinished flows'),
        );
      if (heldResumes) heldResumes.push(resume);
      else resume();
    }
  }

  function logServing(remote: string, { served, placedHere }: Prepared, canary?: string): void {
    for (const { model, service } of served) {
      logger.info({ remote, model: model.name, route: `${MODELS_PREFIX}${model.endpoint}`, datasource: service.datasource.kind, ...(canary ? { canary } : {}) }, canary ? 'serving model as a canary' : 'serving model');
    }
    for (const placed of placedHere) {
      logger.info({ remote, model: placed.modelName, route: `${MODELS_PREFIX}${placed.endpoint}`, placement: placed.placement.name, nodes: placed.placement.nodes }, 'forwarding model to its placement');
    }
  }

  const canaries: CanaryActivation = {
    async start(remote, loaded, stableVersion, policy, options = {}) {
      return owned(remote, loaded, async (owner) => {
        const prepared = await prepare(remote, loaded, owner, options);
        servedOf.set(loaded, prepared.served);
        const tallies = { stable: new VersionTally(), canary: new VersionTally() };
        const entry: CanaryEntry = { remote, stableVersion, canaryVersion: loaded.version, contribution: contributionOf(remote, prepared), policy, seed: splitSeed(remote), tallies };
        const next = withCanary(catalog.current, entry);
        // Models only the canary serves have no other handlers: theirs run now; the rest wait for promotion.
        const alone = prepared.served.filter((m) => next.atEndpoint(m.model.endpoint) === m);
        subscribe(alone, owner);
        waitingHandlers.set(remote, { owner, served: prepared.served.filter((m) => !alone.includes(m)) });
        const replaced = catalog.swap(next);
        replacedDuringCanary.set(remote, [replaced]);
        resumeFlows(remote, alone, replaced);
        logServing(remote, { ...prepared, served: alone, placedHere: [] });
        logger.info({ remote, stable: stableVersion, canary: loaded.version, weight: policy.weight, sticky: describeSticky(policy.sticky), mode: policy.mode }, 'canary started');
        return { tallies };
      });
    },
    split(remote, policy) {
      const replaced = catalog.swap(withCanaryPolicy(catalog.current, remote, policy));
      replacedDuringCanary.get(remote)?.push(replaced);
    },
    promote(remote) {
      const next = withCanaryPromoted(catalog.current, remote);
      const waiting = waitingHandlers.get(remote);
      waitingHandlers.delete(remote);
      if (waiting) subscribe(waiting.served, waiting.owner);
      return drainedAll(remote, catalog.swap(next));
    },
    end(remote) {
      waitingHandlers.delete(remote);
      return drainedAll(remote, catalog.swap(withoutCanary(catalog.current, remote)));
    },
  };

  return {
    activate,
    retire(loaded) {
      const owner = owners.get(loaded);
      if (owner) broker.disposeOwner(owner);
      catalog.retire(servedOf.get(loaded) ?? []);
    },
    releaseFlowResumes() {
      const held = heldResumes;
      heldResumes = undefined;
      for (const resume of held ?? []) resume();
    },
    canaries,
  };
}
