/**
 * What a flow sees of the host while it runs: the versions loaded now. The
 * host implements it (`src/host/flow-world.ts`); flows look models and port
 * bindings up at each step. A flow that recorded the version that started it
 * holds that version (`hold`) and runs every step and undo on it.
 */
import type { ModelService } from '../model-service.js';
import type { PortBindings } from '../ports/port-invoker.js';
import type { RelationTarget } from '../relations.js';

/** The versions loaded now: model services and the adapters and services ports bind to. */
export interface FlowEnvironment {
  service(modelName: string): ModelService | undefined;
  /** Models of other hosts, for relations. */
  remoteModel?(modelName: string): RelationTarget | undefined;
  readonly bindings: PortBindings;
}

/** An environment in use; `release` lets a replaced version be disposed once nothing uses it. */
export interface AcquiredEnvironment {
  env: FlowEnvironment;
  release(): void;
}

/**
 * A flow's hold on the version that started it: while held, a promotion, abort
 * or reload that replaces the version waits for the flow before disposing it
 * (up to its drain timeout).
 */
export interface VersionLease {
  /** That version's models and bindings, or why the flow can no longer run on it (it was disposed). */
  acquire(): AcquiredEnvironment | { gone: Error };
  /** The flow is done with the version for now. */
  end(): void;
}

/** Gives the environment of the moment. */
export interface FlowWorld {
  acquire(): AcquiredEnvironment;
  /**
   * Holds `version` of the remote serving `modelName`, or undefined when that
   * version is not loaded here (nor still in use by a request or a flow).
   * A world without it runs every flow on the versions serving now.
   */
  hold?(modelName: string, version: string): VersionLease | undefined;
}
