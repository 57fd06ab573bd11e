/**
 * `createCloudEventHandler()`: the host as a CloudEvent function (Google's
 * functions framework with `--signature-type=cloudevent`, or
 * `functions.cloudEvent(name, handler)`): a Pub/Sub message (triggers/pubsub.ts),
 * or any other CloudEvent under its type's name (triggers/cloud-events.ts), is
 * published on the host's broker, so models' eventHandlers run in the function. A
 * message that fails rejects the invocation: the framework answers 500 and the
 * sender delivers it again (Pub/Sub, Eventarc: or to the dead-letter topic).
 */
import type { Host } from '../host/create-host.js';
import { functionDefaults, functionHost, type FunctionHostOptions } from './function-host.js';
import { createDeliverer, TriggerDeliveryError } from './triggers/deliver.js';
import { pubsubBatch, PUBSUB_MESSAGE_PUBLISHED } from './triggers/pubsub.js';
import { cloudEventBatch, REQUIRED_ATTRIBUTES } from './triggers/cloud-events.js';
import { runningFlowsWarning } from './running-flows.js';

export type CloudEventHandlerOptions = FunctionHostOptions;

export interface CloudEventHandler {
  (cloudEvent: unknown): Promise<void>;
  host(): Promise<Host>;
  stop(): Promise<void>;
}

/** Not a CloudEvent it can deliver (a required attribute missing, or a Pub/Sub CloudEvent without its message): the function was wired to something else. */
export class UnsupportedCloudEventError extends Error {
  constructor(cloudEvent: unknown) {
    const fields = typeof cloudEvent === 'object' && cloudEvent !== null ? (cloudEvent as Record<string, unknown>) : {};
    const got = REQUIRED_ATTRIBUTES.map((name) => `${name} ${JSON.stringify(fields[name]) ?? 'missing'}`).join(', ');
    super(
      `microlib/serverless: expected a CloudEvent with type, source and id (any type is published under its name), ` +
        `or a Pub/Sub CloudEvent (type ${PUBSUB_MESSAGE_PUBLISHED}) with data.message; got ${got}`,
    );
    this.name = 'UnsupportedCloudEventError';
  }
}

export function createCloudEventHandler(options: CloudEventHandlerOptions = {}): CloudEventHandler {
  const instance = functionHost(options, functionDefaults());
  const deliverer = createDeliverer();
  const warnRunningFlows = runningFlowsWarning();
  const handler = async (cloudEvent: unknown): Promise<void> => {
    const pubsub = (cloudEvent as { type?: unknown } | null)?.type === PUBSUB_MESSAGE_PUBLISHED;
    const batch = pubsub ? pubsubBatch(cloudEvent) : cloudEventBatch(cloudEvent);
    if (!batch) throw new UnsupportedCloudEventError(cloudEvent);
    const host = await instance.get();
    const failed = await deliverer.deliver(batch, host.events, instance.logger());
    warnRunningFlows(host, instance.logger());
    if (failed.length > 0) throw new TriggerDeliveryError(batch.source, failed);
  };
  return Object.assign(handler, { host: () => instance.get(), stop: () => instance.stop() });
}
