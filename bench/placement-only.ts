/** `node dist/bench/placement-only.js`: only the placement forwarding figures, printed as markdown (BENCH_SECONDS etc. apply). */
import { cleanupAll, tempDir } from './cleanup.js';
import { readBenchConfig } from './config.js';
import { measurePlacements, renderPlacementSection } from './placement-bench.js';
import { writeWrkScripts } from './wrk-scripts.js';

try {
  const dir = await tempDir('placement');
  const figures = await measurePlacements(readBenchConfig(), await writeWrkScripts(dir), dir, (line) => console.error(line));
  console.log(renderPlacementSection(figures));
} finally {
  await cleanupAll();
}
