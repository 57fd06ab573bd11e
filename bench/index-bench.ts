/**
 * Indexed pages on the embedded datasources: over 100,000 records, a filtered,
 * sorted page (a range on an indexed field, sorted by it, limit 20) against the
 * unfiltered first page, on memory and on file; the same filter on a field
 * without an index is shown beside them. One host (the real server, pinned to
 * the server core) serves both models from a hand-written remote; the memory
 * model is seeded through its POST route, the file model's log is written
 * before the host starts (the host replays it and builds the index at open).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeHeaderLine, encodePutLine } from '../src/adapters/persistence/file/log-codec.js';
import { containerSource } from '../test/support/fixture-remotes.js';
import { tempDir } from './cleanup.js';
import { processCpuSeconds } from './cpu-usage.js';
import type { BenchConfig } from './config.js';
import { createAgent, requestJson } from './http-json.js';
import { hostScript } from './paths.js';
import { startServer, type ServerProcess } from './server-process.js';
import { errorCount, runWrk, type WrkResult } from './wrk.js';
import type { WrkScripts } from './wrk-scripts.js';

/** The floor: the filtered, sorted page at least this fraction of the unfiltered first page's req/s. */
export const INDEXED_PAGE_FLOOR = 0.5;
const DEFAULT_RECORDS = 100_000;
const SEED_WORKERS = 32;
const SEED_TIMEOUT_MS = 300_000;
/** Scores run from 0 to SCORE_RANGE - 1; the filter keeps the middle half. */
const SCORE_RANGE = 1_000_000;

const MODELS = [
  { datasource: 'memory', name: 'reading', endpoint: 'readings' },
  { datasource: 'file', name: 'sample', endpoint: 'samples' },
] as const;

type Variant = 'unfiltered' | 'indexed' | 'unindexed';
const VARIANTS: Variant[] = ['unfiltered', 'indexed', 'unindexed'];

/** Query strings of the three pages (brackets percent-encoded for wrk's URL parser). */
const QUERIES: Record<Variant, string> = {
  unfiltered: 'limit=20',
  indexed: `score%5B%24gte%5D=${SCORE_RANGE / 4}&score%5B%24lt%5D=${(3 * SCORE_RANGE) / 4}&sort=-score&limit=20`,
  unindexed: `weight%5B%24gte%5D=${SCORE_RANGE / 4}&weight%5B%24lt%5D=${(3 * SCORE_RANGE) / 4}&sort=-weight&limit=20`,
};

export interface IndexRow {
  datasource: string;
  results: Record<Variant, WrkResult>;
  /** Server CPU time per request over all rounds: steadier than req/s on a shared machine. */
  cpuMicros: Record<Variant, number | undefined>;
  /** Indexed page req/s over unfiltered page req/s. */
  ratio: number;
}

export interface IndexFigures {
  records: number;
  seconds: number;
  connections: number;
  rows: IndexRow[];
  errors: number;
  /** How long the host took to start with the file model's log to replay (and index). */
  startSeconds: number;
  seedSeconds: number;
}

/** BENCH_INDEX_RECORDS, default 100,000 (a smaller count for a quick check). */
export function indexBenchRecords(): number {
  const raw = process.env['BENCH_INDEX_RECORDS'];
  const value = raw === undefined || raw.trim() === '' ? DEFAULT_RECORDS : Number(raw);
  if (!Number.isInteger(value) || value < 100) throw new Error(`BENCH_INDEX_RECORDS must be a whole number ≥ 100, got "${raw}"`);
  return value;
}

/** Deterministic scores, so every run measures the same data. */
function scores(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * SCORE_RANGE);
  };
}

function modelSource(model: (typeof MODELS)[number]): string {
  // `score` is indexed; `weight` holds the same values without an index.
  const spec = {
    modelName: model.name,
    endpoint: model.endpoint,
    datasource: { adapter: model.datasource, indexes: [{ fields: { score: 1 } }] },
    fields: { score: { type: 'integer' }, weight: { type: 'integer' }, sensor: { type: 'string' } },
  };
  return `${JSON.stringify(spec).slice(0, -1)}, factory: () => (x) => ({ ...x }) }`;
}

/** The file model's log, as a host that had created them would have written it. */
async function writeFileLog(dataDir: string, collection: string, records: number): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const next = scores(2);
  const lines = [encodeHeaderLine(records)];
  const created = Date.UTC(2025, 0, 1);
  for (let i = 0; i < records; i++) {
    const time = new Date(created + i).toISOString();
    const score = next();
    const record = { id: randomUUID(), createdAt: time, updatedAt: time, revision: 1, score, weight: score, sensor: `s${i % 16}` };
    lines.push(encodePutLine(i + 1, JSON.stringify(record)));
  }
  await writeFile(path.join(dataDir, `${collection}.log`), lines.join(''));
}

async function seedOverHttp(baseUrl: string, records: number): Promise<void> {
  const agent = createAgent(SEED_WORKERS);
  const next = scores(1);
  const deadline = Date.now() + SEED_TIMEOUT_MS;
  let sent = 0;
  const worker = async () => {
    // Bounded by the count and by the deadline.
    while (sent < records) {
      if (Date.now() > deadline) throw new Error(`seeding took over ${SEED_TIMEOUT_MS} ms (${sent}/${records})`);
      const i = sent++;
      const score = next();
      const res = await requestJson(baseUrl, { method: 'POST', body: { score, weight: score, sensor: `s${i % 16}` }, agent });
      if (res.status !== 201) throw new Error(`seeding ${baseUrl}: POST answered ${res.status} ${JSON.stringify(res.body)}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: SEED_WORKERS }, worker));
  } finally {
    agent.destroy();
  }
}

/** The three pages must answer 200 with 20 records, the filtered ones in the right order and range. */
async function checkPages(baseUrl: string): Promise<void> {
  for (const variant of VARIANTS) {
    const res = await requestJson(`${baseUrl}?${QUERIES[variant]}`);
    const data = (res.body as { data?: { score: number }[] } | undefined)?.data;
    if (res.status !== 200 || !Array.isArray(data) || data.length !== 20) throw new Error(`${variant} page of ${baseUrl} answered ${res.status}`);
    if (variant === 'unfiltered') continue;
    const inRange = data.every((r, i) => r.score >= SCORE_RANGE / 4 && r.score < (3 * SCORE_RANGE) / 4 && (i === 0 || (data[i - 1] as { score: number }).score >= r.score));
    if (!inRange) throw new Error(`${variant} page of ${baseUrl} is not the highest scores of the range`);
  }
}

const medianOf = (results: WrkResult[]): WrkResult => [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(results.length / 2)] as WrkResult;

export async function measureIndexedPages(config: BenchConfig, scripts: WrkScripts, log: (line: string) => void): Promise<IndexFigures> {
  const records = indexBenchRecords();
  const workDir = await tempDir('indexes');
  const dataDir = path.join(workDir, 'data');
  const remoteDir = path.join(workDir, 'kit');
  await mkdir(remoteDir, { recursive: true });
  await writeFile(path.join(remoteDir, 'remoteEntry.js'), containerSource(`[${MODELS.map(modelSource).join(', ')}]`));
  const entries = path.join(workDir, 'remoteEntries.js');
  await writeFile(entries, `export default ${JSON.stringify([{ name: 'kit', kind: 'local', path: remoteDir }])};\n`);
  await writeFileLog(dataDir, 'sample', records);

  let server: ServerProcess | undefined;
  try {
    const started = Date.now();
    server = await startServer({
      label: 'microlib host (indexes)',
      script: hostScript,
      cpu: config.serverCpu,
      cwd: workDir,
      env: { REMOTE_ENTRIES: entries, DATA_DIR: dataDir, REMOTE_CACHE_DIR: path.join(workDir, 'cache'), LOG_LEVEL: 'info' },
      startTimeoutMs: 120_000,
    });
    const startSeconds = (Date.now() - started) / 1000;
    const api = `${server.url}/microlib/api/models`;
    // The file model opens with the first request that needs it; this one also checks its records are all there.
    const counted = await requestJson(`${api}/samples?limit=1&count`);
    if ((counted.body as { total?: number } | undefined)?.total !== records) throw new Error(`the file model holds ${JSON.stringify(counted.body)}, not ${records} records`);
    const seedStart = Date.now();
    await seedOverHttp(`${api}/readings`, records);
    const seedSeconds = (Date.now() - seedStart) / 1000;
    log(`  ${records} records on memory (seeded in ${seedSeconds.toFixed(1)} s) and on file (host up in ${startSeconds.toFixed(1)} s)`);

    const roundSeconds = Math.max(1, Math.round(config.seconds / config.rounds));
    const rows: IndexRow[] = [];
    let errors = 0;
    for (const model of MODELS) {
      const base = `${api}/${model.endpoint}`;
      await checkPages(base);
      const pid = (server as ServerProcess).pid;
      const cpu = { unfiltered: { seconds: 0, requests: 0 }, indexed: { seconds: 0, requests: 0 }, unindexed: { seconds: 0, requests: 0 } };
      const wrk = async (variant: Variant, seconds: number, measured: boolean) => {
        const before = processCpuSeconds(pid);
        const result = await runWrk({ url: `${base}?${QUERIES[variant]}`, script: scripts.plain, seconds, connections: config.connections, cpu: config.clientCpu });
        const after = processCpuSeconds(pid);
        if (measured && before !== undefined && after !== undefined) {
          cpu[variant].seconds += after - before;
          cpu[variant].requests += result.requests;
        }
        return result;
      };
      for (const variant of VARIANTS) await wrk(variant, config.warmupSeconds, false);
      const rounds: Record<Variant, WrkResult[]> = { unfiltered: [], indexed: [], unindexed: [] };
      for (let round = 0; round < config.rounds; round++) {
        for (const variant of VARIANTS) rounds[variant].push(await wrk(variant, roundSeconds, true));
      }
      for (const result of Object.values(rounds).flat()) errors += errorCount(result);
      const results = { unfiltered: medianOf(rounds.unfiltered), indexed: medianOf(rounds.indexed), unindexed: medianOf(rounds.unindexed) };
      const perRequest = (variant: Variant) => (cpu[variant].requests > 0 ? (cpu[variant].seconds * 1e6) / cpu[variant].requests : undefined);
      const cpuMicros = { unfiltered: perRequest('unfiltered'), indexed: perRequest('indexed'), unindexed: perRequest('unindexed') };
      const ratio = results.indexed.requestsPerSecond / results.unfiltered.requestsPerSecond;
      rows.push({ datasource: model.datasource, results, cpuMicros, ratio });
      log(
        `  ${model.datasource}: unfiltered ${results.unfiltered.requestsPerSecond.toFixed(0)} req/s, indexed range ${results.indexed.requestsPerSecond.toFixed(0)} req/s ` +
          `(${ratio.toFixed(2)}×; by CPU cost ${cpuRatio(row(rows))}), same range without an index ${results.unindexed.requestsPerSecond.toFixed(0)} req/s`,
      );
    }
    return { records, seconds: roundSeconds * config.rounds, connections: config.connections, rows, errors, startSeconds, seedSeconds };
  } finally {
    await server?.stop();
  }
}

export function indexTargetsPassed(f: IndexFigures): boolean {
  return f.errors === 0 && f.rows.length === MODELS.length && f.rows.every((row) => row.ratio >= INDEXED_PAGE_FLOOR);
}

const rate = (value: number) => Math.round(value).toLocaleString('en-US');
const row = (rows: IndexRow[]) => rows[rows.length - 1] as IndexRow;

/** The unfiltered page's CPU cost per request over the indexed page's, as a ratio like req/s. */
function cpuRatio(r: IndexRow): string {
  const { unfiltered, indexed } = r.cpuMicros;
  return unfiltered !== undefined && indexed !== undefined && indexed > 0 ? `${(unfiltered / indexed).toFixed(2)}×` : '?';
}

export function renderIndexSection(f: IndexFigures): string {
  const rows = f.rows.flatMap((row) =>
    VARIANTS.map((variant) => {
      const r = row.results[variant];
      const times = (r.requestsPerSecond / row.results.unfiltered.requestsPerSecond).toFixed(2);
      const label = variant === 'unfiltered' ? 'first page, no filter' : variant === 'indexed' ? 'range on `score` (indexed), sorted by it' : 'the same on `weight` (no index)';
      return `| ${row.datasource} | ${label} | **${rate(r.requestsPerSecond)}** | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms | ${times}× | ${row.cpuMicros[variant]?.toFixed(1) ?? '?'} |`;
    }),
  );
  return [
    '## Indexed pages on the embedded datasources',
    '',
    `${f.records.toLocaleString('en-US')} records per model (\`BENCH_INDEX_RECORDS\`), one host pinned to the server core serving a \`memory\` and a \`file\` model that declare \`indexes: [{ fields: { score: 1 } }]\` ` +
      `(bench/index-bench.ts). Pages of 20: the first page without a filter (\`?limit=20\`), a range on the indexed field sorted by it ` +
      `(\`?score[$gte]=250000&score[$lt]=750000&sort=-score&limit=20\`, half the records in range), and the same range on \`weight\`, which holds the same values without an index. ` +
      `wrk -t1 -c${f.connections} on the client core, ${f.seconds} s per page in rounds taking turns (after a warm-up); each figure is the median round. ` +
      `The file model's log was written before the host started: the host replayed it and built the index in ${f.startSeconds.toFixed(1)} s (start included); the memory model was seeded through POST in ${f.seedSeconds.toFixed(1)} s.`,
    '',
    '| datasource | page | req/s | p50 | p99 | × first page | server CPU µs/req |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    ...f.rows.map(
      (row) =>
        `- Target: the indexed, filtered, sorted page ≥ ${INDEXED_PAGE_FLOOR}× the unfiltered first page on ${row.datasource} (req/s): ${row.ratio.toFixed(3)}× ` +
        `(by CPU cost: ${cpuRatio(row)}) **${row.ratio >= INDEXED_PAGE_FLOOR && f.errors === 0 ? 'PASS' : 'FAIL'}**`,
    ),
    '',
    'The machine is shared: req/s moves by tens of percent between rounds when other processes run; the server\'s CPU time per request (from /proc) barely does, so its ratio is the steadier comparison.',
    '',
    `Errors (non-2xx, socket errors, timeouts) in all runs: ${f.errors}.`,
    '',
  ].join('\n');
}
