/**
 * The catalog: what this host serves right now. Models by endpoint and by
 * name (each with its service and the version that serves it), the models of
 * loaded remotes that another placement serves, and the adapters and services
 * that ports bind to. A catalog never changes: a hot deploy builds the next one
 * beside it (`catalog-edit.ts`) and swaps it in with one assignment
 * (`live-catalog.ts`), so a request that read the catalog once sees one
 * version of everything to its end. While a remote runs a canary, the catalog
 * holds both of its versions (`splits`), and each request picks one.
 */
import type { Model } from '../domain/model.js';
import type { ModelService } from '../domain/model-service.js';
import type { Adapter } from '../domain/model-spec.js';
import type { VersionTally } from '../domain/resilience/version-tally.js';
import type { SplitPolicy } from './traffic-split.js';

/** A model served here: the compiled model, its use cases, and which build serves it. */
export interface ServedModel {
  readonly model: Model;
  readonly service: ModelService;
  /** `<remote>@<version>`, sent as `x-microlib-version` so clients see which build answered. */
  readonly servedBy: string;
}

/** A model of a loaded remote that another placement serves: its endpoint forwards there. */
export interface PlacedElsewhere {
  readonly modelName: string;
  readonly endpoint: string;
  readonly remote: string;
  readonly placement: { readonly name: string; readonly nodes: readonly string[] };
}

/** An adapter or service and the remote that exposes it. */
export interface Bound<T> {
  readonly value: T;
  readonly remote: string;
}

/** The adapters and services the loaded versions expose, by name. */
export interface Bindings {
  readonly adapters: ReadonlyMap<string, Bound<Adapter>>;
  readonly services: ReadonlyMap<string, Bound<unknown>>;
}

const NO_BINDINGS: Bindings = { adapters: new Map(), services: new Map() };

/** What one loaded version of a remote brings to the catalog. */
export interface RemoteContribution {
  readonly remote: string;
  /** Its models served on this node. */
  readonly models: readonly ServedModel[];
  /** Its models that another placement serves. */
  readonly placed: readonly PlacedElsewhere[];
  readonly adapters: ReadonlyMap<string, Adapter>;
  readonly services: ReadonlyMap<string, unknown>;
}

/**
 * A canary: a second version of a remote served beside its stable one. The
 * catalog keeps the canary's whole contribution, so promoting it is the same
 * edit as a hot deploy of that version.
 */
export interface CanaryEntry {
  readonly remote: string;
  readonly stableVersion: string;
  readonly canaryVersion: string;
  readonly contribution: RemoteContribution;
  readonly policy: SplitPolicy;
  /** The hash state of the remote's name (traffic-split.ts), so a request hashes only its key. */
  readonly seed: number;
  /** Outcomes per version since the canary started; the same objects across weight changes. */
  readonly tallies: { readonly stable: VersionTally; readonly canary: VersionTally };
}

/** One version's model at an endpoint a canary splits, and where its outcomes are counted. */
export interface VersionSide {
  readonly version: string;
  readonly served: ServedModel;
  readonly tally: VersionTally;
}

/**
 * An endpoint of a remote with a canary: the stable version's model, the
 * canary's, or both (a model the canary adds has no stable side; one it drops
 * has no canary side).
 */
export interface EndpointSplit {
  readonly canary: CanaryEntry;
  readonly stableSide: VersionSide | undefined;
  readonly canarySide: VersionSide | undefined;
}

const NO_CANARIES: ReadonlyMap<string, CanaryEntry> = new Map();

export class Catalog {
  /** Nothing served: the catalog of a host before its first load. */
  static empty(): Catalog {
    return new Catalog(new Map(), NO_BINDINGS, new Map());
  }

  private readonly servedByName: ReadonlyMap<string, ServedModel>;
  private readonly placedByName: ReadonlyMap<string, PlacedElsewhere>;
  /**
   * Endpoints whose remote runs a canary, each with its two versions; null while
   * no canary runs, so the request path pays one comparison for the feature.
   */
  readonly splits: ReadonlyMap<string, EndpointSplit> | null;
  private users = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    /** Served models by endpoint. */
    private readonly servedByEndpoint: ReadonlyMap<string, ServedModel>,
    /** Ports bind to these when called, so a hot-replaced adapter serves the next call. */
    readonly bindings: Bindings,
    /** Endpoints of models placed on other nodes (placements), forwarded there. */
    private readonly placedByEndpoint: ReadonlyMap<string, PlacedElsewhere>,
    /** Canaries by remote: `servedByEndpoint` holds the stable models and the models only a canary serves. */
    private readonly canaryByRemote: ReadonlyMap<string, CanaryEntry> = NO_CANARIES,
  ) {
    this.servedByName = new Map([...servedByEndpoint.values()].map((served) => [served.model.name, served]));
    this.placedByName = new Map([...placedByEndpoint.values()].map((placed) => [placed.modelName, placed]));
    this.splits = canaryByRemote.size === 0 ? null : splitsOf(servedByEndpoint, canaryByRemote);
  }

  /** The canary of a remote, when one runs. */
  canary(remote: string): CanaryEntry | undefined {
    return this.canaryByRemote.get(remote);
  }

  /** Every canary running. */
  canaries(): IterableIterator<CanaryEntry> {
    return this.canaryByRemote.values();
  }

  /** The model served at `/microlib/api/models/<endpoint>`. */
  atEndpoint(endpoint: string): ServedModel | undefined {
    return this.servedByEndpoint.get(endpoint);
  }

  /** The model served here under this name (relations, flows, the persistence service). */
  byName(name: string): ServedModel | undefined {
    return this.servedByName.get(name);
  }

  /** Every model served here, in activation order. */
  models(): IterableIterator<ServedModel> {
    return this.servedByEndpoint.values();
  }

  /** The model of another placement whose endpoint is this one (routing asks `hasPlacedModels` first). */
  placedAtEndpoint(endpoint: string): PlacedElsewhere | undefined {
    return this.placedByEndpoint.get(endpoint);
  }

  /** The model of another placement with this name. */
  placedByModelName(name: string): PlacedElsewhere | undefined {
    return this.placedByName.get(name);
  }

  /** Every model of a loaded remote that another placement serves. */
  placed(): IterableIterator<PlacedElsewhere> {
    return this.placedByEndpoint.values();
  }

  /** Whether any model is placed elsewhere (without placements: never, and routing skips the check). */
  get hasPlacedModels(): boolean {
    return this.placedByEndpoint.size > 0;
  }

  /** Whether a model of this name is known: served here or by another placement. */
  knows(name: string): boolean {
    return this.servedByName.has(name) || this.placedByName.has(name);
  }

  /** A request or port call starts using this catalog. */
  enter(): void {
    this.users++;
  }

  /** ... and is done with it. */
  leave(): void {
    if (--this.users === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Resolves when no request or port call is using this catalog: a replaced version may then be disposed. */
  whenIdle(): Promise<void> {
    return this.users === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** Every endpoint of every remote with a canary, with the version(s) serving it. */
function splitsOf(served: ReadonlyMap<string, ServedModel>, canaries: ReadonlyMap<string, CanaryEntry>): Map<string, EndpointSplit> {
  const splits = new Map<string, EndpointSplit>();
  for (const canary of canaries.values()) {
    const canaryModels = new Map(canary.contribution.models.map((m) => [m.model.endpoint, m]));
    for (const [endpoint, model] of served) {
      if (model.model.identity.remote !== canary.remote) continue;
      const canaryModel = canaryModels.get(endpoint);
      // A model only the canary serves is in `served` too: it is the canary's side alone.
      const stableModel = model === canaryModel ? undefined : model;
      splits.set(endpoint, {
        canary,
        stableSide: stableModel && { version: canary.stableVersion, served: stableModel, tally: canary.tallies.stable },
        canarySide: canaryModel && { version: canary.canaryVersion, served: canaryModel, tally: canary.tallies.canary },
      });
    }
  }
  return splits;
}
