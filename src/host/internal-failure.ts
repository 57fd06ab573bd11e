/** An error no request should meet: counted, and logged under the request's id (which its 500 answer names). */
import type { IncomingMessage } from 'node:http';
import { requestIdOf } from '../adapters/http/request-id.js';
import type { HostMetrics } from '../adapters/metrics/metrics.js';
import type { Logger } from '../adapters/logging/logger.js';

export type InternalFailure = (what: string) => (error: unknown, req: IncomingMessage) => void;

export function internalFailureReporter(metrics: HostMetrics, logger: Logger): InternalFailure {
  return (what) => (error, req) => {
    metrics.internalError();
    logger.error({ err: error, requestId: requestIdOf(req), method: req.method, url: req.url }, what);
  };
}
