/**
 * The targets of the brief, judged on one run's req/s. A target whose runs had
 * any error (non-2xx, socket error, timeout) fails whatever its throughput.
 * The CPU-cost ratio is shown beside each ratio: on this shared machine it is
 * the steadier figure, and tells a real gap from a disturbed run.
 */
import { DISTURBED_LOAD, percent, type CaseKind } from './measure.js';
import { cpuRatioToCeiling, ratioToCeiling, resultOf, type BenchResults } from './results.js';
import type { ServerKey } from './servers.js';
import { errorCount } from './wrk.js';

export interface TargetOutcome {
  target: string;
  measured: string;
  pass: boolean;
  note?: string;
}

/** Same cost within measurement noise: file reads at least this fraction of memory reads. */
export const SAME_COST_FLOOR = 0.9;
/** The data-plane issue's floors against node:http: reads with no model code, and POST with the model in the host. */
export const CEILING_FLOOR = 0.75;
export const LIST_CEILING_FLOOR = 0.9;
/** The isolation issue's floor for a POST whose factory runs in the remote's worker. */
export const ISOLATED_POST_FLOOR = 0.5;
export const FILE_WRITES_FLOOR = 5000;

type Run = [ServerKey, CaseKind];

/** Why the runs behind a target cannot be trusted or must fail, if they cannot. */
function notes(results: BenchResults, runs: Run[]): { errors?: string; disturbed?: string } {
  const label = ([server, kind]: Run) => `${server} ${kind}`;
  const withErrors = runs.filter((run) => errorCount(resultOf(results, ...run) ?? { non2xx: 0, socketErrors: 0, timeouts: 0 }) > 0);
  const disturbed = runs.filter((run) => (resultOf(results, ...run)?.otherLoad ?? 0) > DISTURBED_LOAD);
  return {
    ...(withErrors.length ? { errors: `errors in ${withErrors.map(label).join(', ')}` } : {}),
    ...(disturbed.length ? { disturbed: `other processes loaded the machine during ${disturbed.map((r) => `${label(r)} (${percent(resultOf(results, ...r)?.otherLoad)})`).join(', ')}` } : {}),
  };
}

function judge(target: string, value: number | undefined, floor: number, measured: (v: number) => string, results: BenchResults, runs: Run[]): TargetOutcome {
  if (value === undefined) return { target, measured: 'not measured', pass: false, note: 'a run is missing; see "Not measured" above' };
  const { errors, disturbed } = notes(results, runs);
  const note = [errors, disturbed].filter(Boolean).join('; ');
  return { target, measured: measured(value), pass: value >= floor && !errors, ...(note ? { note } : {}) };
}

const times = (v: number | undefined) => (v === undefined ? '?' : `${v.toFixed(2)}×`);

export function evaluateTargets(results: BenchResults): TargetOutcome[] {
  const fileWrites = resultOf(results, 'microlibFile', 'post');
  // Acknowledged writes only: a refused POST is not a durable write.
  const acknowledged = fileWrites && fileWrites.requests > 0 ? (fileWrites.requestsPerSecond * (fileWrites.requests - fileWrites.non2xx)) / fileWrites.requests : undefined;
  const fileGet = resultOf(results, 'microlibFile', 'get');
  const memoryGet = resultOf(results, 'microlib', 'get');
  const fileOverMemoryCpu = fileGet?.cpuMicrosPerRequest && memoryGet?.cpuMicrosPerRequest ? memoryGet.cpuMicrosPerRequest / fileGet.cpuMicrosPerRequest : undefined;

  const outcomes = [
    judge(
      `generated GET /:id (thread isolation: no model code on the path) ≥ ${CEILING_FLOOR}× node:http (req/s)`,
      ratioToCeiling(results, 'microlib', 'get'),
      CEILING_FLOOR,
      (v) => `${times(v)} (by CPU cost: ${times(cpuRatioToCeiling(results, 'microlib', 'get'))})`,
      results,
      [['microlib', 'get'], ['nodeHttp', 'get']],
    ),
    judge(
      `generated list of 20 (thread isolation) ≥ ${LIST_CEILING_FLOOR}× node:http (req/s)`,
      ratioToCeiling(results, 'microlib', 'list'),
      LIST_CEILING_FLOOR,
      (v) => `${times(v)} (by CPU cost: ${times(cpuRatioToCeiling(results, 'microlib', 'list'))})`,
      results,
      [['microlib', 'list'], ['nodeHttp', 'list']],
    ),
    judge(
      `generated POST, factory in a worker thread, ≥ ${ISOLATED_POST_FLOOR}× node:http (req/s)`,
      ratioToCeiling(results, 'microlib', 'post'),
      ISOLATED_POST_FLOOR,
      (v) => `${times(v)} (by CPU cost: ${times(cpuRatioToCeiling(results, 'microlib', 'post'))})`,
      results,
      [['microlib', 'post'], ['nodeHttp', 'post']],
    ),
    judge(
      `generated POST, isolation none, ≥ ${CEILING_FLOOR}× node:http (req/s)`,
      ratioToCeiling(results, 'microlibNone', 'post'),
      CEILING_FLOOR,
      (v) => `${times(v)} (by CPU cost: ${times(cpuRatioToCeiling(results, 'microlibNone', 'post'))})`,
      results,
      [['microlibNone', 'post'], ['nodeHttp', 'post']],
    ),
    judge(
      `file datasource: acknowledged (201) writes ≥ ${FILE_WRITES_FLOOR.toLocaleString('en-US')}/s over HTTP`,
      acknowledged,
      FILE_WRITES_FLOOR,
      (v) => `${Math.round(v).toLocaleString('en-US')}/s`,
      results,
      [['microlibFile', 'post']],
    ),
    judge(
      `file datasource GET /:id costs the same as memory (≥ ${SAME_COST_FLOOR}× its req/s)`,
      fileGet && memoryGet ? fileGet.requestsPerSecond / memoryGet.requestsPerSecond : undefined,
      SAME_COST_FLOOR,
      (v) => `${times(v)} (by CPU cost: ${times(fileOverMemoryCpu)})`,
      results,
      [['microlibFile', 'get'], ['microlib', 'get']],
    ),
  ];
  // Whether we beat a hand-written Fastify route on the same case: the comparison users make.
  for (const [server, kind, what] of [['microlib', 'get', 'GET /:id (thread)'], ['microlib', 'list', 'list of 20 (thread)'], ['microlibNone', 'post', 'POST (isolation none)']] as const) {
    const own = resultOf(results, server, kind);
    const fastify = resultOf(results, 'fastify', kind);
    outcomes.push(
      judge(
        `generated ${what} ≥ hand-written Fastify 5 (req/s)`,
        own && fastify ? own.requestsPerSecond / fastify.requestsPerSecond : undefined,
        1,
        (v) => `${times(v)} of Fastify (by CPU cost: ${times(own?.cpuMicrosPerRequest && fastify?.cpuMicrosPerRequest ? fastify.cpuMicrosPerRequest / own.cpuMicrosPerRequest : undefined)})`,
        results,
        [[server, kind], ['fastify', kind]],
      ),
    );
  }
  const all: Run[] = [...results.cases].flatMap(([server, kinds]) => [...kinds.keys()].map((kind): Run => [server, kind]));
  const { errors } = notes(results, all);
  const missing = results.failures.size > 0 ? `not measured: ${[...results.failures.keys()].join(', ')}` : undefined;
  outcomes.push({
    target: 'every run free of errors (non-2xx, socket errors, timeouts)',
    measured: errors || missing ? [errors, missing].filter(Boolean).join('; ') : 'none',
    pass: !errors && !missing,
  });
  return outcomes;
}
