/**
 * Cluster scaling: requests/s of the example API's GET /customers/:id and POST
 * /customers served by one process (no cluster) and by CLUSTER_WORKERS=2, and
 * the ratio. Both run unpinned over every core (a cluster needs them), memory
 * datasource (in the primary for the cluster: each call crosses IPC).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from './cleanup.js';
import { exampleRemoteDist, hostScript } from './paths.js';
import { seedCustomers } from './seed.js';
import { startServer } from './server-process.js';
import { errorCount, runWrk, type WrkResult } from './wrk.js';
import { writeIdsFile, writeWrkScripts } from './wrk-scripts.js';

export interface ClusterBenchOptions {
  seconds: number;
  warmupSeconds: number;
  connections: number;
  records: number;
  clientCpu: number;
}

export interface ClusterRun {
  workers: 1 | 2;
  get: WrkResult;
  post: WrkResult;
}

export interface ClusterFigures {
  options: ClusterBenchOptions;
  cores: string;
  runs: ClusterRun[];
}

const SETUPS: Array<{ workers: 1 | 2; env: Record<string, string> }> = [
  { workers: 1, env: {} },
  { workers: 2, env: { CLUSTER_ENABLED: 'true', CLUSTER_WORKERS: '2' } },
];

export async function measureCluster(log: (line: string) => void, options: ClusterBenchOptions): Promise<ClusterFigures> {
  const dir = await tempDir('cluster-bench');
  const scripts = await writeWrkScripts(dir);
  const cores = '0-1';
  const runs: ClusterRun[] = [];
  for (const setup of SETUPS) {
    const workDir = await tempDir(`cluster-${setup.workers}`);
    const entries = path.join(workDir, 'remoteEntries.js');
    await writeFile(entries, `export default ${JSON.stringify([{ name: 'orderService', kind: 'local', path: exampleRemoteDist }])};\n`);
    const server = await startServer({
      label: `microlib host, ${setup.workers === 1 ? 'one process' : '2 workers'}`,
      script: hostScript,
      cpu: cores,
      cwd: workDir,
      startTimeoutMs: 60_000,
      env: {
        REMOTE_ENTRIES: entries,
        DATASOURCE_ADAPTER: 'memory',
        DATA_DIR: path.join(workDir, 'data'),
        REMOTE_CACHE_DIR: path.join(workDir, 'cache'),
        LOG_LEVEL: 'info',
        ...setup.env,
      },
    });
    try {
      const ids = await seedCustomers(server.url, options.records);
      const idsFile = await writeIdsFile(dir, `cluster-${setup.workers}`, ids);
      const run = (script: string, seconds: number, url: string, scriptArgs?: string[]) =>
        runWrk({ url, script, seconds, connections: options.connections, cpu: options.clientCpu, ...(scriptArgs ? { scriptArgs } : {}) });
      const collection = `${server.url}/microlib/api/models/customers`;
      await run(scripts.getById, options.warmupSeconds, collection, [idsFile]);
      const get = await run(scripts.getById, options.seconds, collection, [idsFile]);
      const post = await run(scripts.post, options.seconds, collection);
      log(`  ${setup.workers} worker(s): GET ${Math.round(get.requestsPerSecond)}/s, POST ${Math.round(post.requestsPerSecond)}/s`);
      runs.push({ workers: setup.workers, get, post });
    } finally {
      await server.stop(30_000);
    }
  }
  return { options, cores, runs };
}

const rate = (value: number) => Math.round(value).toLocaleString('en-US');

function ratio(figures: ClusterFigures, kind: 'get' | 'post'): string {
  const one = figures.runs.find((r) => r.workers === 1)?.[kind].requestsPerSecond;
  const two = figures.runs.find((r) => r.workers === 2)?.[kind].requestsPerSecond;
  return one && two ? `${(two / one).toFixed(2)}×` : '–';
}

export function renderClusterSection(figures: ClusterFigures): string {
  const { options } = figures;
  const lines = [
    '## Cluster mode',
    '',
    `bench/cluster-bench.ts: the host serving the example remote with \`DATASOURCE_ADAPTER=memory\`, as one process and with \`CLUSTER_ENABLED=true CLUSTER_WORKERS=2\`, ` +
      `both on cores ${figures.cores} (\`taskset -c ${figures.cores}\`); ${options.records.toLocaleString('en-US')} seeded customers; ` +
      `wrk -t1 -c${options.connections} on core ${options.clientCpu}, ${options.warmupSeconds} s warm-up, then ${options.seconds} s per case. ` +
      'In the cluster the memory datasource lives in the primary, so every read and write crosses IPC (worker → primary → worker); ' +
      'wrk shares a core with the workers, so on this 2-core machine the ratio is a floor, not what 2 workers do on dedicated cores.',
    '',
    '| case | workers | req/s | p50 | p99 | errors |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const kind of ['get', 'post'] as const) {
    for (const run of figures.runs) {
      const f = run[kind];
      lines.push(`| ${kind === 'get' ? 'GET /customers/:id' : 'POST /customers'} | ${run.workers} | **${rate(f.requestsPerSecond)}** | ${f.p50Ms.toFixed(2)} ms | ${f.p99Ms.toFixed(2)} ms | ${errorCount(f)} |`);
    }
  }
  lines.push('', `Scaling, 2 workers ÷ 1 process: GET ${ratio(figures, 'get')}, POST ${ratio(figures, 'post')}.`, '');
  return lines.join('\n');
}

/** The section passes when every run was free of errors (the ratio is reported, not a target on a shared 2-core machine). */
export function clusterTargetsPassed(figures: ClusterFigures): boolean {
  return figures.runs.length === SETUPS.length && figures.runs.every((run) => errorCount(run.get) === 0 && errorCount(run.post) === 0);
}
