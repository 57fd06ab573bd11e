/** What one run measured, as the targets and the report read it. */
import type { DatasourceWrites } from './datasource-writes.js';
import type { CaseFigures, CaseKind } from './measure.js';
import type { ServerKey } from './servers.js';
import type { SystemInfo } from './system-info.js';
import type { BenchConfig } from './config.js';

export interface BenchResults {
  config: BenchConfig;
  system: SystemInfo;
  cases: Map<ServerKey, Map<CaseKind, CaseFigures>>;
  /** Servers or cases that could not be measured, and why. */
  failures: Map<string, string>;
  datasource: DatasourceWrites;
  /** Rounds run again because other processes disturbed them. */
  reruns: number;
}

export function resultOf(results: BenchResults, server: ServerKey, kind: CaseKind): CaseFigures | undefined {
  return results.cases.get(server)?.get(kind);
}

/** req/s of `server` over req/s of the node:http ceiling on the same case. */
export function ratioToCeiling(results: BenchResults, server: ServerKey, kind: CaseKind): number | undefined {
  const own = resultOf(results, server, kind);
  const ceiling = resultOf(results, 'nodeHttp', kind);
  return own && ceiling ? own.requestsPerSecond / ceiling.requestsPerSecond : undefined;
}

/** The same ratio by CPU cost: ceiling's CPU µs per request over this server's (1 = as cheap as node:http). */
export function cpuRatioToCeiling(results: BenchResults, server: ServerKey, kind: CaseKind): number | undefined {
  const own = resultOf(results, server, kind)?.cpuMicrosPerRequest;
  const ceiling = resultOf(results, 'nodeHttp', kind)?.cpuMicrosPerRequest;
  return own && ceiling ? ceiling / own : undefined;
}
