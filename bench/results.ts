/** What one run measured, as the targets and the report read it. */
import type { DatasourceWrites } from './datasource-writes.js';
import type { CaseKind } from './measure.js';
import type { ServerKey } from './servers.js';
import type { SystemInfo } from './system-info.js';
import type { WrkResult } from './wrk.js';
import type { BenchConfig } from './config.js';

export interface BenchResults {
  config: BenchConfig;
  system: SystemInfo;
  cases: Map<ServerKey, Map<CaseKind, WrkResult>>;
  /** Servers that could not be measured, and why. */
  failures: Map<ServerKey, string>;
  datasource: DatasourceWrites;
}

export function resultOf(results: BenchResults, server: ServerKey, kind: CaseKind): WrkResult | undefined {
  return results.cases.get(server)?.get(kind);
}

/** req/s of `server` over req/s of the node:http ceiling on the same case. */
export function ratioToCeiling(results: BenchResults, server: ServerKey, kind: CaseKind): number | undefined {
  const own = resultOf(results, server, kind);
  const ceiling = resultOf(results, 'nodeHttp', kind);
  return own && ceiling ? own.requestsPerSecond / ceiling.requestsPerSecond : undefined;
}
