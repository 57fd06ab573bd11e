// Local events: every write is announced, specs' eventHandlers and factories' listen/notify
// receive them, handler errors are logged (never lost), and a reload ends the old version's subscriptions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeWorkDir, removeDir, request, startHost, type HostProcess } from './support/host-process.js';
import { containerSource, writeRemoteEntry } from './support/fixture-remotes.js';
import { until } from './support/until.js';

// `thing` announces writes; `watcher` listens to them from its factory and counts what it saw;
// `thing`'s eventHandlers throw on a marked record, to show errors are reported.
const models = (tag: string) => `[
  {
    modelName: 'thing', endpoint: 'things', datasource: 'memory',
    factory: () => (x) => ({ ...x }),
    eventHandlers: [(event) => { if (event.data.changes && event.data.changes.explode) throw new Error('handler exploded on ' + event.data.id); }],
  },
  {
    modelName: 'watcher', endpoint: 'watchers', datasource: 'memory',
    factory: ({ events }) => {
      const seen = [];
      events.listen('thing*', (event) => { seen.push(event.eventName); console.log('${tag} saw ' + event.eventName + ' ' + event.data.id); });
      events.listen('remoteReloaded', (event) => console.log('${tag} saw reload of ' + event.data.remote));
      return (x) => ({ ...x, seen: [...seen] });
    },
  },
]`;

const seenLines = (host: HostProcess) => host.logs.filter((l) => typeof l.raw === 'string').map((l) => l.raw as string);


describe('local events', () => {
  it('announces writes to listeners and eventHandlers, reports handler errors, and ends subscriptions on reload', async () => {
    const workDir = await makeWorkDir();
    const remoteDir = path.join(workDir, 'remote');
    await writeRemoteEntry(remoteDir, containerSource(models('v1')));
    const host = await startHost({ workDir, remotes: [{ name: 'kit', kind: 'local', path: remoteDir }], env: { MICROLIB_DEV_MODE: 'true' } });
    try {
      const api = `${host.url}/microlib/api/models`;
      const thing = (await request(`${api}/things`, { method: 'POST', body: { name: 'a' } })).body;
      await request(`${api}/things/${thing.id}`, { method: 'PATCH', body: { name: 'b' } });
      await request(`${api}/things/${thing.id}`, { method: 'DELETE' });
      await until(() => seenLines(host).includes(`v1 saw thingDeleted ${thing.id}`), 'the delete event', 5_000);
      assert.deepEqual(
        seenLines(host).filter((l) => l.startsWith('v1 saw thing')),
        [`v1 saw thingCreated ${thing.id}`, `v1 saw thingUpdated ${thing.id}`, `v1 saw thingDeleted ${thing.id}`],
        'created, updated and deleted, in order',
      );
      const watcher = (await request(`${api}/watchers`, { method: 'POST', body: {} })).body;
      assert.deepEqual(watcher.seen, ['thingCreated', 'thingUpdated', 'thingDeleted']);

      const marked = await request(`${api}/things`, { method: 'POST', body: { explode: true } });
      assert.equal(marked.status, 201, 'a failing handler does not fail the request');
      await until(() => host.logs.some((l) => l.msg === 'event handler failed'), 'the handler error in the log', 5_000);
      const failure = host.logs.find((l) => l.msg === 'event handler failed')!;
      assert.equal(failure.event, 'thingCreated');
      assert.match(JSON.stringify(failure.err), new RegExp(`handler exploded on ${marked.body.id}`));

      await writeRemoteEntry(remoteDir, containerSource(models('v2')));
      assert.equal((await request(`${host.url}/microlib/reload`, { method: 'POST' })).status, 200);
      await until(() => seenLines(host).some((l) => l === 'v2 saw reload of kit' || l === 'v1 saw reload of kit'), 'the reload event', 5_000);
      const after = (await request(`${api}/things`, { method: 'POST', body: { name: 'c' } })).body;
      await until(() => seenLines(host).includes(`v2 saw thingCreated ${after.id}`), 'the new version hearing the event', 5_000);
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(!seenLines(host).includes(`v1 saw thingCreated ${after.id}`), 'the replaced version no longer listens');
    } finally {
      await host.stop();
      await removeDir(workDir);
    }
  });
});
