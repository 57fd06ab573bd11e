/** `node dist/bench/serialization-only.js`: only the JSON / MessagePack figures, printed as markdown (BENCH_SECONDS etc. apply). */
import { cleanupAll, tempDir } from './cleanup.js';
import { readBenchConfig } from './config.js';
import { measureSerialization, renderSerializationSection } from './serialization-bench.js';

try {
  const dir = await tempDir('serialization');
  const figures = await measureSerialization(readBenchConfig(), dir, (line) => console.error(line));
  console.log(renderSerializationSection(figures));
} finally {
  await cleanupAll();
}
