/**
 * One cold start of a function (run by serverless-section.ts), in a process of
 * its own started in a folder `microlib bundle` wrote: import its `index.mjs`
 * (the bundled host) as Lambda would, answer one HTTP API v2 event, and print
 * when that happened (ms since this process started), then the process's memory
 * once idle (two JSON lines). Reads its settings from the environment, like a
 * deployed function.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const IDLE_WAIT_MS = 1_000;

type Handler = ((event: unknown, context: unknown) => Promise<unknown>) & { stop(): Promise<void> };
const { handler } = (await import(pathToFileURL(path.join(process.cwd(), 'index.mjs')).href)) as { handler: Handler };
const event = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/microlib/api/models/customers',
  rawQueryString: 'limit=1',
  headers: { host: 'bench.example', 'x-forwarded-for': '127.0.0.1' },
  requestContext: { stage: '$default', requestId: 'bench', http: { method: 'GET', path: '/microlib/api/models/customers', sourceIp: '127.0.0.1' } },
  isBase64Encoded: false,
};
const result = (await handler(event, { awsRequestId: 'cold-start', getRemainingTimeInMillis: () => 30_000 })) as { statusCode: number };
process.stdout.write(`${JSON.stringify({ status: result.statusCode, answeredMs: performance.now() })}\n`);
// An idle instance: what the function holds between invocations.
await new Promise((resolve) => setTimeout(resolve, IDLE_WAIT_MS));
globalThis.gc?.();
const memory = process.memoryUsage();
process.stdout.write(`${JSON.stringify({ rssMb: memory.rss / 2 ** 20, heapUsedMb: memory.heapUsed / 2 ** 20 })}\n`);
await handler.stop();
process.exit(0);
