// Events between host processes through Kafka (a Kafka-protocol broker: librdkafka's mock
// cluster unless KAFKA_BROKERS is set). Host A publishes; hosts B and C, one service in one
// consumer group, each see a share, every event exactly once across the group; B stopped and
// restarted catches up on what it missed without replaying what it had processed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { makeWorkDir, removeDir, request, startHost, type HostProcess } from './support/host-process.js';
import { containerSource, writeRemoteEntry } from './support/fixture-remotes.js';
import { kafkaOrSkip } from './support/kafka-server.js';
import { markEveryPartition } from './support/kafka-markers.js';
import { until } from './support/until.js';

const topic = `host-events-${randomUUID().slice(0, 8)}`;
const { kafka, unavailable } = await kafkaOrSkip([`${topic}:2`]);

const things = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;
// The watcher's factory appends every thingCreated it hears to SEEN_FILE: what the service processed.
const watchers = `[{
  modelName: 'watcher', endpoint: 'watchers', datasource: 'memory',
  factory: ({ events }) => {
    events.listen('thingCreated', (event) => require('node:fs').appendFileSync(process.env.SEEN_FILE, event.data.id + '\\n'));
    return (x) => ({ ...x });
  },
}]`;

async function seen(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}


describe('events between hosts through Kafka', { skip: unavailable, timeout: 180_000 }, () => {
  let workDir: string;
  const hosts: HostProcess[] = [];
  let a: HostProcess;
  let b: HostProcess;
  let c: HostProcess;
  let bDir: string;
  let watcherRemote: string;

  const kafkaEnv = (group: string) => ({
    KAFKA_BROKERS: kafka!.brokers.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: group,
    KAFKA_FROM_BEGINNING: 'true',
    // The shortest session a stock broker accepts (group.min.session.timeout.ms): the mock rebalances after
    // almost a session timeout. It answers a fetch only after its max wait.
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '300',
    KAFKA_FETCH_MAX_WAIT_MS: '100',
  });
  /** Events host A's Kafka bridge has had acknowledged: markers sent after that come after them. */
  const sentByA = async () => (await request(`${a.url}/microlib/api/events`)).body.kafka.sent as number;
  /** A `thingCreated` on every partition, as the watchers' last record to read. */
  const markPartitions = (label: string) => markEveryPartition(kafka!.brokers, topic, { label, eventName: 'thingCreated', modelName: 'thing' });
  const startWatcher = (name: string, dir: string) =>
    startHost({ workDir: dir, remotes: [{ name: 'watchers', kind: 'local', path: watcherRemote, env: ['SEEN_FILE'] }], env: { HOST_ID: name, SEEN_FILE: path.join(dir, 'seen.txt'), ...kafkaEnv('watchers') } });

  before(async () => {
    workDir = await makeWorkDir();
    const thingRemote = await writeRemoteEntry(path.join(workDir, 'things'), containerSource(things));
    watcherRemote = await writeRemoteEntry(path.join(workDir, 'watchers'), containerSource(watchers));
    a = await startHost({ workDir: path.join(workDir, 'a'), remotes: [{ name: 'things', kind: 'local', path: thingRemote }], env: { HOST_ID: 'a', ...kafkaEnv('things') } });
    hosts.push(a);
    bDir = path.join(workDir, 'b');
    b = await startWatcher('b', bDir);
    hosts.push(b);
    c = await startWatcher('c', path.join(workDir, 'c'));
    hosts.push(c);
  });
  after(async () => {
    for (const host of hosts) await host.stop();
    await kafka?.stop();
    if (workDir) await removeDir(workDir);
  });

  it('delivers each event once to the consumer group of the watchers, shared between its hosts', async () => {
    // C joined the group just after B: until the rebalance is over, Kafka delivers at least once (offsets
    // committed meanwhile are refused). Settled is when each watcher has been handed a probe (keyed at
    // random, probes land on every partition).
    const probes: string[] = [];
    const cSeen = path.join(workDir, 'c', 'seen.txt');
    let probedAt = 0;
    await until(
      async () => {
        // One probe every 200 ms at most (a rebalance can take tens of seconds).
        if (Date.now() - probedAt >= 200) {
          probedAt = Date.now();
          probes.push((await request(`${a.url}/microlib/api/models/things`, { method: 'POST', body: { settle: probes.length } })).body.id);
        }
        const [bNow, cNow] = [await seen(path.join(bDir, 'seen.txt')), await seen(cSeen)];
        return probes.some((id) => bNow.includes(id)) && probes.some((id) => cNow.includes(id));
      },
      'both watchers to own a partition',
      60_000,
    );
    const sentBefore = await sentByA();
    const created: string[] = [];
    for (let i = 0; i < 20; i++) created.push((await request(`${a.url}/microlib/api/models/things`, { method: 'POST', body: { n: i } })).body.id);
    await until(async () => (await sentByA()) >= sentBefore + created.length, 'host A to send every create to Kafka');
    // Once the group has read every partition past the creates, a duplicate would be here by now.
    const markers = await markPartitions('shared');
    const both = async () => [...(await seen(path.join(bDir, 'seen.txt'))), ...(await seen(path.join(workDir, 'c', 'seen.txt')))];
    await until(async () => markers.allIn(await both()), 'the watchers to read every partition past the creates');
    const all = (await both()).filter((id) => !markers.isMarker(id) && !probes.includes(id));
    assert.deepEqual([...all].sort(), [...created].sort(), 'every event once across the group, none twice');
  });

  it('catches up after a restart on what it missed, without replaying what it had processed', async () => {
    await c.stop();
    hosts.splice(hosts.indexOf(c), 1);
    const bSeen = path.join(bDir, 'seen.txt');
    // Wait until the group has settled with B owning both partitions (probes keyed at random land on
    // both): offsets committed while a rebalance is in progress are refused, and would be seen again.
    const probes: string[] = [];
    for (let i = 0; i < 12; i++) probes.push((await request(`${a.url}/microlib/api/models/things`, { method: 'POST', body: { probe: i } })).body.id);
    await until(async () => {
      const now = await seen(bSeen);
      return probes.every((probe) => now.includes(probe));
    }, 'B to take over every partition');
    const before = await seen(bSeen);
    await b.stop();
    hosts.splice(hosts.indexOf(b), 1);
    const sentBefore = await sentByA();
    const missed: string[] = [];
    for (let i = 0; i < 5; i++) missed.push((await request(`${a.url}/microlib/api/models/things`, { method: 'POST', body: { missed: i } })).body.id);
    await until(async () => (await sentByA()) >= sentBefore + missed.length, 'host A to send what B misses to Kafka');
    // Once B has read every partition past the markers, a replay of what it had processed would be here by now.
    const markers = await markPartitions('missed');
    b = await startWatcher('b', bDir);
    hosts.push(b);
    await until(async () => markers.allIn(await seen(bSeen)), 'B to catch up past the markers');
    const after = await seen(bSeen);
    assert.deepEqual(after.slice(0, before.length), before);
    assert.deepEqual([...after.slice(before.length)].filter((id) => !markers.isMarker(id)).sort(), [...missed].sort(), 'only what it missed, once each');
  });
});
