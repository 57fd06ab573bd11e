// Events between hosts without Kafka: host A is the webswitch hub, B and C connect to it.
// An event on any host reaches every other host once, and never comes back to its origin.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeWorkDir, removeDir, request, startHost, type HostProcess } from './support/host-process.js';
import { containerSource, writeRemoteEntry } from './support/fixture-remotes.js';
import { connect } from './support/ws-client.js';
import { until } from './support/until.js';

const SECRET = 'webswitch-test-secret-0123';
const thingModels = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;
const noteModels = `[{ modelName: 'note', endpoint: 'notes', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;
/**
 * How long a duplicate or an echo is given to show up after every host saw both events. Kept as
 * a window on purpose: the test proves something does NOT arrive, and the webswitch counts only
 * what it delivers, not what it drops, so there is no counter to wait on instead.
 */
const NO_DUPLICATE_WINDOW_MS = 300;


describe('webswitch: events between hosts over WebSocket', () => {
  const hosts: HostProcess[] = [];
  let workDir: string;
  let a: HostProcess;
  let b: HostProcess;
  let c: HostProcess;

  before(async () => {
    workDir = await makeWorkDir();
    const things = await writeRemoteEntry(path.join(workDir, 'things'), containerSource(thingModels));
    const notes = await writeRemoteEntry(path.join(workDir, 'notes'), containerSource(noteModels));
    a = await startHost({ workDir: path.join(workDir, 'a'), remotes: [{ name: 'things', kind: 'local', path: things }], env: { HOST_ID: 'a', WEBSWITCH_HUB: 'true', WEBSWITCH_SECRET: SECRET } });
    hosts.push(a);
    const peerEnv = (id: string) => ({ HOST_ID: id, WEBSWITCH_URL: `ws://127.0.0.1:${a.port}/microlib/switch`, WEBSWITCH_SECRET: SECRET });
    b = await startHost({ workDir: path.join(workDir, 'b'), remotes: [{ name: 'notes', kind: 'local', path: notes }], env: peerEnv('b') });
    hosts.push(b);
    c = await startHost({ workDir: path.join(workDir, 'c'), remotes: [{ name: 'notes', kind: 'local', path: notes }], env: peerEnv('c') });
    hosts.push(c);
    await until(() => [b, c].every((h) => h.logs.some((l) => l.msg === 'webswitch: connected to the hub')), 'peers to connect', 10_000);
  });
  after(async () => {
    for (const host of hosts) await host.stop();
    await removeDir(workDir);
  });

  it('delivers a host\'s events to every other host once, and not back to its origin', async () => {
    const watch = async (host: HostProcess) => {
      const client = await connect(`ws://127.0.0.1:${host.port}/microlib/ws/events`);
      client.send({ type: 'subscribe', sub: 'created', event: '*Created' });
      await client.until(1, 'subscribed');
      return client;
    };
    const [onA, onB, onC] = [await watch(a), await watch(b), await watch(c)];
    const thing = await request(`${a.url}/microlib/api/models/things`, { method: 'POST', body: { name: 'from a' } });
    const note = await request(`${b.url}/microlib/api/models/notes`, { method: 'POST', body: { text: 'from b' } });
    assert.equal(thing.status, 201);
    assert.equal(note.status, 201);
    for (const client of [onA, onB, onC]) await client.until(3, 'both creates');
    await new Promise((r) => setTimeout(r, NO_DUPLICATE_WINDOW_MS));
    for (const [name, client] of [['a', onA], ['b', onB], ['c', onC]] as const) {
      const events = client.messages.filter((m) => m.type === 'event').map((m) => `${m.event.eventName}:${m.event.data.id}`).sort();
      assert.deepEqual(events, [`noteCreated:${note.body.id}`, `thingCreated:${thing.body.id}`].sort(), `host ${name} saw each event once`);
    }
    const fromB = onC.messages.find((m) => m.type === 'event' && m.event.eventName === 'noteCreated')!;
    assert.equal(fromB.event.data.record.text, 'from b', 'the event arrives whole');
    for (const client of [onA, onB, onC]) client.socket.close();
    const stats = await request(`${a.url}/microlib/api/events`);
    assert.equal(stats.body.webswitchHub.peers, 2);
    assert.ok(stats.body.webswitchHub.delivered >= 1, 'the hub counts what it received');
    assert.equal((await request(`${b.url}/microlib/api/events`)).body.webswitchPeer.connected, true);
  });

  it('refuses a peer without the secret', async () => {
    const refused = await new Promise<number>((resolve) => {
      import('ws').then(({ default: WebSocket }) => {
        const socket = new WebSocket(`ws://127.0.0.1:${a.port}/microlib/switch`, { headers: { authorization: 'Bearer wrong-secret-wrong-secret' } });
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('error', () => resolve(-1));
      });
    });
    assert.equal(refused, 401);
  });

  it('reconnects a peer after the hub restarts', async () => {
    const port = a.port;
    await a.stop();
    hosts.splice(hosts.indexOf(a), 1);
    const before = b.logs.filter((l) => l.msg === 'webswitch: connected to the hub').length;
    const things = path.join(workDir, 'things');
    a = await startHost({ workDir: path.join(workDir, 'a'), remotes: [{ name: 'things', kind: 'local', path: things }], env: { HOST_ID: 'a', PORT: String(port), WEBSWITCH_HUB: 'true', WEBSWITCH_SECRET: SECRET } });
    hosts.push(a);
    await until(() => b.logs.filter((l) => l.msg === 'webswitch: connected to the hub').length > before, 'b to reconnect', 10_000);
    const onB = await connect(`ws://127.0.0.1:${b.port}/microlib/ws/events`);
    onB.send({ type: 'subscribe', sub: 's', event: 'thingCreated' });
    await onB.until(1, 'subscribed');
    await request(`${a.url}/microlib/api/models/things`, { method: 'POST', body: { name: 'after restart' } });
    await onB.until(2, 'the event after the restart');
    onB.socket.close();
  });
});
