/**
 * `npm run bench`: the generated routes against a hand-written node:http
 * ceiling and an Express 5 route, plus the durable file datasource, on a store
 * of 10,000 customers. Writes docs/benchmarks.md and exits 1 if a target fails.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cleanupAll, cleanupOnSignals, cleanupStarted, tempDir } from './cleanup.js';
import { readBenchConfig } from './config.js';
import { runDatasourceWrites } from './datasource-writes.js';
import { measureCase, type CaseKind, type PreparedServer } from './measure.js';
import { docsFile, exampleRemoteDist, hostScript } from './paths.js';
import { prepareServer } from './prepare.js';
import { renderReport } from './report.js';
import { measureReloads, reloadTargetsPassed, renderReloadSection } from './reload-bench.js';
import { flowTargetsPassed, measureFlows, renderFlowSection } from './flow-bench.js';
import { batchTargetsPassed, measureBatches, renderBatchSection } from './batch-bench.js';
import { indexTargetsPassed, measureIndexedPages, renderIndexSection } from './index-bench.js';
import { clusterTargetsPassed, measureCluster, renderClusterSection } from './cluster-bench.js';
import { kafkaSetup, measureEvents, renderEventSection, webswitchSetup, type EventFigures } from './events-bench.js';
import { measurePlacements, placementTargetsPassed, renderPlacementSection } from './placement-bench.js';
import { measureSerialization, renderSerializationSection, serializationTargetsPassed } from './serialization-bench.js';
import { isolationTargetsPassed, measureIsolation, renderIsolationSection } from './isolation-bench.js';
import { canaryRoutingTargetsPassed, CANARY_ROUTING_TARGET_US, measureCanaryRouting, renderCanaryRoutingSection } from './canary-routing-bench.js';
import { COLD_START_TARGET_MS, measureServerless, renderServerlessSection, serverlessTargetsPassed } from './serverless-section.js';
import { canaryRollbackTargetsPassed, measureCanaryRollback, renderCanaryRollbackSection } from './canary-rollback-bench.js';
import type { BenchResults } from './results.js';
import { SERVERS, type ServerKey } from './servers.js';
import type { ServerProcess } from './server-process.js';
import { systemInfo } from './system-info.js';
import { evaluateTargets } from './targets.js';
import { findExecutable, findWrk, WRK_INSTALL } from './wrk.js';
import { writeWrkScripts } from './wrk-scripts.js';

const log = (line: string) => console.log(line);
/** Reads before POST, so reads see exactly the seeded store. */
const CASE_ORDER: CaseKind[] = ['get', 'list', 'post'];

async function main(): Promise<number> {
  const wrk = findWrk();
  if (!wrk) {
    console.error(`bench: wrk is not installed. Install it with:\n\n  ${WRK_INSTALL}\n\n(as root or with sudo), then run npm run bench again.`);
    return 2;
  }
  if (!findExecutable('taskset')) {
    console.error('bench: taskset is not installed (it pins servers and wrk to cores). Install it with:\n\n  apt-get install -y util-linux\n');
    return 2;
  }
  for (const needed of [hostScript, `${exampleRemoteDist}/remoteEntry.js`]) {
    if (!existsSync(needed)) {
      console.error(`bench: ${needed} is missing; run npm run build first`);
      return 2;
    }
  }
  const config = readBenchConfig();
  const results: BenchResults = { config, system: systemInfo(wrk), cases: new Map(), failures: new Map(), datasource: { summary: 'not run', writesPerSecond: undefined }, reruns: 0 };
  log(
    `bench: ${config.records} records; wrk -t1 -c${config.connections} on core ${config.clientCpu}, servers on core ${config.serverCpu}; ` +
      `per case ${config.warmupSeconds} s warm-up + ${config.seconds} s in ${config.rounds} rounds per server`,
  );

  const dir = await tempDir('wrk');
  const scripts = await writeWrkScripts(dir);
  const processes: ServerProcess[] = [];
  const prepared: PreparedServer[] = [];
  log('starting and seeding the servers');
  for (const definition of SERVERS) {
    if (cleanupStarted()) return 130;
    try {
      const server = await definition.start(config);
      processes.push(server);
      prepared.push({ ...(await prepareServer(definition.key, definition.label, server, config.records, dir, log)), loadsOtherCores: definition.loadsOtherCores === true });
    } catch (error) {
      // One broken server is reported as such; the others are still measured.
      results.failures.set(definition.key, (error as Error).message);
      console.error(`  ${definition.label} FAILED: ${(error as Error).message}`);
    }
  }

  const reruns = { left: config.maxReruns };
  for (const kind of CASE_ORDER) {
    if (cleanupStarted()) return 130;
    const servers = prepared.filter((p) => SERVERS.find((s) => s.key === p.key)!.kinds.includes(kind));
    try {
      const figures = await measureCase(kind, servers, { config, scripts, reruns, log });
      for (const [key, f] of figures) {
        const byKind = results.cases.get(key as ServerKey) ?? new Map();
        results.cases.set(key as ServerKey, byKind.set(kind, f));
      }
    } catch (error) {
      results.failures.set(kind, (error as Error).message);
      console.error(`  FAILED: ${(error as Error).message}`);
    }
  }
  results.reruns = config.maxReruns - reruns.left;
  // Core 0 must be free again for the datasource-level bench.
  await Promise.all(processes.map((p) => p.stop()));

  log('file datasource without HTTP (bench/file-datasource-writes.ts)');
  results.datasource = await runDatasourceWrites(config.datasourceSeconds, config.serverCpu);
  log(`  ${results.datasource.summary}`);

  log('hot deployment (bench/reload-bench.ts)');
  const reloads = await section('Hot deployment', () => measureReloads(log), renderReloadSection, reloadTargetsPassed);
  log('isolation: a hostile remote beside a healthy one (bench/isolation-bench.ts)');
  const isolation = await section('Isolation: a hostile remote beside a healthy one', () => measureIsolation(log), renderIsolationSection, isolationTargetsPassed);
  log('flows (bench/flow-bench.ts)');
  const flows = await section('Flows', () => measureFlows(log), renderFlowSection, flowTargetsPassed);
  log('batches on the file datasource (bench/batch-bench.ts)');
  const batches = await section('Batches', () => measureBatches(log), renderBatchSection, batchTargetsPassed);
  log('indexed pages on memory and file (bench/index-bench.ts)');
  const indexed = await section('Indexed pages on the embedded datasources', () => measureIndexedPages(config, scripts, log), renderIndexSection, indexTargetsPassed);

  log('placements: forwarding overhead (bench/placement-bench.ts)');
  const placementsSection = await section('Placements: forwarding overhead', () => measurePlacements(config, scripts, dir, log), renderPlacementSection, placementTargetsPassed);
  log('wire formats: JSON and MessagePack (bench/serialization-bench.ts)');
  const serialization = await section('Wire formats: JSON and MessagePack', () => measureSerialization(config, dir, log), renderSerializationSection, serializationTargetsPassed);
  log('canary routing cost (bench/canary-routing-bench.ts)');
  const canaryRouting = await section('Canary routing cost', () => measureCanaryRouting(config, scripts, dir, log), renderCanaryRoutingSection, canaryRoutingTargetsPassed);
  log('serverless: cold start and handler overhead (bench/serverless-section.ts)');
  const serverless = await section('Serverless (Lambda handler)', () => measureServerless(log), renderServerlessSection, serverlessTargetsPassed);
  log('automatic rollback of a bad canary (bench/canary-rollback-bench.ts)');
  const canaryRollback = await section('Automatic rollback of a bad canary', () => measureCanaryRollback(log), renderCanaryRollbackSection, canaryRollbackTargetsPassed);
  log('cluster mode (bench/cluster-bench.ts)');
  const clusterOptions = { seconds: config.seconds, warmupSeconds: config.warmupSeconds, connections: config.connections, records: Math.min(config.records, 2_000), clientCpu: config.clientCpu };
  const clustered = await section('Cluster mode', () => measureCluster(log, clusterOptions), renderClusterSection, clusterTargetsPassed);

  log('events between hosts (bench/events-bench.ts)');
  const eventFigures: EventFigures[] = [];
  let eventFailure = '';
  try {
    eventFigures.push(await measureEvents(webswitchSetup, log));
    const kafka = await kafkaSetup();
    try {
      eventFigures.push(await measureEvents(kafka, log));
    } finally {
      await kafka.close();
    }
  } catch (error) {
    eventFailure = `\nFAILED: ${(error as Error).message}\n`;
    console.error(`  FAILED: ${(error as Error).message}`);
  }
  const eventSection = `${renderEventSection(eventFigures).trimEnd()}\n${eventFailure}`;

  const outcomes = evaluateTargets(results);
  await writeFile(docsFile, `${renderReport(results, outcomes).trimEnd()}\n\n${reloads.text.trimEnd()}\n\n${isolation.text.trimEnd()}\n\n${flows.text.trimEnd()}\n\n${batches.text.trimEnd()}\n\n${indexed.text.trimEnd()}\n\n${placementsSection.text.trimEnd()}\n\n${serialization.text.trimEnd()}\n\n${canaryRouting.text.trimEnd()}\n\n${canaryRollback.text.trimEnd()}\n\n${serverless.text.trimEnd()}\n\n${clustered.text.trimEnd()}\n\n${eventSection}`);
  log('\ntargets:');
  for (const outcome of outcomes) log(`  ${outcome.pass ? 'PASS' : 'FAIL'}  ${outcome.target}: ${outcome.measured}${outcome.note ? ` (${outcome.note})` : ''}`);
  log(`  ${reloads.passed ? 'PASS' : 'FAIL'}  hot deployment targets (see the report)`);
  log(`  ${isolation.passed ? 'PASS' : 'FAIL'}  isolation targets (see the report)`);
  log(`  ${flows.passed ? 'PASS' : 'FAIL'}  flow targets (see the report)`);
  log(`  ${batches.passed ? 'PASS' : 'FAIL'}  batch create ≥ 5× single POSTs on file (see the report)`);
  log(`  ${indexed.passed ? 'PASS' : 'FAIL'}  indexed page targets (see the report)`);
  log(`  ${placementsSection.passed ? 'PASS' : 'FAIL'}  placement forwarding without errors (see the report)`);
  log(`  ${serialization.passed ? 'PASS' : 'FAIL'}  wire formats without errors (see the report)`);
  log(`  ${canaryRouting.passed ? 'PASS' : 'FAIL'}  a running canary adds ≤ ${CANARY_ROUTING_TARGET_US} CPU µs per GET /:id (see the report)`);
  log(`  ${serverless.passed ? 'PASS' : 'FAIL'}  serverless cold start (thread isolation) < ${COLD_START_TARGET_MS} ms (see the report)`);
  log(`  ${canaryRollback.passed ? 'PASS' : 'FAIL'}  bad canaries rolled back, no failures after beyond those in flight (see the report)`);
  log(`  ${clustered.passed ? 'PASS' : 'FAIL'}  cluster runs free of errors (see the report)`);
  log(`\nwrote ${docsFile}`);
  return outcomes.every((o) => o.pass) && reloads.passed && isolation.passed && flows.passed && batches.passed && indexed.passed && placementsSection.passed && serialization.passed && canaryRouting.passed && canaryRollback.passed && serverless.passed && clustered.passed && eventFailure === '' ? 0 : 1;
}

/** Runs one bench section; a failure becomes a FAILED section of the report instead of ending the run. */
async function section<F>(heading: string, measure: () => Promise<F>, render: (figures: F) => string, passed: (figures: F) => boolean): Promise<{ text: string; passed: boolean }> {
  try {
    const figures = await measure();
    return { text: render(figures), passed: passed(figures) };
  } catch (error) {
    console.error(`  FAILED: ${(error as Error).message}`);
    return { text: `## ${heading}\n\nFAILED: ${(error as Error).message}\n`, passed: false };
  }
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
