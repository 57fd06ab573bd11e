/**
 * Which events start flows. A port consuming an event that no port of its
 * model produces is an entry point: that event, when it names a record of the
 * model, starts a flow at the port. Events a flow produces advance that flow
 * instead (the saga runs the successor), so they never start a second one.
 */
import type { DomainEvent } from '../events/index.js';
import type { PortSettings } from '../ports/port-settings.js';

/** A subscription that starts a flow when its event arrives. */
export interface FlowTrigger {
  readonly eventName: string;
  readonly handler: (event: DomainEvent) => void;
}

/** What an event asks for: a flow at `port` on record `id`, with the event's data as input. */
export interface FlowStartRequest {
  readonly id: string;
  readonly port: string;
  readonly input: unknown;
  readonly eventName: string;
}

/** The part of a model triggers depend on. */
export interface TriggeredModel {
  readonly name: string;
  readonly ports: ReadonlyMap<string, PortSettings>;
}

/**
 * The triggers of a model's ports: each entry port gets one, calling `start`
 * for an event that names a record (`data.id`) of this model (its name when the
 * event carries one) and is not a flow's own event (no `data.flowId`).
 */
export function flowTriggers(model: TriggeredModel, start: (request: FlowStartRequest) => void): FlowTrigger[] {
  const produced = new Set([...model.ports.values()].map((port) => port.producesEvent).filter((name) => name !== undefined));
  const result: FlowTrigger[] = [];
  for (const port of model.ports.values()) {
    const eventName = port.consumesEvent;
    if (eventName === undefined || port.disabled || produced.has(eventName)) continue;
    result.push({
      eventName,
      handler: (event) => {
        const data = event.data as { id?: unknown; flowId?: unknown } | undefined;
        if (typeof data?.id !== 'string' || data.flowId !== undefined) return;
        if (event.modelName !== undefined && event.modelName !== model.name) return;
        start({ id: data.id, port: port.name, input: data, eventName });
      },
    });
  }
  return result;
}
