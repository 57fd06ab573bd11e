/**
 * `createLambdaHandler()`: the host as an AWS Lambda function behind API Gateway
 * (REST or HTTP API), a function URL or an Application Load Balancer. Each
 * invocation's event is read as the request a client sent (aws/request.ts),
 * answered by the host in-process exactly as over a socket (`host.inject`), and
 * the answer is returned in the shape that front door expects (aws/response.ts).
 *
 * The mapping is ours, not a library's (e.g. @codegenie/serverless-express): it is
 * a few hundred lines over `inject`, which already gives node's own parser and
 * server; a library would add its own fake request/response objects beside ours,
 * a dependency to follow, and nothing the host needs.
 */
import type { Host } from '../host/create-host.js';
import { detectEvent } from './aws/events.js';
import { toInjectRequest } from './aws/request.js';
import { toLambdaResult, type LambdaResult } from './aws/response.js';
import { DEFAULT_TIMEOUT_MARGIN_MS, timeoutAnswer, withinRemainingTime } from './deadline.js';
import { functionDefaults, functionHost, type FunctionHostOptions } from './function-host.js';
import { detectTrigger } from './triggers/aws-triggers.js';
import { createDeliverer, TriggerDeliveryError } from './triggers/deliver.js';
import { runningFlowsWarning } from './running-flows.js';

/** What the handler reads of Lambda's context object (all of it optional: local runners give less). */
export interface LambdaContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

export interface LambdaHandlerOptions extends FunctionHostOptions {
  /** How long before the function's timeout an unanswered request is answered 504 instead (ms, default 250). */
  timeoutMarginMs?: number;
  /** A custom domain's base path mapping, taken off request paths (REST APIs leave it in `path`), e.g. `/v1`. */
  basePath?: string;
}

/** The answer to an SQS, Kinesis or DynamoDB Streams trigger: the messages that go back to the queue, or where the shard resumes (needs `ReportBatchItemFailures` on the event source mapping). */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export interface LambdaHandler {
  /** An HTTP event is answered with the front door's result; an SQS, Kinesis or DynamoDB Streams batch with its failed messages; SNS and Kafka with nothing (or a {@link TriggerDeliveryError}). */
  (event: unknown, context?: LambdaContext): Promise<LambdaResult | SqsBatchResponse | undefined>;
  /** The started host, starting it now if no invocation has: `await handler.host()` at the top of a module starts it during Lambda's init phase. */
  host(): Promise<Host>;
  /** Stops the host (tests; Lambda itself just freezes and recycles instances). */
  stop(): Promise<void>;
}

export function createLambdaHandler(options: LambdaHandlerOptions = {}): LambdaHandler {
  const marginMs = options.timeoutMarginMs ?? DEFAULT_TIMEOUT_MARGIN_MS;
  if (!(Number.isFinite(marginMs) && marginMs >= 0)) throw new RangeError(`timeoutMarginMs must be a number of milliseconds >= 0, got ${String(marginMs)}`);
  // The in-process connection has no client address: the front door's X-Forwarded-For (which the
  // mapping ends with the address it saw) is the one hop to trust, unless TRUST_PROXY says otherwise.
  const instance = functionHost(options, functionDefaults({ TRUST_PROXY: '1' }));
  let warnedCookies = false;
  const deliverer = createDeliverer();
  const warnRunningFlows = runningFlowsWarning();

  const handler = async (event: unknown, context?: LambdaContext): Promise<LambdaResult | SqsBatchResponse | undefined> => {
    const trigger = detectTrigger(event);
    if (trigger) {
      const remaining = context?.getRemainingTimeInMillis?.();
      const deadline = typeof remaining === 'number' && Number.isFinite(remaining) ? performance.now() + remaining - marginMs : undefined;
      const host = await instance.get();
      const failed = await deliverer.deliver(trigger, host.events, instance.logger(), deadline);
      warnRunningFlows(host, instance.logger());
      if (trigger.failures === 'items') return { batchItemFailures: failed.map((message) => ({ itemIdentifier: message.id })) };
      if (failed.length > 0) throw new TriggerDeliveryError(trigger.source, failed);
      return undefined;
    }
    const http = detectEvent(event);
    const request = toInjectRequest(http, { basePath: options.basePath, invocationId: context?.awsRequestId });
    const remainingMs = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    const answer = await withinRemainingTime(
      async (signal) => {
        const host = await instance.get();
        const answer = await host.inject(signal ? { ...request, signal } : request);
        warnRunningFlows(host, instance.logger());
        return answer;
      },
      remainingMs,
      marginMs,
      (budgetMs) => {
        instance.logger()?.warn({ method: request.method, url: request.url, requestId: request.headers['x-request-id'], budgetMs, marginMs }, 'request abandoned: the function\'s remaining time ran out; answered 504');
        return timeoutAnswer(budgetMs, request.headers['x-request-id']);
      },
    );
    return toLambdaResult(http, answer, (_kept, dropped) => {
      if (warnedCookies) return;
      warnedCookies = true;
      instance.logger()?.warn({ dropped }, 'an answer had several Set-Cookie headers and the ALB target group sends single-value headers: only the last was returned; turn on lambda.multi_value_headers.enabled on the target group');
    });
  };
  return Object.assign(handler, { host: () => instance.get(), stop: () => instance.stop() });
}
