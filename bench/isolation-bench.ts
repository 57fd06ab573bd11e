/**
 * Containment figures of thread isolation: a hostile remote (teamA) beside the
 * example remote (teamB) in one host. How long teamB waits for an answer sent
 * right after teamA's code starts a `while (true)`, how long the stuck call takes
 * to answer 503, how soon teamA serves again, and teamB's latency under load with
 * and without teamA's faults. Bounded in count and time; 127.0.0.1 only.
 */
import http from 'node:http';
import path from 'node:path';
import { containerSource, writeRemoteEntry } from '../test/support/fixture-remotes.js';
import { exampleRemoteDist, makeWorkDir, removeDir, startHost, type HostProcess } from '../test/support/host-process.js';
import { requestJson } from '../test/support/json-request.js';

const CALL_TIMEOUT_MS = 1_000;
const TRIALS = 5;
const LOAD_SECONDS = 4;
const CLIENTS = 8;

const TRAP = `[{ modelName: 'trap', endpoint: 'traps', datasource: 'memory', factory: () => (x) => ({ ...x }),
  commands: { spin: { command: () => { for (;;) {} } } } }]`;

export interface IsolationFigures {
  /** ms from a stuck call's start to teamB's next answer, median of the trials. */
  healthyAnswerMs: number;
  /** ms from the stuck call's start to its 503. */
  stuckAnswerMs: number;
  /** ms from the 503 to teamA answering again. */
  backMs: number;
  calm: LoadFigures;
  faulty: LoadFigures & { faults: number };
}

interface LoadFigures {
  requests: number;
  failed: number;
  p50: number;
  p99: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function teamBLoad(url: string, seconds: number, agent: http.Agent): Promise<LoadFigures> {
  const latencies: number[] = [];
  let failed = 0;
  const deadline = Date.now() + seconds * 1000;
  const client = async () => {
    for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
      const started = performance.now();
      const res = await requestJson(`${url}/microlib/api/models/customers`, { method: 'POST', body: { firstName: 'B', lastName: 'Team', email: 'b@team.io' }, agent }).catch(() => ({ status: 0 }));
      latencies.push(performance.now() - started);
      if (res.status !== 201) failed++;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const sorted = latencies.sort((a, b) => a - b);
  return { requests: sorted.length, failed, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

async function trapId(url: string): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const created = await requestJson(`${url}/microlib/api/models/traps`, { method: 'POST', body: {} }).catch(() => ({ status: 0, body: undefined }));
    if (created.status === 201) return (created.body as { id: string }).id;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('teamA never answered');
}

export async function measureIsolation(log: (line: string) => void): Promise<IsolationFigures> {
  const workDir = await makeWorkDir();
  let host: HostProcess | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 2 });
  try {
    const trap = await writeRemoteEntry(path.join(workDir, 'teamA'), containerSource(TRAP));
    host = await startHost({
      workDir,
      remotes: [
        { name: 'teamA', kind: 'local', path: trap, callTimeoutMs: CALL_TIMEOUT_MS },
        { name: 'teamB', kind: 'local', path: exampleRemoteDist },
      ],
      env: { DATASOURCE_ADAPTER: 'memory' },
    });
    const url = host.url;
    const healthy: number[] = [];
    const stuck: number[] = [];
    const back: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const id = await trapId(url);
      const started = performance.now();
      const fault = requestJson(`${url}/microlib/api/models/traps/${id}/commands/spin`, { method: 'POST', body: {}, timeoutMs: 30_000 });
      // Give the worker a moment to enter the loop, then ask teamB.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const asked = performance.now();
      const answer = await requestJson(`${url}/microlib/api/models/customers`, { method: 'POST', body: { firstName: 'B', lastName: 'T', email: 'b@t.io' }, agent });
      if (answer.status !== 201) throw new Error(`teamB answered ${answer.status} during teamA's fault`);
      healthy.push(performance.now() - asked);
      const refused = await fault;
      if (refused.status !== 503) throw new Error(`the stuck call answered ${refused.status}, not 503`);
      stuck.push(performance.now() - started);
      const refusedAt = performance.now();
      await trapId(url);
      back.push(performance.now() - refusedAt);
    }
    log(`  teamB answers in ${median(healthy).toFixed(1)} ms while teamA spins; the stuck call answers 503 after ${median(stuck).toFixed(0)} ms; teamA is back ${median(back).toFixed(0)} ms later`);
    const calm = await teamBLoad(url, LOAD_SECONDS, agent);
    let faults = 0;
    let faulting = true;
    const faulter = (async () => {
      while (faulting) {
        const id = await trapId(url);
        await requestJson(`${url}/microlib/api/models/traps/${id}/commands/spin`, { method: 'POST', body: {}, timeoutMs: 30_000 }).catch(() => undefined);
        faults++;
      }
    })();
    const faulty = await teamBLoad(url, LOAD_SECONDS, agent);
    faulting = false;
    await faulter;
    log(`  teamB p99 ${calm.p99.toFixed(1)} ms calm, ${faulty.p99.toFixed(1)} ms during ${faults} of teamA's faults; failed ${faulty.failed}`);
    return { healthyAnswerMs: median(healthy), stuckAnswerMs: median(stuck), backMs: median(back), calm, faulty: { ...faulty, faults } };
  } finally {
    agent.destroy();
    await host?.stop().catch(() => undefined);
    await removeDir(workDir);
  }
}

export function isolationTargetsPassed(f: IsolationFigures): boolean {
  return f.faulty.failed === 0 && f.calm.failed === 0 && f.stuckAnswerMs < CALL_TIMEOUT_MS + 1_000;
}

export function renderIsolationSection(f: IsolationFigures): string {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return [
    '## Isolation: a hostile remote beside a healthy one',
    '',
    `bench/isolation-bench.ts: one host (unpinned) serving teamA, whose command runs \`for (;;) {}\` in its worker thread (\`callTimeoutMs: ${CALL_TIMEOUT_MS}\`), and the example remote as teamB; ${TRIALS} trials, then ${CLIENTS} clients POSTing to teamB for ${LOAD_SECONDS} s without, then with, teamA's faults one after another.`,
    '',
    '| figure | measured |',
    '|---|---:|',
    `| teamB's answer to a request sent while teamA's code spins (median) | ${ms(f.healthyAnswerMs)} |`,
    `| the stuck call answers 503 after (budget ${CALL_TIMEOUT_MS} ms) | ${ms(f.stuckAnswerMs)} |`,
    `| teamA serves again, after its 503 | ${ms(f.backMs)} |`,
    `| teamB p50 / p99, calm (${f.calm.requests} requests) | ${ms(f.calm.p50)} / ${ms(f.calm.p99)} |`,
    `| teamB p50 / p99 during ${f.faulty.faults} faults (${f.faulty.requests} requests) | ${ms(f.faulty.p50)} / ${ms(f.faulty.p99)} |`,
    `| teamB requests failed (calm, faults) | ${f.calm.failed}, ${f.faulty.failed} |`,
    '',
    `Targets: no teamB request fails, the stuck call answers within its budget plus 1 s: **${isolationTargetsPassed(f) ? 'PASS' : 'FAIL'}**.`,
    '',
  ].join('\n');
}
