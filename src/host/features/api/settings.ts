/** The generated API: request limits, paging, and where models are placed (placements). */
import os from 'node:os';
import { ConfigError, integer, text, type Env } from '../../../config/env-reader.js';

export interface ApiSettings {
  /** Largest request body accepted by the generated API. */
  bodyLimitBytes: number;
  /** Request-body bytes the process holds at once, all readers together (503 beyond). */
  maxBufferedBodyBytes: number;
  /** Most items one batch request (POST/PATCH/DELETE with an array on a collection) may hold. */
  batchMaxItems: number;
  /** Largest page size of list requests. */
  maxPageSize: number;
  defaultPageSize: number;
  /** Deadline of a read from another host's model (relations across hosts). */
  relationTimeoutMs: number;
  /** This node's placement in the application definition (`placements` of remoteEntries.js); undefined: every model. */
  placement: string | undefined;
  /** This node's name in X-Microlib-Node answers (default HOST_ID). */
  nodeName: string;
  /** Deadline for another node to start answering a forwarded request. */
  forwardTimeoutMs: number;
}

export function readApiSettings(env: Env): ApiSettings {
  const defaultPageSize = integer(env, 'DEFAULT_PAGE_SIZE', 20, 1, 10_000);
  const maxPageSize = integer(env, 'MAX_PAGE_SIZE', 100, 1, 10_000);
  if (defaultPageSize > maxPageSize) throw new ConfigError('DEFAULT_PAGE_SIZE', `must not exceed MAX_PAGE_SIZE (${maxPageSize})`);
  const bodyLimitBytes = integer(env, 'BODY_LIMIT_BYTES', 1_048_576, 1, 1_073_741_824);
  return {
    bodyLimitBytes,
    maxBufferedBodyBytes: bufferedBodyBudget(env, bodyLimitBytes),
    batchMaxItems: integer(env, 'BATCH_MAX_ITEMS', 1_000, 1, 100_000),
    maxPageSize,
    defaultPageSize,
    relationTimeoutMs: integer(env, 'RELATION_TIMEOUT_MS', 5_000, 1, 600_000),
    placement: placementName(env),
    nodeName: text(env, 'MICROLIB_NODE_NAME', text(env, 'HOST_ID', `${os.hostname()}-${process.pid}`)),
    forwardTimeoutMs: integer(env, 'FORWARD_TIMEOUT_MS', 30_000, 1, 600_000),
  };
}

/** At least one body of the largest size must fit; by default 64 MiB, or BODY_LIMIT_BYTES when larger. */
function bufferedBodyBudget(env: Env, bodyLimitBytes: number): number {
  const budget = integer(env, 'MAX_BUFFERED_BODY_BYTES', Math.max(67_108_864, bodyLimitBytes), 1, 17_179_869_184);
  if (budget < bodyLimitBytes) throw new ConfigError('MAX_BUFFERED_BODY_BYTES', `must be at least BODY_LIMIT_BYTES (${bodyLimitBytes})`);
  return budget;
}

/** MICROLIB_PLACEMENT; Kafka's default consumer group depends on it too. */
export function placementName(env: Env): string | undefined {
  const raw = env.MICROLIB_PLACEMENT?.trim();
  if (!raw) return undefined;
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(raw)) throw new ConfigError('MICROLIB_PLACEMENT', `"${raw}" is not a placement name (letters, digits, _ and -)`);
  return raw;
}
