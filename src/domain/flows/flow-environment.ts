/**
 * What a flow sees of the host while it runs: the versions loaded now. The
 * host implements it (`src/host/flow-world.ts`); flows look models and port
 * bindings up at each step, so a hot deploy serves the next step.
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

/** Gives the environment of the moment; `release` lets a replaced version be disposed once nothing uses it. */
export interface FlowWorld {
  acquire(): { env: FlowEnvironment; release(): void };
}
