import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeEvent } from '../events/index.js';
import type { PortSpec } from '../model-spec.js';
import { portSettings } from '../ports/port-settings.js';
import { flowTriggers, type FlowStartRequest } from './flow-triggers.js';

function modelWith(ports: Record<string, PortSpec>) {
  return {
    name: 'order',
    ports: new Map(Object.entries(ports).map(([name, spec]) => [name, portSettings('order', name, spec, undefined, { timeoutMs: 1_000 })])),
  };
}

/** The triggers of `ports`, and the flows their events asked to start. */
function triggersOf(ports: Record<string, PortSpec>) {
  const started: FlowStartRequest[] = [];
  const triggers = flowTriggers(modelWith(ports), (request) => started.push(request));
  const deliver = (eventName: string, fields: { modelName?: string; data?: unknown }) => {
    for (const trigger of triggers) if (trigger.eventName === eventName) trigger.handler(makeEvent(eventName, fields));
  };
  return { triggers, started, deliver };
}

describe('flow triggers', () => {
  it('subscribe each entry port to the event it consumes, not to events a port of the model produces', () => {
    const { triggers } = triggersOf({
      pay: { consumesEvent: 'orderSubmitted', producesEvent: 'paid' },
      ship: { consumesEvent: 'paid' },
      audit: { consumesEvent: 'orderArchived' },
      quote: {},
    });
    assert.deepEqual(triggers.map((trigger) => trigger.eventName).sort(), ['orderArchived', 'orderSubmitted']);
  });

  it('give a disabled port no trigger', () => {
    assert.deepEqual(triggersOf({ pay: { consumesEvent: 'orderSubmitted', disabled: true } }).triggers, []);
  });

  it('start the consuming port on the record the event names, with the event data as input', () => {
    const { started, deliver } = triggersOf({ pay: { consumesEvent: 'orderSubmitted' }, audit: { consumesEvent: 'orderArchived' } });
    deliver('orderSubmitted', { modelName: 'order', data: { id: 'o1', total: 10 } });
    deliver('orderArchived', { data: { id: 'o2' } });
    assert.deepEqual(started, [
      { id: 'o1', port: 'pay', input: { id: 'o1', total: 10 }, eventName: 'orderSubmitted' },
      { id: 'o2', port: 'audit', input: { id: 'o2' }, eventName: 'orderArchived' },
    ]);
  });

  it("ignore another model's event, a flow's own event and an event naming no record", () => {
    const { started, deliver } = triggersOf({ pay: { consumesEvent: 'orderSubmitted' } });
    deliver('orderSubmitted', { modelName: 'customer', data: { id: 'o1' } });
    deliver('orderSubmitted', { modelName: 'order', data: { id: 'o1', flowId: 'f1' } });
    deliver('orderSubmitted', { modelName: 'order', data: { id: 7 } });
    deliver('orderSubmitted', { modelName: 'order' });
    assert.deepEqual(started, []);
  });
});
