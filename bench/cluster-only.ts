/** `node dist/bench/cluster-only.js`: only the cluster figures, printed as markdown (BENCH_SECONDS etc. as for the full run). */
import { cleanupAll, cleanupOnSignals } from './cleanup.js';
import { readBenchConfig } from './config.js';
import { measureCluster, renderClusterSection } from './cluster-bench.js';

cleanupOnSignals();
const config = readBenchConfig();
try {
  const figures = await measureCluster((line) => console.error(line), {
    seconds: config.seconds,
    warmupSeconds: config.warmupSeconds,
    connections: config.connections,
    records: Math.min(config.records, 2_000),
    clientCpu: config.clientCpu,
  });
  console.log(renderClusterSection(figures));
} finally {
  await cleanupAll();
}
