/**
 * Measures one running server: seed it through its API, check its answers,
 * then per case a discarded warm-up run and a measured wrk run.
 */
import type { BenchConfig } from './config.js';
import { COLLECTION_PATH } from './customers-api.js';
import { seedCustomers } from './seed.js';
import type { ServerProcess } from './server-process.js';
import { smokeCheck } from './smoke-check.js';
import { errorCount, runWrk, type WrkResult } from './wrk.js';
import { writeIdsFile, type WrkScripts } from './wrk-scripts.js';

export type CaseKind = 'get' | 'list' | 'post';

export const CASE_LABELS: Record<CaseKind, string> = {
  get: 'GET /customers/:id',
  list: 'GET /customers?limit=20',
  post: 'POST /customers',
};

export const PAGE_SIZE = 20;

export interface MeasureContext {
  config: BenchConfig;
  scripts: WrkScripts;
  /** Temp dir for the ids files. */
  dir: string;
  log(line: string): void;
}

export async function measureServer(key: string, server: ServerProcess, kinds: readonly CaseKind[], ctx: MeasureContext): Promise<Map<CaseKind, WrkResult>> {
  const { config, scripts } = ctx;
  const seedStart = performance.now();
  const ids = await seedCustomers(server.url, config.records);
  ctx.log(`  seeded ${ids.length} customers in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  await smokeCheck(server.url, ids[ids.length - 1]!, PAGE_SIZE);
  const idsFile = await writeIdsFile(ctx.dir, key, ids);

  const results = new Map<CaseKind, WrkResult>();
  for (const kind of kinds) {
    const run = {
      get: { url: `${server.url}${COLLECTION_PATH}`, script: scripts.getById, scriptArgs: [idsFile] },
      list: { url: `${server.url}${COLLECTION_PATH}?limit=${PAGE_SIZE}`, script: scripts.plain },
      post: { url: `${server.url}${COLLECTION_PATH}`, script: scripts.post },
    }[kind];
    const common = { connections: config.connections, cpu: config.clientCpu };
    await runWrk({ ...run, ...common, seconds: config.warmupSeconds });
    const result = await runWrk({ ...run, ...common, seconds: config.seconds });
    results.set(kind, result);
    const errors = errorCount(result);
    ctx.log(
      `  ${CASE_LABELS[kind].padEnd(24)} ${Math.round(result.requestsPerSecond).toString().padStart(7)} req/s  p99 ${result.p99Ms.toFixed(2)} ms` +
        (errors ? `  ERRORS: ${result.non2xx} non-2xx, ${result.socketErrors} socket, ${result.timeouts} timeouts` : ''),
    );
  }
  return results;
}
