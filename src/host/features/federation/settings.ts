/** Where remotes are listed and come from, how long loading may take, how often to look for new versions. */
import path from 'node:path';
import { ConfigError, integer, oneOf, secret, text, type Env } from '../../../config/env-reader.js';
import type { IsolationDefaults } from '../../../federation/isolation/isolating-runtime.js';

export interface FederationSettings {
  /** Where `remoteEntries.js` lives. */
  remoteEntriesPath: string;
  /** Downloaded remote builds, one folder per remote and version. */
  cacheDir: string;
  githubApiUrl: string;
  githubToken: string | undefined;
  /** Timeout of one HTTP request to a source. */
  fetchTimeoutMs: number;
  /** Timeout of a whole remote load: resolve, download, evaluate, validate. */
  loadTimeoutMs: number;
  /** Ask each remote's source for a new version this often (0: never). */
  pollIntervalMs: number;
  /** In a function: ask the sources for new versions on an invocation at most this often (0: never). */
  remoteTtlSeconds: number;
  /** How long a replaced version may keep answering requests that started on it. */
  drainTimeoutMs: number;
  /** Previous versions kept per remote (cached on disk, listed, available to rollback). */
  keepVersions: number;
  /** Where remotes' code runs unless their entry says otherwise, and the budgets it gets there. */
  isolation: IsolationDefaults;
}

export function readFederationSettings(env: Env, cwd: string): FederationSettings {
  const githubApiUrl = text(env, 'GITHUB_API_URL', 'https://api.github.com').replace(/\/+$/, '');
  try {
    new URL(githubApiUrl);
  } catch {
    throw new ConfigError('GITHUB_API_URL', `not a URL: "${githubApiUrl}"`);
  }
  return {
    remoteEntriesPath: path.resolve(cwd, text(env, 'REMOTE_ENTRIES', 'remoteEntries.js')),
    cacheDir: path.resolve(cwd, text(env, 'REMOTE_CACHE_DIR', '.cache/remotes')),
    githubApiUrl,
    githubToken: secret(env, 'GITHUB_TOKEN', 1),
    fetchTimeoutMs: integer(env, 'FETCH_TIMEOUT_MS', 10_000, 1, 600_000),
    loadTimeoutMs: integer(env, 'LOAD_TIMEOUT_MS', 30_000, 1, 3_600_000),
    pollIntervalMs: integer(env, 'POLL_INTERVAL_MS', 0, 0, 86_400_000),
    remoteTtlSeconds: integer(env, 'REMOTE_TTL_SECONDS', 0, 0, 86_400),
    drainTimeoutMs: integer(env, 'DRAIN_TIMEOUT_MS', 30_000, 0, 600_000),
    keepVersions: integer(env, 'KEEP_VERSIONS', 5, 1, 100),
    isolation: {
      isolation: oneOf(env, 'REMOTE_ISOLATION', ['thread', 'process', 'none'] as const, 'thread'),
      workers: integer(env, 'REMOTE_WORKERS', 1, 1, 64),
      callTimeoutMs: integer(env, 'REMOTE_CALL_TIMEOUT_MS', 5_000, 10, 3_600_000),
      memoryMb: integer(env, 'REMOTE_MEMORY_MB', 128, 16, 65_536),
      maxQueue: integer(env, 'REMOTE_MAX_QUEUE', 1_000, 1, 1_000_000),
    },
  };
}
