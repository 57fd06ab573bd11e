/**
 * The generated API's route table: endpoint → the model service answering it,
 * and the adapters and services ports bind to.
 * Requests read `current` once and use that table to the end, so a hot deploy
 * swaps every route in one assignment and no request sees a mix of versions.
 * Each table counts the requests using it, so a replaced version is disposed
 * only after they finish.
 */
import type { Model } from '../../domain/model.js';
import type { ModelService } from '../../domain/model-service.js';
import type { Adapter } from '../../domain/model-spec.js';

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

export interface ModelRoute {
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

export class RouteTable {
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];

  /** The same routes by model name, for relations across models. */
  readonly byModelName: ReadonlyMap<string, ModelRoute>;

  constructor(
    readonly routes: ReadonlyMap<string, ModelRoute>,
    /** Ports bind to these when called, so a hot-replaced adapter serves the next call. */
    readonly bindings: Bindings = { adapters: new Map(), services: new Map() },
    /** Endpoints of models placed on other nodes (placements), forwarded there. */
    readonly elsewhere: ReadonlyMap<string, PlacedElsewhere> = new Map(),
  ) {
    this.byModelName = new Map([...routes.values()].map((route) => [route.model.name, route]));
    this.elsewhereByModelName = new Map([...elsewhere.values()].map((placed) => [placed.modelName, placed]));
  }

  /** The same models placed elsewhere by model name, for relations to them. */
  readonly elsewhereByModelName: ReadonlyMap<string, PlacedElsewhere>;

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    if (--this.inflight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Resolves when no request is using this table. */
  whenIdle(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

export class RouteTableRef {
  current = new RouteTable(new Map());
}
