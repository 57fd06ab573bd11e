/**
 * `microlib/serverless`: the host as a function. `createLambdaHandler()` for AWS
 * Lambda (API Gateway REST and HTTP APIs, function URLs, Application Load
 * Balancers), `createNodeHandler()` for any runtime that passes node's (or
 * Express's) `req` and `res` (Google Cloud Functions, Cloud Run functions,
 * Knative), `createCloudEventHandler()` for CloudEvents (Pub/Sub and any other type). All start the host once per instance, on the first request, and
 * configure it from the environment like `npm start`.
 *
 * @packageDocumentation
 */
export { createLambdaHandler, type LambdaHandler, type LambdaHandlerOptions, type LambdaContext, type SqsBatchResponse } from './lambda-handler.js';
export { createCloudEventHandler, UnsupportedCloudEventError, type CloudEventHandler, type CloudEventHandlerOptions } from './cloud-event-handler.js';
export { TriggerDeliveryError, type FailedMessage } from './triggers/deliver.js';
export { createNodeHandler, type NodeHandler, type NodeHandlerOptions } from './node-handler.js';
export type { FunctionHostOptions } from './function-host.js';
export { UnsupportedEventError, type ApiGatewayV1Event, type ApiGatewayV2Event, type AlbEvent } from './aws/events.js';
export type { LambdaResult, ApiGatewayV1Result, ApiGatewayV2Result, AlbResult } from './aws/response.js';
export { DEFAULT_TIMEOUT_MARGIN_MS } from './deadline.js';
export { FileDatasourceInFunctionError } from '../host/features/persistence/in-function.js';
