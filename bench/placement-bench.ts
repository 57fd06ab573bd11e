/**
 * Forwarding overhead of placements: GET of one customer by id on the node of
 * its placement (direct) and on a node of another placement, which forwards it
 * (forwarded). Both nodes run the example remote with the memory datasource
 * and are pinned to the server core, so a forwarded request pays for both
 * processes on the same CPU budget the direct one has; wrk runs on the client
 * core. Rounds alternate direct and forwarded; each figure is the median round.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { exampleRemoteDist, makeWorkDir, removeDir, startHost, type HostProcess } from '../test/support/host-process.js';
import { onCleanup } from './cleanup.js';
import type { BenchConfig } from './config.js';
import { customerBody } from './customers-api.js';
import { errorCount, runWrk, type WrkResult } from './wrk.js';
import { writeIdsFile, type WrkScripts } from './wrk-scripts.js';
import { freePort } from '../test/support/free-port.js';

/** Bounded: records seeded, and the connections of the latency runs. */
const RECORDS = 1_000;
const SINGLE_CONNECTION = 1;

export interface PlacementRun {
  connections: number;
  direct: WrkResult;
  forwarded: WrkResult;
}

export interface PlacementFigures {
  records: number;
  runs: PlacementRun[];
  errors: number;
}

function pin(host: HostProcess, cpu: number): void {
  const result = spawnSync('taskset', ['-pc', String(cpu), String(host.child.pid)], { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`taskset could not pin node process ${host.child.pid} to core ${cpu}`);
}

function median(results: WrkResult[], by: (r: WrkResult) => number): WrkResult {
  return [...results].sort((a, b) => by(a) - by(b))[Math.floor(results.length / 2)]!;
}

export async function measurePlacements(config: BenchConfig, scripts: WrkScripts, dir: string, log: (line: string) => void): Promise<PlacementFigures> {
  const workDir = await makeWorkDir();
  const hosts: HostProcess[] = [];
  const stopAll = async () => {
    for (const host of hosts.splice(0)) await host.stop();
  };
  onCleanup(stopAll);
  try {
    const ports = { customers: await freePort(), orders: await freePort() };
    const placements = {
      customers: { models: ['customer'], nodes: [`http://127.0.0.1:${ports.customers}`] },
      orders: { models: ['order', 'product'], nodes: [`http://127.0.0.1:${ports.orders}`] },
    };
    for (const name of ['customers', 'orders'] as const) {
      const host = await startHost({
        workDir: path.join(workDir, name),
        remotes: [{ name: 'orderService', kind: 'local', path: exampleRemoteDist }],
        placements,
        env: { PORT: String(ports[name]), MICROLIB_PLACEMENT: name, MICROLIB_NODE_NAME: name, DATASOURCE_ADAPTER: 'memory' },
      });
      hosts.push(host);
      pin(host, config.serverCpu);
    }
    const direct = `http://127.0.0.1:${ports.customers}`;
    const forwarded = `http://127.0.0.1:${ports.orders}`;
    const ids: string[] = [];
    for (let i = 0; i < RECORDS; i++) {
      const res = await fetch(`${direct}/microlib/api/models/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(customerBody(i)) });
      if (res.status !== 201) throw new Error(`seeding answered ${res.status}`);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const idsFile = await writeIdsFile(dir, 'placement', ids);
    // A forwarded read must really be answered by the other node.
    const probe = await fetch(`${forwarded}/microlib/api/models/customers/${ids[0]}`);
    await probe.arrayBuffer();
    if (probe.status !== 200 || probe.headers.get('x-microlib-node') !== 'customers/customers') {
      throw new Error(`forwarded probe answered ${probe.status} from ${probe.headers.get('x-microlib-node')}`);
    }
    log(`  ${RECORDS} customers on the customers node; GET by id direct and through the orders node`);

    const runs: PlacementRun[] = [];
    let errors = 0;
    for (const connections of [config.connections, SINGLE_CONNECTION]) {
      const wrk = (url: string, seconds: number) => runWrk({ url, script: scripts.getById, scriptArgs: [idsFile], seconds, connections, cpu: config.clientCpu });
      await wrk(direct, config.warmupSeconds);
      await wrk(forwarded, config.warmupSeconds);
      const roundSeconds = Math.max(1, Math.round(config.seconds / config.rounds));
      const rounds: { direct: WrkResult[]; forwarded: WrkResult[] } = { direct: [], forwarded: [] };
      for (let round = 0; round < config.rounds; round++) {
        rounds.direct.push(await wrk(direct, roundSeconds));
        rounds.forwarded.push(await wrk(forwarded, roundSeconds));
      }
      for (const result of [...rounds.direct, ...rounds.forwarded]) errors += errorCount(result);
      const run = { connections, direct: median(rounds.direct, (r) => r.requestsPerSecond), forwarded: median(rounds.forwarded, (r) => r.requestsPerSecond) };
      runs.push(run);
      log(
        `  c=${connections}: direct ${run.direct.requestsPerSecond.toFixed(0)} req/s p50 ${run.direct.p50Ms.toFixed(2)} ms; ` +
          `forwarded ${run.forwarded.requestsPerSecond.toFixed(0)} req/s p50 ${run.forwarded.p50Ms.toFixed(2)} ms`,
      );
    }
    return { records: RECORDS, runs, errors };
  } finally {
    await stopAll();
    await removeDir(workDir);
  }
}

export function placementTargetsPassed(f: PlacementFigures): boolean {
  return f.errors === 0;
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

export function renderPlacementSection(f: PlacementFigures): string {
  const rows = f.runs.flatMap((run) => {
    const ratio = run.forwarded.requestsPerSecond / run.direct.requestsPerSecond;
    return [
      `| ${run.connections} | direct | ${run.direct.requestsPerSecond.toFixed(0)} | ${ms(run.direct.p50Ms)} | ${ms(run.direct.p99Ms)} | |`,
      `| ${run.connections} | forwarded | ${run.forwarded.requestsPerSecond.toFixed(0)} | ${ms(run.forwarded.p50Ms)} | ${ms(run.forwarded.p99Ms)} | ` +
        `${(100 * (1 - ratio)).toFixed(0)} % fewer req/s, p50 +${ms(run.forwarded.p50Ms - run.direct.p50Ms)}, p99 +${ms(run.forwarded.p99Ms - run.direct.p99Ms)} |`,
    ];
  });
  return [
    '## Placements: forwarding overhead',
    '',
    `GET of one of ${f.records} customers by id (memory datasource): **direct** on the node of the \`customers\` placement, and **forwarded** through a node of the \`orders\` placement (one more HTTP hop on a kept-alive connection). Both nodes are pinned to the server core, so a forwarded request is paid for by two processes on the CPU one process has when direct; that, more than the network, sets the throughput cost. The single-connection rows show the added latency of one hop.`,
    '',
    '| connections | path | req/s | p50 | p99 | overhead |',
    '|---:|---|---:|---:|---:|---|',
    ...rows,
    '',
    `Errors (non-2xx, socket errors, timeouts) in all runs: ${f.errors}.`,
    '',
  ].join('\n');
}
