/**
 * `npm run bench`: the generated routes against a hand-written node:http
 * ceiling and an Express 5 route, plus the durable file datasource, on a store
 * of 10,000 customers. Writes docs/benchmarks.md and exits 1 if a target fails.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cleanupAll, cleanupOnSignals, tempDir } from './cleanup.js';
import { readBenchConfig } from './config.js';
import { runDatasourceWrites } from './datasource-writes.js';
import { measureServer } from './measure.js';
import { docsFile, exampleRemoteDist, hostScript } from './paths.js';
import { renderReport } from './report.js';
import type { BenchResults } from './results.js';
import { SERVERS } from './servers.js';
import { systemInfo } from './system-info.js';
import { evaluateTargets } from './targets.js';
import { findWrk, WRK_INSTALL } from './wrk.js';
import { writeWrkScripts } from './wrk-scripts.js';

const log = (line: string) => console.log(line);

async function main(): Promise<number> {
  const wrk = findWrk();
  if (!wrk) {
    console.error(`bench: wrk is not installed. Install it with:\n\n  ${WRK_INSTALL}\n\n(as root, or with sudo; then run npm run bench again)`);
    return 2;
  }
  for (const needed of [hostScript, `${exampleRemoteDist}/remoteEntry.js`]) {
    if (!existsSync(needed)) {
      console.error(`bench: ${needed} is missing; run npm run build first`);
      return 2;
    }
  }
  const config = readBenchConfig();
  const results: BenchResults = { config, system: systemInfo(wrk), cases: new Map(), failures: new Map(), datasource: { summary: 'not run', writesPerSecond: undefined } };
  log(`bench: ${config.records} records, wrk -t1 -c${config.connections}, ${config.warmupSeconds} s warm-up + ${config.seconds} s per case, servers on core ${config.serverCpu}, wrk on core ${config.clientCpu}`);

  const dir = await tempDir('wrk');
  const scripts = await writeWrkScripts(dir);
  for (const definition of SERVERS) {
    log(`${definition.label}`);
    let server;
    try {
      server = await definition.start(config);
      results.cases.set(definition.key, await measureServer(definition.key, server, definition.kinds, { config, scripts, dir, log }));
    } catch (error) {
      // One broken server is reported as such; the others are still measured.
      const message = (error as Error).message;
      results.failures.set(definition.key, message);
      console.error(`  FAILED: ${message}`);
    } finally {
      await server?.stop();
    }
  }

  log('file datasource without HTTP (bench/file-datasource-writes.ts)');
  results.datasource = await runDatasourceWrites(config.datasourceSeconds, config.serverCpu);
  log(`  ${results.datasource.summary}`);

  const outcomes = evaluateTargets(results);
  await writeFile(docsFile, renderReport(results, outcomes));
  log('\ntargets:');
  for (const outcome of outcomes) log(`  ${outcome.pass ? 'PASS' : 'FAIL'}  ${outcome.target}: ${outcome.measured}${outcome.note ? ` (${outcome.note})` : ''}`);
  log(`\nwrote ${docsFile}`);
  return outcomes.every((o) => o.pass) ? 0 : 1;
}

cleanupOnSignals();
let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
} finally {
  await cleanupAll();
}
process.exit(exitCode);
