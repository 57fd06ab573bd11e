/** `node dist/bench/canary-rollback.js`: only the automatic-rollback figures, printed as markdown (BENCH_CONCURRENCY, BENCH_TRIALS). */
import { measureCanaryRollback, renderCanaryRollbackSection } from './canary-rollback-bench.js';

console.log(renderCanaryRollbackSection(await measureCanaryRollback((line) => console.error(line))));
