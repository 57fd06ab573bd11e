/**
 * The targets of the brief, judged on one run. A target whose runs had any
 * error (non-2xx, socket error, timeout) fails whatever its throughput.
 */
import { ratioToCeiling, resultOf, type BenchResults } from './results.js';
import type { CaseKind } from './measure.js';
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
export const CEILING_FLOOR = 0.6;
export const FILE_WRITES_FLOOR = 5000;

function errorsIn(results: BenchResults, runs: Array<[ServerKey, CaseKind]>): string | undefined {
  const bad = runs.filter(([server, kind]) => {
    const result = resultOf(results, server, kind);
    return result !== undefined && errorCount(result) > 0;
  });
  return bad.length ? `errors in ${bad.map(([s, k]) => `${s} ${k}`).join(', ')}` : undefined;
}

function judge(target: string, value: number | undefined, floor: number, format: (v: number) => string, results: BenchResults, runs: Array<[ServerKey, CaseKind]>): TargetOutcome {
  if (value === undefined) return { target, measured: 'not measured', pass: false, note: 'a run is missing; see the failures above' };
  const errors = errorsIn(results, runs);
  return { target, measured: format(value), pass: value >= floor && !errors, ...(errors ? { note: errors } : {}) };
}

const times = (v: number) => `${v.toFixed(2)}×`;

export function evaluateTargets(results: BenchResults): TargetOutcome[] {
  const fileWrites = resultOf(results, 'microlibFile', 'post');
  // Acknowledged writes only: a refused POST is not a durable write.
  const acknowledged = fileWrites ? (fileWrites.requests - fileWrites.non2xx) / fileWrites.seconds : undefined;
  const fileGet = resultOf(results, 'microlibFile', 'get');
  const memoryGet = resultOf(results, 'microlib', 'get');

  const outcomes = [
    judge(`generated GET /:id ≥ ${CEILING_FLOOR}× node:http`, ratioToCeiling(results, 'microlib', 'get'), CEILING_FLOOR, times, results, [['microlib', 'get'], ['nodeHttp', 'get']]),
    judge(`generated POST ≥ ${CEILING_FLOOR}× node:http`, ratioToCeiling(results, 'microlib', 'post'), CEILING_FLOOR, times, results, [['microlib', 'post'], ['nodeHttp', 'post']]),
    judge(`file datasource: acknowledged (201) writes ≥ ${FILE_WRITES_FLOOR}/s`, acknowledged, FILE_WRITES_FLOOR, (v) => `${Math.round(v)}/s`, results, [['microlibFile', 'post']]),
    judge(
      `file datasource GET /:id costs the same as memory (≥ ${SAME_COST_FLOOR}× its req/s)`,
      fileGet && memoryGet ? fileGet.requestsPerSecond / memoryGet.requestsPerSecond : undefined,
      SAME_COST_FLOOR,
      times,
      results,
      [['microlibFile', 'get'], ['microlib', 'get']],
    ),
  ];
  const all: Array<[ServerKey, CaseKind]> = [...results.cases].flatMap(([server, kinds]) => [...kinds.keys()].map((kind): [ServerKey, CaseKind] => [server, kind]));
  const errors = errorsIn(results, all);
  const missing = results.failures.size > 0 ? `not measured: ${[...results.failures.keys()].join(', ')}` : undefined;
  outcomes.push({
    target: 'every run free of errors (non-2xx, socket errors, timeouts)',
    measured: errors || missing ? [errors, missing].filter(Boolean).join('; ') : 'none',
    pass: !errors && !missing,
  });
  return outcomes;
}
