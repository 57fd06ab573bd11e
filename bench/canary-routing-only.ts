/**
 * `node dist/bench/canary-routing-only.js`: only the canary routing cost, printed as markdown
 * (BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP_SECONDS, BENCH_CONNECTIONS and the core settings as for the full run).
 */
import { cleanupAll, cleanupOnSignals, tempDir } from './cleanup.js';
import { readBenchConfig } from './config.js';
import { measureCanaryRouting, renderCanaryRoutingSection } from './canary-routing-bench.js';
import { writeWrkScripts } from './wrk-scripts.js';

cleanupOnSignals();
try {
  const dir = await tempDir('canary-routing');
  const scripts = await writeWrkScripts(dir);
  const figures = await measureCanaryRouting(readBenchConfig(), scripts, dir, (line) => console.error(line));
  console.log(renderCanaryRoutingSection(figures));
} finally {
  await cleanupAll();
}
