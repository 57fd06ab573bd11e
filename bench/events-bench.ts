/**
 * Events between hosts: host A creates records (each create publishes
 * `thingCreated`), a WebSocket client of host B receives them. Latency is the
 * event's own timestamp (set on A) to its arrival at B's client, so it covers
 * A's broker, the transport, B's broker and B's client stream. Throughput is
 * creates fired 32 at once until every event has arrived at B.
 */
import path from 'node:path';
import { makeWorkDir, removeDir, startHost, type HostProcess } from '../test/support/host-process.js';
import { containerSource, writeRemoteEntry } from '../test/support/fixture-remotes.js';
import { connect } from '../test/support/ws-client.js';
import { kafkaForTests } from '../test/support/kafka-server.js';

export interface EventFigures {
  transport: string;
  sequential: { events: number; p50: number; p95: number; max: number };
  concurrent: { events: number; seconds: number; perSecond: number; lost: number };
}

/** How two hosts are made to share events: the extra env of each. */
export interface TransportSetup {
  name: string;
  hubEnv(): Record<string, string>;
  peerEnv(hub: HostProcess): Record<string, string>;
  /** Resolves when host B receives events from A. */
  ready(a: HostProcess, b: HostProcess): Promise<void>;
}

const SEQUENTIAL = 200;
const CONCURRENT = 2_000;
const CONCURRENCY = 32;
const WAIT_MS = 60_000;
const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`create answered ${res.status}`);
}

export async function measureEvents(setup: TransportSetup, log: (line: string) => void): Promise<EventFigures> {
  const workDir = await makeWorkDir();
  const hosts: HostProcess[] = [];
  try {
    const dir = await writeRemoteEntry(path.join(workDir, 'remote'), containerSource(models));
    const remotes = [{ name: 'kit', kind: 'local', path: dir }];
    const a = await startHost({ workDir: path.join(workDir, 'a'), remotes, env: { HOST_ID: 'a', ...setup.hubEnv() } });
    hosts.push(a);
    const b = await startHost({ workDir: path.join(workDir, 'b'), remotes, env: { HOST_ID: 'b', ...setup.peerEnv(a) } });
    hosts.push(b);
    await setup.ready(a, b);
    const client = await connect(`ws://127.0.0.1:${b.port}/microlib/ws/events`);
    client.send({ type: 'subscribe', sub: 's', event: 'thingCreated' });
    await client.until(1, 'subscribed');
    const arrivals: number[] = [];
    const latencies: number[] = [];
    client.socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; event?: { at: string } };
      if (message.type !== 'event') return;
      arrivals.push(performance.now());
      latencies.push(Date.now() - Date.parse(message.event!.at));
    });
    const api = `${a.url}/microlib/api/models/things`;
    const waitFor = async (count: number) => {
      const deadline = Date.now() + WAIT_MS;
      while (arrivals.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    };

    for (let i = 0; i < SEQUENTIAL; i++) {
      await post(api, { n: i });
      await waitFor(i + 1);
    }
    const sorted = latencies.slice(0, SEQUENTIAL).sort((x, y) => x - y);
    log(`  ${setup.name}: ${SEQUENTIAL} events one at a time, p50 ${percentile(sorted, 50)} ms`);

    const before = arrivals.length;
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CONCURRENT) {
          next++;
          await post(api, { burst: true });
        }
      }),
    );
    await waitFor(before + CONCURRENT);
    const received = arrivals.length - before;
    const seconds = ((arrivals.at(-1) ?? t0) - t0) / 1000;
    log(`  ${setup.name}: ${CONCURRENT} events ${CONCURRENCY} at once, ${(received / seconds).toFixed(0)}/s, ${CONCURRENT - received} lost`);
    client.socket.close();
    return {
      transport: setup.name,
      sequential: { events: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? NaN },
      concurrent: { events: CONCURRENT, seconds, perSecond: received / seconds, lost: CONCURRENT - received },
    };
  } finally {
    for (const host of hosts.reverse()) await host.stop();
    await removeDir(workDir);
  }
}

const SECRET = 'bench-webswitch-secret-0123';

export const webswitchSetup: TransportSetup = {
  name: 'webswitch (WebSocket)',
  hubEnv: () => ({ WEBSWITCH_HUB: 'true', WEBSWITCH_SECRET: SECRET }),
  peerEnv: (hub) => ({ WEBSWITCH_URL: `ws://127.0.0.1:${hub.port}/microlib/switch`, WEBSWITCH_SECRET: SECRET }),
  async ready(_a, b) {
    const deadline = Date.now() + 10_000;
    while (!b.logs.some((l) => l.msg === 'webswitch: connected to the hub')) {
      if (Date.now() > deadline) throw new Error('host B did not connect to the hub');
      await new Promise((r) => setTimeout(r, 20));
    }
  },
};

/** Kafka: the librdkafka mock cluster (or KAFKA_BROKERS); each host its own consumer group. */
export async function kafkaSetup(): Promise<TransportSetup & { close(): Promise<void> }> {
  const topic = `bench-events-${process.pid}`;
  const kafka = await kafkaForTests([`${topic}:2`]);
  const env = (group: string) => ({
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: group,
    // The mock answers a fetch only when its max wait passes, even with data waiting: keep it short.
    KAFKA_FETCH_MAX_WAIT_MS: '5',
    // Stock brokers refuse a session timeout below group.min.session.timeout.ms (6000).
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '600',
  });
  return {
    name: kafka.external ? 'Kafka (KAFKA_BROKERS)' : 'Kafka (librdkafka mock cluster)',
    hubEnv: () => env('bench-a'),
    peerEnv: () => env('bench-b'),
    // The host listens without waiting for Kafka: wait until B's consumer holds partitions (bounded).
    ready: async (_a, b) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const stats = (await (await fetch(`${b.url}/microlib/api/events`)).json()) as { kafka?: { assignment?: unknown } };
        const assignment = stats.kafka?.assignment;
        if (Array.isArray(assignment) ? assignment.length > 0 : assignment && Object.keys(assignment as object).length > 0) return;
        if (Date.now() > deadline) throw new Error(`host B did not join its Kafka group within 60 s: ${JSON.stringify(stats.kafka)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close: () => kafka.stop(),
  };
}

export function renderEventSection(figures: readonly EventFigures[]): string {
  return [
    '## Events between hosts',
    '',
    'Host A creates records (each create publishes `thingCreated`); a WebSocket client of host B receives them. Latency: the event\'s timestamp on A to its arrival at B\'s client (ms resolution), covering both brokers, the transport and B\'s client stream. Throughput: 2,000 creates on A, 32 at once, until the last event reached B.',
    '',
    '| transport | events one at a time: p50 / p95 / max | burst: events/s at B | lost |',
    '|---|---|---:|---:|',
    ...figures.map((f) => `| ${f.transport} | ${f.sequential.p50} / ${f.sequential.p95} / ${f.sequential.max} ms | ${f.concurrent.perSecond.toFixed(0)} | ${f.concurrent.lost} |`),
    '',
    'The Kafka row is the librdkafka mock cluster, which answers a fetch only when its max wait (5 ms here) has passed even with data waiting, so each consumer cycle carries a few events: its figures show the bridge working end to end, not what a real broker sustains (it answers as soon as data arrives). Set KAFKA_BROKERS to measure a real one. The webswitch throughput is bounded by host A serving the creates.',
    '',
  ].join('\n');
}
