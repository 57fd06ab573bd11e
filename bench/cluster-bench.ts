/**
 * Cluster scaling: requests/s of the example API's GET /customers/:id and POST
 * /customers served by one process (no cluster) and by CLUSTER_WORKERS=2, and
 * the ratio; and the CPU time per request summed over every process of the
 * server (the primary and its workers), the figure that does not depend on how
 * many cores are free. Memory datasource: in the cluster the primary owns it and
 * is its single writer, each worker answering reads from its read replica.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from './cleanup.js';
import { processTreeCpuSeconds } from './cpu-usage.js';
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

/** A wrk result and the CPU µs per request of the server's processes, all summed (when /proc could tell). */
export type ClusterCase = WrkResult & { serverCpuUsPerRequest?: number };

export interface ClusterRun {
  workers: 1 | 2;
  get: ClusterCase;
  post: ClusterCase;
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
      const run = async (script: string, seconds: number, url: string, scriptArgs?: string[]): Promise<ClusterCase> => {
        const cpuBefore = processTreeCpuSeconds(server.pid);
        const result = await runWrk({ url, script, seconds, connections: options.connections, cpu: options.clientCpu, ...(scriptArgs ? { scriptArgs } : {}) });
        const cpuAfter = processTreeCpuSeconds(server.pid);
        if (cpuBefore === undefined || cpuAfter === undefined || result.requests === 0) return result;
        return { ...result, serverCpuUsPerRequest: ((cpuAfter - cpuBefore) * 1e6) / result.requests };
      };
      const collection = `${server.url}/microlib/api/models/customers`;
      await run(scripts.getById, options.warmupSeconds, collection, [idsFile]);
      const get = await run(scripts.getById, options.seconds, collection, [idsFile]);
      const post = await run(scripts.post, options.seconds, collection);
      log(`  ${setup.workers} worker(s): GET ${Math.round(get.requestsPerSecond)}/s (${cpuUs(get)} CPU µs/req), POST ${Math.round(post.requestsPerSecond)}/s (${cpuUs(post)} CPU µs/req)`);
      runs.push({ workers: setup.workers, get, post });
    } finally {
      await server.stop(30_000);
    }
  }
  return { options, cores, runs };
}

const rate = (value: number) => Math.round(value).toLocaleString('en-US');
const cpuUs = (f: ClusterCase) => (f.serverCpuUsPerRequest === undefined ? '–' : Math.round(f.serverCpuUsPerRequest).toLocaleString('en-US'));

/** The issue's target: CPU per GET /:id summed over the cluster's processes at most this many times one process's. */
const GET_CPU_TARGET = 1.2;

/** 2 workers' CPU µs per request ÷ one process's, when both were measured. */
function cpuRatio(figures: ClusterFigures, kind: 'get' | 'post'): number | undefined {
  const one = figures.runs.find((r) => r.workers === 1)?.[kind].serverCpuUsPerRequest;
  const two = figures.runs.find((r) => r.workers === 2)?.[kind].serverCpuUsPerRequest;
  return one && two ? two / one : undefined;
}

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
      'In the cluster the primary owns the memory datasource and is its single writer: writes cross IPC (worker → primary → worker), ' +
      "reads are answered by each worker's read replica, fed by the primary's change stream. " +
      'wrk shares a core with the workers, so on this 2-core machine the req/s ratio is a floor, not what 2 workers do on dedicated cores; ' +
      'CPU µs/request sums user + system time of every server process (the primary and its workers, from /proc) over the run, divided by the requests answered, which does not depend on free cores.',
    '',
    '| case | workers | req/s | p50 | p99 | CPU µs/request (all processes) | errors |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const kind of ['get', 'post'] as const) {
    for (const run of figures.runs) {
      const f = run[kind];
      lines.push(`| ${kind === 'get' ? 'GET /customers/:id' : 'POST /customers'} | ${run.workers} | **${rate(f.requestsPerSecond)}** | ${f.p50Ms.toFixed(2)} ms | ${f.p99Ms.toFixed(2)} ms | ${cpuUs(f)} | ${errorCount(f)} |`);
    }
  }
  const getCpu = cpuRatio(figures, 'get');
  const postCpu = cpuRatio(figures, 'post');
  lines.push(
    '',
    `Scaling, 2 workers ÷ 1 process: GET ${ratio(figures, 'get')}, POST ${ratio(figures, 'post')}. ` +
      `CPU per request, 2 workers ÷ 1 process: GET ${getCpu === undefined ? '–' : `${getCpu.toFixed(2)}×`} (target ≤ ${GET_CPU_TARGET}×: ${getCpu === undefined ? 'not measured' : getCpu <= GET_CPU_TARGET ? 'met' : 'missed'}), ` +
      `POST ${postCpu === undefined ? '–' : `${postCpu.toFixed(2)}×`}.`,
    '',
  );
  return lines.join('\n');
}

/**
 * The section passes when every run was free of errors and, where /proc could tell, the cluster's CPU per GET
 * is within the target (the req/s ratio is reported, not a target, on a shared 2-core machine).
 */
export function clusterTargetsPassed(figures: ClusterFigures): boolean {
  const getCpu = cpuRatio(figures, 'get');
  return figures.runs.length === SETUPS.length && figures.runs.every((run) => errorCount(run.get) === 0 && errorCount(run.post) === 0) && (getCpu === undefined || getCpu <= GET_CPU_TARGET);
}
