/**
 * Figures of the host as a Lambda function (microlib/serverless): a section of
 * `npm run bench`, or alone with `node dist/bench/serverless-bench.js`.
 *
 * - Cold start: a folder written by `microlib bundle` (example remote, its
 *   snapshot inside), then a new process started in it imports its `index.mjs`
 *   (the bundled host) and answers its first event (HTTP API v2, GET
 *   /customers?limit=1, memory datasource), measured from the spawn (parent's
 *   clock) and from the child's own process start; the idle process's memory after it.
 * - Warm overhead: per invocation, the handler (event → request, the deadline,
 *   answer → result) against `host.inject` of the same request, in one process,
 *   alternating in rounds. Bounded in count and time; nothing leaves 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLambdaHandler } from '../src/serverless/index.js';
import { writeBundle } from '../src/serverless/bundle.js';
import { benchDist, exampleRemoteDist } from './paths.js';

const COLD_TRIALS = 5;
const COLD_TIMEOUT_MS = 60_000;
const WARM_ROUNDS = 20;
const WARM_CALLS_PER_ROUND = 200;
const WARM_BUDGET_MS = 30_000;

interface ColdStart {
  isolation: string;
  /** Spawn to the child's first line (printed on its answer), parent's clock. */
  spawnToAnswerMs: number;
  /** The child's process start to its first answer. */
  processToAnswerMs: number;
  rssMb: number;
  heapUsedMb: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** A deployable folder, as a user makes one: `microlib bundle` over the example remote. */
async function functionFolder(dir: string): Promise<string> {
  const entries = path.join(dir, 'entries.js');
  await writeFile(entries, `export default ${JSON.stringify([{ name: 'orderService', kind: 'local', path: exampleRemoteDist }])};\n`);
  const bundle = path.join(dir, 'bundle');
  await writeBundle(bundle, { cwd: dir, env: { REMOTE_ENTRIES: entries, REMOTE_CACHE_DIR: path.join(dir, 'bundler-cache'), DATA_DIR: path.join(dir, 'bundler-data') } });
  return bundle;
}

/** The function's settings; `state` is its writable temp dir (empty on a cold start, as a new instance's is). */
function functionEnv(state: string, isolation: string): Record<string, string> {
  return {
    REMOTE_ENTRIES: 'remoteEntries.js',
    DATA_DIR: path.join(state, 'data'),
    REMOTE_CACHE_DIR: path.join(state, 'cache'),
    DATASOURCE_ADAPTER: 'memory',
    // As docs/serverless.md asks of a function (the example has sensitive fields); bench values, not secrets.
    ENCRYPTION_PWD: 'serverless-bench-password',
    ENCRYPTION_SALT: '5e1f0b2c9a8d7e6f5a4b3c2d1e0f9a8b',
    REMOTE_ISOLATION: isolation,
    LOG_LEVEL: 'warn',
  };
}

async function coldStart(dir: string, isolation: string): Promise<ColdStart> {
  const state = await mkdtemp(path.join(os.tmpdir(), 'microlib-cold-state-'));
  try {
    return await coldStartIn(dir, state, isolation);
  } finally {
    await rm(state, { recursive: true, force: true });
  }
}

async function coldStartIn(dir: string, state: string, isolation: string): Promise<ColdStart> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, ['--expose-gc', path.join(benchDist, 'serverless-cold-child.js')], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '', ...functionEnv(state, isolation) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let answeredAt: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    // The host's own log lines (JSON too) go to stdout as well: the answer is the line naming answeredMs.
    if (answeredAt === undefined && stdout.includes('"answeredMs"')) answeredAt = performance.now();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), COLD_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const answerLine = stdout.split('\n').find((text) => text.includes('"answeredMs"'));
  const memoryLine = stdout.split('\n').find((text) => text.includes('"rssMb"'));
  if (code !== 0 || !answerLine || !memoryLine) throw new Error(`cold start child failed (exit ${code}): ${stderr.slice(0, 2_000)}${stdout.slice(0, 2_000)}`);
  const answer = JSON.parse(answerLine) as { status: number; answeredMs: number };
  const memory = JSON.parse(memoryLine) as { rssMb: number; heapUsedMb: number };
  if (answer.status !== 200) throw new Error(`cold start answered ${answer.status}`);
  return { isolation, spawnToAnswerMs: answeredAt! - spawnedAt, processToAnswerMs: answer.answeredMs, ...memory };
}

interface WarmFigures {
  calls: number;
  handlerMicros: number;
  injectMicros: number;
}

async function warmOverhead(dir: string): Promise<WarmFigures> {
  const handler = createLambdaHandler({ env: functionEnv(path.join(dir, '..', 'warm-state'), 'thread'), cwd: dir });
  try {
    const host = await handler.host();
    const created = await host.inject({ method: 'POST', url: '/microlib/api/models/customers', body: { firstName: 'Warm', lastName: 'Bench', email: 'warm@example.com' } });
    const { id } = created.json<{ id: string }>();
    const url = `/microlib/api/models/customers/${id}`;
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: url,
      rawQueryString: '',
      headers: { host: 'bench.example', accept: 'application/json' },
      requestContext: { stage: '$default', requestId: 'warm', http: { method: 'GET', path: url, sourceIp: '127.0.0.1' } },
      isBase64Encoded: false,
    };
    const context = { awsRequestId: 'warm', getRemainingTimeInMillis: () => 30_000 };
    const viaHandler: number[] = [];
    const viaInject: number[] = [];
    const deadline = Date.now() + WARM_BUDGET_MS;
    let calls = 0;
    for (let r = 0; r < WARM_ROUNDS && Date.now() < deadline; r++) {
      // Alternate which goes first, so drift on a shared machine falls on both.
      const order = r % 2 === 0 ? (['handler', 'inject'] as const) : (['inject', 'handler'] as const);
      for (const which of order) {
        const started = performance.now();
        for (let i = 0; i < WARM_CALLS_PER_ROUND; i++) {
          if (which === 'handler') await handler(event, context);
          else await host.inject({ url, headers: { host: 'bench.example', accept: 'application/json' } });
        }
        const perCallMicros = ((performance.now() - started) * 1_000) / WARM_CALLS_PER_ROUND;
        (which === 'handler' ? viaHandler : viaInject).push(perCallMicros);
      }
      calls += 2 * WARM_CALLS_PER_ROUND;
    }
    return { calls, handlerMicros: median(viaHandler.slice(1)), injectMicros: median(viaInject.slice(1)) };
  } finally {
    await handler.stop();
  }
}

export interface ServerlessFigures {
  cold: ColdStart[];
  warm: WarmFigures;
}

/** The target: process start → first answer with the example remote, thread isolation. */
export const COLD_START_TARGET_MS = 500;

const coldMedian = (f: ServerlessFigures, isolation: string) => median(f.cold.filter((t) => t.isolation === isolation).map((t) => t.processToAnswerMs));

export async function measureServerless(log: (line: string) => void): Promise<ServerlessFigures> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'microlib-serverless-bench-'));
  try {
    const dir = await functionFolder(work);
    log(`  bundle written: ${dir}`);
    const cold: ColdStart[] = [];
    for (const isolation of ['thread', 'none']) {
      for (let trial = 0; trial < COLD_TRIALS; trial++) cold.push(await coldStart(dir, isolation));
      log(`  cold start, isolation ${isolation}: ${COLD_TRIALS} trials`);
    }
    const warm = await warmOverhead(dir);
    log(`  warm overhead: ${warm.calls} calls`);
    return { cold, warm };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export function serverlessTargetsPassed(f: ServerlessFigures): boolean {
  return coldMedian(f, 'thread') < COLD_START_TARGET_MS;
}

export function renderServerlessSection(f: ServerlessFigures): string {
  const { cold, warm } = f;
  const rows = ['thread', 'none'].map((isolation) => {
    const trials = cold.filter((figures) => figures.isolation === isolation);
    return `| ${isolation} | ${round(median(trials.map((t) => t.processToAnswerMs)), 0)} | ${round(median(trials.map((t) => t.spawnToAnswerMs)), 0)} | ${round(median(trials.map((t) => t.rssMb)))} | ${round(median(trials.map((t) => t.heapUsedMb)))} |`;
  });
  const thread = coldMedian(f, 'thread');
  return [
    '## Serverless (Lambda handler)',
    '',
    `Cold start: a new process, started in a folder written by \`microlib bundle\` (example remote), imports its \`index.mjs\` (the bundled host) and answers one HTTP API v2 event (GET /customers?limit=1; memory datasource, ENCRYPTION_PWD and ENCRYPTION_SALT set). Median of ${COLD_TRIALS}; memory of the idle process 1 s after the answer.`,
    '',
    '| REMOTE_ISOLATION | process start → first answer (ms) | spawn → first answer (ms) | idle RSS (MB) | idle heap used (MB) |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `Warm: GET /customers/:id per invocation, median of ${WARM_ROUNDS - 1} rounds of ${WARM_CALLS_PER_ROUND} (${warm.calls} calls in all).`,
    '',
    '| path | µs per call |',
    '|---|---|',
    `| \`host.inject\` | ${round(warm.injectMicros, 0)} |`,
    `| Lambda handler (event → request, deadline, answer → result) | ${round(warm.handlerMicros, 0)} |`,
    `| handler overhead | ${round(warm.handlerMicros - warm.injectMicros, 0)} |`,
    '',
    '| target | measured | result |',
    '|---|---|---|',
    `| cold start (thread isolation) < ${COLD_START_TARGET_MS} ms | ${round(thread, 0)} ms | **${thread < COLD_START_TARGET_MS ? 'PASS' : 'FAIL'}** |`,
    '',
  ].join('\n');
}
