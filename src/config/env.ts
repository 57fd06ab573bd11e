/**
 * Host configuration from environment variables. Every variable, its default
 * and meaning is listed in `.env.example`; keep the two in step.
 */
import os from 'node:os';
import path from 'node:path';

export interface HostConfig {
  port: number;
  host: string;
  /** Where `remoteEntries.js` lives. */
  remoteEntriesPath: string;
  /** Datasource for models whose spec names none. */
  defaultDatasource: string;
  dataDir: string;
  /** Downloaded remote builds, one folder per remote and version. */
  cacheDir: string;
  githubApiUrl: string;
  githubToken: string | undefined;
  /** Timeout of one HTTP request to a source. */
  fetchTimeoutMs: number;
  /** Timeout of a whole remote load: resolve, download, evaluate, validate. */
  loadTimeoutMs: number;
  /** Largest request body accepted by the generated API. */
  bodyLimitBytes: number;
  /** Largest page size of list requests. */
  maxPageSize: number;
  defaultPageSize: number;
  logLevel: string;
  /** `json` (one object per line), `pretty` (readable, for a terminal) or `auto`: pretty in development mode on a terminal. */
  logFormat: 'json' | 'pretty' | 'auto';
  /** One log line per answered request (method, path, status, ms, request id). */
  logRequests: boolean;
  /** Secret of GitHub push webhooks (X-Hub-Signature-256). */
  webhookSecret: string | undefined;
  /** Bearer token for manual reloads and rollbacks. */
  adminToken: string | undefined;
  /** Development mode: reload and rollback need no credential. Never in production. */
  devMode: boolean;
  /** Ask each remote's source for a new version this often (0: never). */
  pollIntervalMs: number;
  /** How long a replaced version may keep answering requests that started on it. */
  drainTimeoutMs: number;
  /** Previous versions kept per remote (cached on disk, listed, available to rollback). */
  keepVersions: number;
  /** Deadline of one port call attempt when the port names none. */
  portTimeoutMs: number;
  /** Password the key of sensitive fields is derived from; without it a generated key in DATA_DIR is used. */
  encryptionPassword: string | undefined;
  /** WebSocket clients: unsent bytes after which a slow client is dropped, and subscriptions per connection. */
  wsMaxBufferedBytes: number;
  wsMaxSubscriptions: number;
  /** This host's id in events it shares with others. */
  hostId: string;
  /** Local event patterns shared with other hosts (over Kafka or the webswitch). */
  eventsShare: string[];
  /** Serve `/microlib/switch` for other hosts' events. */
  webswitchHub: boolean;
  /** Hub to connect to, e.g. ws://10.0.0.5:8070/microlib/switch. */
  webswitchUrl: string | undefined;
  /** Secret between the hub and its peers. */
  webswitchSecret: string | undefined;
  /** Deadline of a read from another host's model (relations across hosts). */
  relationTimeoutMs: number;
  /** MongoDB server of the `mongodb` datasource, and its database. */
  mongodbUrl: string | undefined;
  mongodbDatabase: string;
  /** Events through Kafka, when KAFKA_BROKERS is set. */
  kafka: KafkaConfig | undefined;
  /** Bearer JWTs required on the whole API and the WebSocket endpoint. */
  authEnabled: boolean;
  /** The key set file (JWKS or public key, issuer, audience, algorithms). */
  authKeySetPath: string;
  /** Failed authentications allowed per client address and minute before 429. */
  authMaxFailuresPerMinute: number;
  /** HTTPS from these files when set. */
  tls: { keyPath: string; certPath: string; caPath?: string } | undefined;
  /** A plain-HTTP port that redirects to HTTPS (0: none). */
  sslRedirectPort: number;
  /** On SIGTERM, how long readiness is false before connections close (time for load balancers to notice). */
  shutdownDelayMs: number;
  /** This node's placement in the application definition (`placements` of remoteEntries.js); undefined: every model. */
  placement: string | undefined;
  /** This node's name in X-Microlib-Node answers (default HOST_ID). */
  nodeName: string;
  /** Deadline for another node to start answering a forwarded request. */
  forwardTimeoutMs: number;
  /** On SIGTERM, how long in-flight requests may take to finish before their connections are closed. */
  shutdownTimeoutMs: number;
  /** Cluster mode: a primary forks `clusterWorkers` workers sharing the port. */
  clusterEnabled: boolean;
  clusterWorkers: number;
  /** This worker's stable slot (1..N) in cluster mode, set by the primary; undefined in a single process. */
  workerSlot: number | undefined;
  /** Stored with each flow this process starts: `<HOST_ID or hostname>/<slot>`, the same for a worker's replacement. */
  flowRunnerId: string;
}

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  /** One consumer group per service (not per process), so replicas share the work and never replay it all. */
  groupId: string;
  topic: string;
  /** Topics consumed into the local broker (none: publish only). */
  subscribe: string[];
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  fetchMaxWaitMs: number;
  startTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** A comma-separated list; empty entries are ignored. */
function list(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${env[name]}"`);
}

function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(name, `expected true or false, got "${env[name]}"`);
}

function secret(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  // A short secret can be guessed; refuse it rather than give a false sense of safety.
  if (raw.length < 16) throw new ConfigError(name, 'must be at least 16 characters');
  return raw;
}

function text(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}

function webswitch(env: Env): Pick<HostConfig, 'webswitchHub' | 'webswitchUrl' | 'webswitchSecret'> {
  const webswitchHub = flag(env, 'WEBSWITCH_HUB');
  const webswitchUrl = env.WEBSWITCH_URL?.trim() || undefined;
  const webswitchSecret = secret(env, 'WEBSWITCH_SECRET');
  if (webswitchUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(webswitchUrl);
    } catch {
      throw new ConfigError('WEBSWITCH_URL', `not a URL: "${webswitchUrl}"`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new ConfigError('WEBSWITCH_URL', 'must be a ws:// or wss:// URL');
  }
  // An open hub would let anyone on the network inject events into every host.
  if ((webswitchHub || webswitchUrl) && !webswitchSecret) throw new ConfigError('WEBSWITCH_SECRET', 'is required with WEBSWITCH_HUB or WEBSWITCH_URL');
  return { webswitchHub, webswitchUrl, webswitchSecret };
}

function kafka(env: Env): KafkaConfig | undefined {
  const brokers = list(env, 'KAFKA_BROKERS', []);
  if (brokers.length === 0) return undefined;
  for (const broker of brokers) {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(broker)) throw new ConfigError('KAFKA_BROKERS', `"${broker}" is not host:port`);
  }
  const clientId = text(env, 'KAFKA_CLIENT_ID', 'microlib');
  const topic = text(env, 'KAFKA_TOPIC', 'microlib-events');
  // A template (microlib.{model}) names many topics: which to consume must be listed.
  if (topic.includes('{') && !env.KAFKA_SUBSCRIBE?.trim()) throw new ConfigError('KAFKA_SUBSCRIBE', 'list the topics to consume (or "none") when KAFKA_TOPIC is a template');
  const subscribe = env.KAFKA_SUBSCRIBE?.trim() === 'none' ? [] : list(env, 'KAFKA_SUBSCRIBE', [topic]);
  return {
    brokers,
    clientId,
    // Each placement is a service of its own: its own group, so every placement sees each event once.
    groupId: text(env, 'KAFKA_GROUP_ID', placementName(env) === undefined ? clientId : `${clientId}-${placementName(env)}`),
    topic,
    subscribe,
    fromBeginning: flag(env, 'KAFKA_FROM_BEGINNING'),
    sessionTimeoutMs: integer(env, 'KAFKA_SESSION_TIMEOUT_MS', 30_000, 1_000, 3_600_000),
    heartbeatIntervalMs: integer(env, 'KAFKA_HEARTBEAT_INTERVAL_MS', 3_000, 100, 600_000),
    fetchMaxWaitMs: integer(env, 'KAFKA_FETCH_MAX_WAIT_MS', 5_000, 1, 600_000),
    startTimeoutMs: integer(env, 'KAFKA_START_TIMEOUT_MS', 30_000, 1, 600_000),
  };
}

function placementName(env: Env): string | undefined {
  const raw = env.MICROLIB_PLACEMENT?.trim();
  if (!raw) return undefined;
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(raw)) throw new ConfigError('MICROLIB_PLACEMENT', `"${raw}" is not a placement name (letters, digits, _ and -)`);
  return raw;
}

function tls(env: Env, cwd: string): Pick<HostConfig, 'tls' | 'sslRedirectPort'> {
  const enabled = flag(env, 'SSL_ENABLED');
  const sslRedirectPort = integer(env, 'SSL_REDIRECT_PORT', 0, 0, 65_535);
  if (!enabled) {
    if (sslRedirectPort !== 0) throw new ConfigError('SSL_REDIRECT_PORT', 'needs SSL_ENABLED=true');
    return { tls: undefined, sslRedirectPort };
  }
  if (sslRedirectPort !== 0 && sslRedirectPort === integer(env, 'PORT', 8070, 0, 65_535)) throw new ConfigError('SSL_REDIRECT_PORT', 'must differ from PORT');
  const ca = env.SSL_CA_PATH?.trim();
  return {
    tls: {
      keyPath: path.resolve(cwd, text(env, 'SSL_KEY_PATH', 'cert/key.pem')),
      certPath: path.resolve(cwd, text(env, 'SSL_CERT_PATH', 'cert/cert.pem')),
      ...(ca ? { caPath: path.resolve(cwd, ca) } : {}),
    },
    sslRedirectPort,
  };
}

function cluster(env: Env): Pick<HostConfig, 'clusterEnabled' | 'clusterWorkers' | 'workerSlot' | 'flowRunnerId'> {
  const clusterEnabled = flag(env, 'CLUSTER_ENABLED');
  const clusterWorkers = integer(env, 'CLUSTER_WORKERS', os.availableParallelism(), 1, 256);
  if (!clusterEnabled && env.CLUSTER_WORKERS?.trim()) throw new ConfigError('CLUSTER_WORKERS', 'needs CLUSTER_ENABLED=true');
  // Set by the primary for its workers, never by hand.
  const slot = env.MICROLIB_WORKER_SLOT?.trim() ? integer(env, 'MICROLIB_WORKER_SLOT', 1, 1, clusterWorkers) : undefined;
  return { clusterEnabled, clusterWorkers, workerSlot: slot, flowRunnerId: `${text(env, 'HOST_ID', os.hostname())}/${slot ?? 1}` };
}

/** Reads the configuration; throws ConfigError naming the variable on bad input. */
export function readConfig(env: Env = process.env, cwd: string = process.cwd()): HostConfig {
  const apiUrl = text(env, 'GITHUB_API_URL', 'https://api.github.com').replace(/\/+$/, '');
  try {
    new URL(apiUrl);
  } catch {
    throw new ConfigError('GITHUB_API_URL', `not a URL: "${apiUrl}"`);
  }
  if (text(env, 'DATASOURCE_ADAPTER', 'file') === 'mongodb' && !env.MONGODB_URL?.trim()) throw new ConfigError('MONGODB_URL', 'is required with DATASOURCE_ADAPTER=mongodb');
  const defaultPageSize = integer(env, 'DEFAULT_PAGE_SIZE', 20, 1, 10_000);
  const maxPageSize = integer(env, 'MAX_PAGE_SIZE', 100, 1, 10_000);
  if (defaultPageSize > maxPageSize) throw new ConfigError('DEFAULT_PAGE_SIZE', `must not exceed MAX_PAGE_SIZE (${maxPageSize})`);
  return {
    port: integer(env, 'PORT', 8070, 0, 65_535),
    host: text(env, 'HOST', '0.0.0.0'),
    remoteEntriesPath: path.resolve(cwd, text(env, 'REMOTE_ENTRIES', 'remoteEntries.js')),
    defaultDatasource: text(env, 'DATASOURCE_ADAPTER', 'file'),
    dataDir: path.resolve(cwd, text(env, 'DATA_DIR', 'data')),
    cacheDir: path.resolve(cwd, text(env, 'REMOTE_CACHE_DIR', '.cache/remotes')),
    githubApiUrl: apiUrl,
    githubToken: env.GITHUB_TOKEN?.trim() || undefined,
    fetchTimeoutMs: integer(env, 'FETCH_TIMEOUT_MS', 10_000, 1, 600_000),
    loadTimeoutMs: integer(env, 'LOAD_TIMEOUT_MS', 30_000, 1, 3_600_000),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1_048_576, 1, 1_073_741_824),
    maxPageSize,
    defaultPageSize,
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'pretty', 'auto'] as const, 'auto'),
    // Unset: on in development mode, where reading each request is the point.
    logRequests: env.LOG_REQUESTS?.trim() ? flag(env, 'LOG_REQUESTS') : flag(env, 'MICROLIB_DEV_MODE'),
    webhookSecret: secret(env, 'WEBHOOK_SECRET'),
    adminToken: secret(env, 'ADMIN_TOKEN'),
    devMode: flag(env, 'MICROLIB_DEV_MODE'),
    pollIntervalMs: integer(env, 'POLL_INTERVAL_MS', 0, 0, 86_400_000),
    drainTimeoutMs: integer(env, 'DRAIN_TIMEOUT_MS', 30_000, 0, 600_000),
    portTimeoutMs: integer(env, 'PORT_TIMEOUT_MS', 30_000, 1, 86_400_000),
    encryptionPassword: env.ENCRYPTION_PWD?.trim() || undefined,
    wsMaxBufferedBytes: integer(env, 'WS_MAX_BUFFERED_BYTES', 4_194_304, 1_024, 1_073_741_824),
    wsMaxSubscriptions: integer(env, 'WS_MAX_SUBSCRIPTIONS', 100, 1, 10_000),
    hostId: text(env, 'HOST_ID', `${os.hostname()}-${process.pid}`),
    eventsShare: list(env, 'EVENTS_SHARE', ['*']),
    ...webswitch(env),
    relationTimeoutMs: integer(env, 'RELATION_TIMEOUT_MS', 5_000, 1, 600_000),
    mongodbUrl: env.MONGODB_URL?.trim() || undefined,
    mongodbDatabase: text(env, 'MONGODB_DATABASE', 'microlib'),
    kafka: kafka(env),
    authEnabled: flag(env, 'AUTH_ENABLED'),
    authKeySetPath: path.resolve(cwd, text(env, 'AUTH_KEY_SET', 'auth/key-set.json')),
    authMaxFailuresPerMinute: integer(env, 'AUTH_MAX_FAILURES_PER_MINUTE', 20, 1, 100_000),
    ...tls(env, cwd),
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 0, 0, 600_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    ...cluster(env),
    keepVersions: integer(env, 'KEEP_VERSIONS', 5, 1, 100),
    placement: placementName(env),
    nodeName: text(env, 'MICROLIB_NODE_NAME', text(env, 'HOST_ID', `${os.hostname()}-${process.pid}`)),
    forwardTimeoutMs: integer(env, 'FORWARD_TIMEOUT_MS', 30_000, 1, 600_000),
  };
}

/** What the `microlib` CLI needs to reach a running host (the client side, not the host's configuration). */
export interface CliConfig {
  /** Base URL of the host, without a trailing slash. */
  url: string;
  /** Bearer token for reloads, rollbacks and the host's own API. */
  adminToken: string | undefined;
  /** How long the CLI waits for a reload or rollback to answer. */
  reloadTimeoutMs: number;
}

/** An http(s) base URL of a host, without a trailing slash; `name` is the variable or flag it came from. */
export function hostUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, `must be an http:// or https:// URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

/** The CLI's variables: MICROLIB_URL (default http://127.0.0.1:$PORT, PORT 8070), ADMIN_TOKEN, RELOAD_TIMEOUT_MS. */
export function readCliConfig(env: Env = process.env): CliConfig {
  const explicit = env.MICROLIB_URL?.trim();
  return {
    url: explicit ? hostUrl('MICROLIB_URL', explicit) : `http://127.0.0.1:${integer(env, 'PORT', 8070, 1, 65_535)}`,
    adminToken: secret(env, 'ADMIN_TOKEN'),
    reloadTimeoutMs: integer(env, 'RELOAD_TIMEOUT_MS', 120_000, 1, 3_600_000),
  };
}
