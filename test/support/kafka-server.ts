/**
 * A Kafka for tests: an external cluster named by `KAFKA_BROKERS`, or else
 * librdkafka's mock cluster, built once by `scripts/test-servers/kafka.mjs`
 * and started per call with the topics asked for and stock Apache Kafka's
 * broker settings (see {@link BrokerSettings}), so tests that pass here pass
 * against a stock cluster.
 *
 * With `KAFKA_BROKERS` (comma-separated `host:port`), the topics are created if
 * missing (best effort through the admin API); if the cluster refuses, they
 * must already exist or the cluster must auto-create topics. Nothing is
 * started or stopped then, and `external` is true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

/** A running Kafka for one test file or test. */
export interface KafkaForTests {
  /** Bootstrap brokers, `host:port` on 127.0.0.1 for the mock. */
  brokers: string[];
  /** Stops the mock (no-op for an external cluster). */
  stop(): Promise<void>;
  /** True when `KAFKA_BROKERS` named the cluster. */
  external: boolean;
}

/**
 * Broker settings the mock is started with; each defaults to stock Apache
 * Kafka's. An external cluster has its own: a test that needs other values
 * checks {@link KafkaForTests.external}.
 */
export interface BrokerSettings {
  /** `num.partitions`: partitions of a topic named without a count, or auto-created. Default 1. */
  numPartitions?: number;
  /** `group.min.session.timeout.ms`: a shorter session timeout is refused at group join. Default 6000. */
  groupMinSessionTimeoutMs?: number;
  /** `group.max.session.timeout.ms`: a longer one is refused. Default 1800000. */
  groupMaxSessionTimeoutMs?: number;
}

/** Building librdkafka takes about a minute on two cores; more means something is stuck. */
const PREPARE_TIMEOUT_MS = 15 * 60_000;
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** The repository root: the nearest folder up from here with the launcher script (works from dist/ and other outDirs). */
function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(path.join(dir, 'scripts/test-servers/kafka.mjs'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('kafka-server: cannot find scripts/test-servers/kafka.mjs above ' + fileURLToPath(import.meta.url));
}

/**
 * Starts a Kafka with `topics` (`name` or `name:partitions`; without a count,
 * the broker's default) and, for the mock, the broker `settings`.
 *
 * @throws Error when the mock cannot be built here; its message names the
 * Debian packages to install (`apt-get install -y gcc make zlib1g-dev`), so a
 * test can decide to skip.
 */
export async function kafkaForTests(topics: string[], settings: BrokerSettings = {}): Promise<KafkaForTests> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    const brokers = external.split(',').map((b) => b.trim()).filter(Boolean);
    await createTopics(brokers, topics);
    return { brokers, external: true, stop: async () => {} };
  }
  const root = findRoot();
  const launcher = await prepare(root);
  return startMock(launcher, [...settingArgs(settings), ...topics]);
}

/** The launcher's options for `settings` (it applies stock values to those left out). */
function settingArgs(settings: BrokerSettings): string[] {
  const args: string[] = [];
  if (settings.numPartitions !== undefined) args.push('--num-partitions', String(settings.numPartitions));
  if (settings.groupMinSessionTimeoutMs !== undefined) args.push('--group-min-session-timeout-ms', String(settings.groupMinSessionTimeoutMs));
  if (settings.groupMaxSessionTimeoutMs !== undefined) args.push('--group-max-session-timeout-ms', String(settings.groupMaxSessionTimeoutMs));
  return args;
}

/** Runs `kafka.mjs prepare` (fast when already built) and returns the launcher's path. */
async function prepare(root: string): Promise<string> {
  const script = path.join(root, 'scripts/test-servers/kafka.mjs');
  const child = spawn(process.execPath, [script, 'prepare'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), PREPARE_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
  clearTimeout(timer);
  if (code !== 0) {
    const lines = stderr.trim().split('\n');
    // The script's last line is the reason; for a missing toolchain it names the packages.
    throw new Error(`Kafka mock unavailable: ${(lines.at(-1) ?? `prepare exited ${code}`).replace(/^\[kafka-mock\] /, '')}`);
  }
  return path.join(root, '.cache/test-servers/kafka-mock');
}

async function startMock(launcher: string, args: string[]): Promise<KafkaForTests> {
  const child = spawn(launcher, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let brokers: string[];
  try {
    brokers = await readBrokers(child);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`Kafka mock did not start: ${(error as Error).message}${stderr ? `\n${stderr}` : ''}`);
  }
  return {
    brokers,
    external: false,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Reads the launcher's `{"brokers":"…"}` line. */
function readBrokers(child: ChildProcess): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => finish(new Error(`no broker list within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const onData = (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline === -1) return;
      try {
        const { brokers } = JSON.parse(buffered.slice(0, newline)) as { brokers?: unknown };
        if (typeof brokers !== 'string' || brokers === '') throw new Error(`unexpected first line: ${buffered.slice(0, newline)}`);
        finish(undefined, brokers.split(','));
      } catch (error) {
        finish(error as Error);
      }
    };
    const onExit = (code: number | null, signal: string | null) => finish(new Error(`exited (${code ?? signal}) before listening`));
    function finish(error: Error | undefined, brokers?: string[]) {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(brokers!);
    }
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Creates missing topics on an external cluster; a refusal is left to the broker's auto-creation. */
async function createTopics(brokers: string[], topics: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'microlib-tests', brokers, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((spec) => {
        const [topic, partitions] = spec.split(':');
        return { topic: topic!, numPartitions: partitions ? Number(partitions) : -1 };
      }),
    });
  } catch {
    // Already there, or not allowed: the tests then rely on existing or auto-created topics.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The Kafka of a test file, or why it is skipped: without a compiler the mock cannot
 * be built, which skips the file on a developer's machine and fails it in CI.
 */
export async function kafkaOrSkip(topics: string[], settings: BrokerSettings = {}): Promise<{ kafka: KafkaForTests | undefined; unavailable: string | undefined }> {
  try {
    return { kafka: await kafkaForTests(topics, settings), unavailable: undefined };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (process.env.CI || !message.includes('apt-get install')) throw error;
    return { kafka: undefined, unavailable: message };
  }
}
