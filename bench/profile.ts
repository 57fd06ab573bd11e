/**
 * `node dist/bench/profile.js` (after `npm run build`): where the CPU time of
 * the generated GET /:id and POST goes, next to the node:http baseline. Each
 * server runs under `node --cpu-prof` with the bench's wrk load; only the
 * samples of the measured window count, so seeding and warm-up do not blur it.
 *
 * PROFILE_SECONDS (default 8), PROFILE_CASES (default get,post; list also known),
 * PROFILE_ISOLATION (none, thread or process; default the host's), PROFILE_OUT (also write the markdown there),
 * PROFILE_KEEP_DIR (copy the .cpuprofile files there, for Chrome DevTools).
 */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cleanupAll, cleanupOnSignals, cleanupStarted, tempDir } from './cleanup.js';
import { readBenchConfig } from './config.js';
import { summariseProfile, type Entry, type ProfileSummary } from './cpuprofile-summary.js';
import { startHost } from './host-server.js';
import { CASE_LABELS, DISTURBED_LOAD, measuredRound, percent, wrkRun, type CaseKind, type Round } from './measure.js';
import { benchDist } from './paths.js';
import { prepareServer } from './prepare.js';
import { startServer, type ServerProcess } from './server-process.js';
import { findWrk, runWrk, WRK_INSTALL } from './wrk.js';
import { writeWrkScripts } from './wrk-scripts.js';

const config = readBenchConfig();
const seconds = Number(process.env.PROFILE_SECONDS ?? 8);
/** PROFILE_ISOLATION=none|thread|process: where the example remote's code runs (default: the host's default). */
const isolation = readIsolation(process.env.PROFILE_ISOLATION);

function readIsolation(value: string | undefined): 'none' | 'thread' | 'process' | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'none' || value === 'thread' || value === 'process') return value;
  throw new Error(`PROFILE_ISOLATION must be none, thread or process, not "${value}"`);
}
/** Finer than the 1 ms default, cheap enough not to change the picture. */
const PROFILE_FLAGS = ['--cpu-prof', '--cpu-prof-interval=250'];

interface Subject {
  key: 'microlib' | 'nodeHttp';
  label: string;
  start(flags: string[]): Promise<ServerProcess>;
}

const SUBJECTS: Subject[] = [
  { key: 'microlib', label: `microlib (memory, isolation ${isolation ?? 'default'})`, start: (flags) => startHost({ datasource: 'memory', cpu: config.serverCpu, nodeFlags: flags, ...(isolation ? { isolation } : {}) }) },
  {
    key: 'nodeHttp',
    label: 'node:http baseline',
    start: (flags) => startServer({ label: 'node:http baseline', script: path.join(benchDist, 'baseline-node-http.js'), cpu: config.serverCpu, env: {}, nodeFlags: flags }),
  },
];

interface Profiled {
  summary: ProfileSummary;
  requests: number;
  requestsPerSecond: number;
  /** Server CPU µs per request from /proc: the sampler counts wall time, this counts CPU. */
  cpuMicrosPerRequest: number | undefined;
  otherLoad: number | undefined;
}

/** A window disturbed by other processes is profiled again, this many times at most. */
const ATTEMPTS = 3;

/** PROFILE_CASES=get,list,post picks the cases (default get and post). */
function profiledCases(): CaseKind[] {
  const named = (process.env.PROFILE_CASES ?? 'get,post').split(',').map((name) => name.trim());
  for (const name of named) {
    if (!(name in CASE_LABELS)) throw new Error(`PROFILE_CASES: unknown case "${name}" (known: ${Object.keys(CASE_LABELS).join(', ')})`);
  }
  return named as CaseKind[];
}

const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

async function profileOne(subject: Subject, kind: CaseKind, scripts: Awaited<ReturnType<typeof writeWrkScripts>>): Promise<Profiled> {
  const dir = await tempDir(`profile-${subject.key}-${kind}`);
  const server = await subject.start([...PROFILE_FLAGS, `--cpu-prof-dir=${dir}`]);
  const prepared = await prepareServer(subject.key, subject.label, server, config.records, dir, (line) => console.error(line));
  await runWrk({ ...wrkRun(kind, prepared, scripts), connections: config.connections, cpu: config.clientCpu, seconds: config.warmupSeconds });
  // The V8 sampler counts wall time: time the server spent descheduled would land on whatever it was running.
  let window: { from: number; to: number; round: Round } | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const from = nowMicros();
    const round = await measuredRound(kind, prepared, seconds, { config, scripts, reruns: { left: 0 }, log: () => undefined });
    window = { from, to: nowMicros(), round };
    if ((round.otherLoad ?? 0) <= DISTURBED_LOAD) break;
    console.error(`  ${subject.label} ${kind}: other processes took ${percent(round.otherLoad)} of a bench core; profiling the window again`);
  }
  const { from, to, round } = window!;
  // The profile is written when the process exits.
  await server.stop(20_000);
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`${subject.label} wrote no .cpuprofile in ${dir}`);
  if (process.env.PROFILE_KEEP_DIR) {
    await mkdir(process.env.PROFILE_KEEP_DIR, { recursive: true });
    await copyFile(path.join(dir, file), path.join(process.env.PROFILE_KEEP_DIR, `${subject.key}-${kind}.cpuprofile`));
  }
  const summary = await summariseProfile(path.join(dir, file), from, to);
  const requests = round.result.requests;
  const cpuMicrosPerRequest = round.serverCpuSeconds === undefined ? undefined : (round.serverCpuSeconds * 1e6) / requests;
  return { summary, requests, requestsPerSecond: round.result.requestsPerSecond, cpuMicrosPerRequest, otherLoad: round.otherLoad };
}

const perRequest = (micros: number, requests: number) => (requests > 0 ? micros / requests : 0).toFixed(2);

function areaTable(mine: Profiled, base: Profiled): string[] {
  const names = [...new Set([...mine.summary.selfByArea, ...base.summary.selfByArea].map((e) => e.name))];
  const of = (p: Profiled, name: string) => p.summary.selfByArea.find((e) => e.name === name)?.micros ?? 0;
  names.sort((a, b) => of(mine, b) / mine.requests - of(mine, a) / mine.requests);
  return [
    '| area (self time) | microlib µs/req | node:http µs/req | difference |',
    '|---|---:|---:|---:|',
    ...names.map((name) => {
      const a = of(mine, name) / mine.requests;
      const b = of(base, name) / base.requests;
      return `| ${name} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(a - b >= 0 ? '+' : '') + (a - b).toFixed(2)} |`;
    }),
    `| **total CPU** | **${perRequest(mine.summary.busyMicros, mine.requests)}** | **${perRequest(base.summary.busyMicros, base.requests)}** | ` +
      `**+${((mine.summary.busyMicros / mine.requests) - (base.summary.busyMicros / base.requests)).toFixed(2)}** |`,
  ];
}

function entryTable(title: string, entries: Entry[], profiled: Profiled, count: number): string[] {
  return [
    `| ${title} | µs/req | share |`,
    '|---|---:|---:|',
    ...entries.slice(0, count).map((e) => `| \`${e.name}\` | ${perRequest(e.micros, profiled.requests)} | ${((100 * e.micros) / profiled.summary.busyMicros).toFixed(1)}% |`),
  ];
}

async function main(): Promise<number> {
  if (!findWrk()) {
    console.error(`profile: wrk is not installed. Install it with:\n\n  ${WRK_INSTALL}\n`);
    return 2;
  }
  const scripts = await writeWrkScripts(await tempDir('profile-wrk'));
  const out: string[] = [`# CPU profile of the generated routes (${new Date().toISOString()}, Node ${process.version})`, ''];
  out.push(`Under \`node --cpu-prof --cpu-prof-interval=250\`, ${config.records} seeded customers, wrk -t1 -c${config.connections}, ${seconds} s profiled window per case. Profiling slows both servers alike; compare µs per request, not req/s.`, '');
  for (const kind of profiledCases()) {
    if (cleanupStarted()) return 130;
    const mine = await profileOne(SUBJECTS[0]!, kind, scripts);
    const base = await profileOne(SUBJECTS[1]!, kind, scripts);
    out.push(`## ${CASE_LABELS[kind]}`, '');
    out.push(
      `Under the profiler: microlib ${Math.round(mine.requestsPerSecond)} req/s, ${mine.cpuMicrosPerRequest?.toFixed(1) ?? '?'} CPU µs/req (from /proc), other load ${percent(mine.otherLoad)}; ` +
        `node:http ${Math.round(base.requestsPerSecond)} req/s, ${base.cpuMicrosPerRequest?.toFixed(1) ?? '?'} CPU µs/req, other load ${percent(base.otherLoad)}.`,
      '',
    );
    out.push(...areaTable(mine, base), '');
    out.push('microlib, top self time:', '', ...entryTable('function', mine.summary.selfByFunction, mine, 20), '');
    out.push('microlib, own functions with everything they call (inclusive):', '', ...entryTable('function', mine.summary.inclusiveOwn, mine, Number(process.env.PROFILE_ROWS ?? 15)), '');
    out.push('node:http baseline, top self time:', '', ...entryTable('function', base.summary.selfByFunction, base, 12), '');
  }
  const text = out.join('\n');
  console.log(text);
  if (process.env.PROFILE_OUT) await writeFile(process.env.PROFILE_OUT, text);
  return 0;
}

cleanupOnSignals();
let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(`profile failed: ${(error as Error).stack ?? String(error)}`);
} finally {
  await cleanupAll();
}
process.exit(exitCode);
