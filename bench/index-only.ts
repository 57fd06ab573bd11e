/**
 * `node dist/bench/index-only.js`: only the indexed-pages figures, printed as markdown
 * (BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP_SECONDS, BENCH_CONNECTIONS and BENCH_INDEX_RECORDS as for the full run).
 */
import { cleanupAll, cleanupOnSignals, tempDir } from './cleanup.js';
import { readBenchConfig } from './config.js';
import { measureIndexedPages, renderIndexSection } from './index-bench.js';
import { writeWrkScripts } from './wrk-scripts.js';

cleanupOnSignals();
try {
  const scripts = await writeWrkScripts(await tempDir('wrk'));
  const figures = await measureIndexedPages(readBenchConfig(), scripts, (line) => console.error(line));
  console.log(renderIndexSection(figures));
} finally {
  await cleanupAll();
}
