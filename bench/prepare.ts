/**
 * Gets a started server ready to measure: seeded through its own API, checked,
 * and its ids written for the GET /:id Lua script.
 */
import { PAGE_SIZE, type PreparedServer } from './measure.js';
import { seedCustomers } from './seed.js';
import type { ServerProcess } from './server-process.js';
import { smokeCheck } from './smoke-check.js';
import { writeIdsFile } from './wrk-scripts.js';

export async function prepareServer(key: string, label: string, process: ServerProcess, records: number, dir: string, log: (line: string) => void): Promise<PreparedServer> {
  const started = performance.now();
  const ids = await seedCustomers(process.url, records);
  log(`  ${label}: seeded ${ids.length} customers in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await smokeCheck(process.url, ids[ids.length - 1]!, PAGE_SIZE);
  return { key, label, process, idsFile: await writeIdsFile(dir, key, ids) };
}
