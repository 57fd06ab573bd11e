/**
 * `createCloudEventHandler()`: the host as a CloudEvent function (Google's
 * functions framework with `--signature-type=cloudevent`, or
 * `functions.cloudEvent(name, handler)`), for Pub/Sub triggers: each message is
 * published on the host's broker (serverless/triggers), so models' eventHandlers
 * run in the function. A message that fails rejects the invocation: the framework
 * answers 500 and Pub/Sub delivers the message again (or to its dead-letter topic).
 */
import type { Host } from '../host/create-host.js';
import { functionDefaults, functionHost, type FunctionHostOptions } from './function-host.js';
import { createDeliverer, TriggerDeliveryError } from './triggers/deliver.js';
import { pubsubBatch, PUBSUB_MESSAGE_PUBLISHED } from './triggers/pubsub.js';
import { runningFlowsWarning } from './running-flows.js';

export type CloudEventHandlerOptions = FunctionHostOptions;

export interface CloudEventHandler {
  (cloudEvent: unknown): Promise<void>;
  host(): Promise<Host>;
  stop(): Promise<void>;
}

/** A CloudEvent that is no Pub/Sub message: the function was wired to a trigger it does not read. */
export class UnsupportedCloudEventError extends Error {
  constructor(type: unknown) {
    super(`microlib/serverless: expected a Pub/Sub CloudEvent (type ${PUBSUB_MESSAGE_PUBLISHED}, data.message), got type ${JSON.stringify(type)}`);
    this.name = 'UnsupportedCloudEventError';
  }
}

export function createCloudEventHandler(options: CloudEventHandlerOptions = {}): CloudEventHandler {
  const instance = functionHost(options, functionDefaults());
  const deliverer = createDeliverer();
  const warnRunningFlows = runningFlowsWarning();
  const handler = async (cloudEvent: unknown): Promise<void> => {
    const batch = pubsubBatch(cloudEvent);
    if (!batch) throw new UnsupportedCloudEventError((cloudEvent as { type?: unknown } | null)?.type);
    const host = await instance.get();
    const failed = await deliverer.deliver(batch, host.events, instance.logger());
    warnRunningFlows(host, instance.logger());
    if (failed.length > 0) throw new TriggerDeliveryError(batch.source, failed);
  };
  return Object.assign(handler, { host: () => instance.get(), stop: () => instance.stop() });
}
