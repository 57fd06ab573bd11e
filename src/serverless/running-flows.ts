/**
 * A flow a request or message started goes on after the invocation answered, in
 * the instance's background. A function's instance is frozen between invocations
 * and recycled without notice, so those steps run only while the instance keeps
 * serving, and a recycled instance leaves the flow `running` for the runner its
 * `HOST_ID` names. That must not happen silently: the first time an invocation ends
 * with flows still running, the instance says so.
 */
import type { Host } from '../host/create-host.js';
import type { Logger } from '../adapters/logging/logger.js';

export function runningFlowsWarning(): (host: Host, logger: Logger | undefined) => void {
  let warned = false;
  return (host, logger) => {
    const running = host.flows.running;
    if (warned || running === 0) return;
    warned = true;
    logger?.warn(
      { runningFlows: running },
      "flows are still running after the invocation answered: in a function they go on only while this instance serves invocations; a recycled instance leaves them 'running' until a host with the same HOST_ID starts (see docs/serverless.md, Flows started in a function)",
    );
  };
}
