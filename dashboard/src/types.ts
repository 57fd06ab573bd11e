// The shapes of the admin API answers the dashboard shows (a subset of each).
export interface ReloadResult {
  remote: string;
  reason: string;
  outcome: 'reloaded' | 'unchanged' | 'failed';
  from: string | null;
  to: string | null;
  attempted: string | null;
  ms: number;
  error?: string;
  at?: string;
}

export interface RemoteInfo {
  name: string;
  kind: string;
  source: string;
  status: 'loading' | 'ready' | 'failed';
  version: string | null;
  loadedAt: string | null;
  loadMs: number | null;
  cacheFallback: boolean;
  pinned: string | null;
  lastError: { message: string; at: string; version?: string } | null;
  /** Where the version's code runs; restarts and the last crash of its workers. */
  isolation: { isolation: 'thread' | 'process' | 'none'; state?: 'running' | 'restarting' | 'failed'; workers?: number; restarts?: number; lastCrash?: { at: string; reason: string } } | null;
  previousVersions: Array<{ version: string; loadedAt: string; retiredAt: string }>;
  reloads?: ReloadResult[];
  /** A second version served beside `version` to a share of the traffic. */
  canary?: CanaryInfo | null;
}

/** One version's requests since the canary started, as the host tallies them. */
export interface VersionStats {
  version: string;
  requests: number;
  errors: number;
  errorRate: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface CanaryInfo {
  version: string;
  stableVersion: string;
  /** The canary's share, 0–100 %. */
  weight: number;
  mode: 'canary' | 'ab';
  sticky: { header: string } | { cookie: string } | { subject: true } | null;
  startedAt: string;
  stats: { stable: VersionStats; canary: VersionStats };
}

export interface ModelInfo {
  name: string;
  endpoint: string;
  path: string;
  remote: string;
  version: string;
  datasource: string;
  records: number | null;
  countError: string | null;
}

export interface PortInfo {
  model: string;
  port: string;
  type: string;
  disabled: boolean;
  adapter: string | null;
  adapterRemote: string | null;
  service: string | null;
  serviceRemote: string | null;
  bound: boolean;
  circuitBreaker: { state: string; failures: number; successes: number; failureRate: number } | null;
  recentFailures?: Array<{ at: string; outcome: string; code: string | null; message: string; id: string | null }>;
}

export interface Access {
  authEnabled: boolean;
  reload: 'allowed' | 'refused' | 'disabled';
}

export interface FeedEvent {
  eventName: string;
  modelName?: string;
  id?: string;
  at?: string;
  data?: { id?: string; changes?: unknown; remote?: string; outcome?: string; from?: string | null; to?: string | null };
}
