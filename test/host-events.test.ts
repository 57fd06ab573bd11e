// Local events: every write is announced, specs' eventHandlers and factories' listen/notify
// receive them, handler errors are logged (never lost), and a reload ends the old version's subscriptions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { containerSource, writeRemoteEntry } from './support/fixture-remotes.js';
import { until } from './support/until.js';
import { hostFor, type HostFixture } from './support/with-host.js';

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

/** How long the replaced version is watched for an event it must no longer hear. */
const NO_OLD_LISTENER_WINDOW_MS = 100;

const seenLines = (host: HostFixture) => host.logs.filter((l) => typeof l.raw === 'string').map((l) => l.raw as string);

describe('local events', () => {
  it('announces writes to listeners and eventHandlers, reports handler errors, and ends subscriptions on reload', async (t) => {
    let remoteDir = '';
    const host = await hostFor(t, async ({ workDir }) => {
      remoteDir = await writeRemoteEntry(path.join(workDir, 'remote'), containerSource(models('v1')));
      return { remotes: [{ name: 'kit', kind: 'local', path: remoteDir }], env: { MICROLIB_DEV_MODE: 'true' } };
    });
    const api = '/microlib/api/models';
    const thing = (await host.request(`${api}/things`, { method: 'POST', body: { name: 'a' } })).body;
    await host.request(`${api}/things/${thing.id}`, { method: 'PATCH', body: { name: 'b' } });
    await host.request(`${api}/things/${thing.id}`, { method: 'DELETE' });
    await until(() => seenLines(host).includes(`v1 saw thingDeleted ${thing.id}`), 'the delete event', 5_000);
    assert.deepEqual(
      seenLines(host).filter((l) => l.startsWith('v1 saw thing')),
      [`v1 saw thingCreated ${thing.id}`, `v1 saw thingUpdated ${thing.id}`, `v1 saw thingDeleted ${thing.id}`],
      'created, updated and deleted, in order',
    );
    const watcher = (await host.request(`${api}/watchers`, { method: 'POST', body: {} })).body;
    assert.deepEqual(watcher.seen, ['thingCreated', 'thingUpdated', 'thingDeleted']);

    const marked = await host.request(`${api}/things`, { method: 'POST', body: { explode: true } });
    assert.equal(marked.status, 201, 'a failing handler does not fail the request');
    await until(() => host.logs.some((l) => l.msg === 'event handler failed'), 'the handler error in the log', 5_000);
    const failure = host.logs.find((l) => l.msg === 'event handler failed')!;
    assert.equal(failure.event, 'thingCreated');
    assert.match(JSON.stringify(failure.err), new RegExp(`handler exploded on ${marked.body.id}`));

    await writeRemoteEntry(remoteDir, containerSource(models('v2')));
    assert.equal((await host.request('/microlib/reload', { method: 'POST' })).status, 200);
    await until(() => seenLines(host).some((l) => l === 'v2 saw reload of kit' || l === 'v1 saw reload of kit'), 'the reload event', 5_000);
    const after = (await host.request(`${api}/things`, { method: 'POST', body: { name: 'c' } })).body;
    await until(() => seenLines(host).includes(`v2 saw thingCreated ${after.id}`), 'the new version hearing the event', 5_000);
    // Proving the old version does NOT hear the event needs a window: both versions' listeners
    // would hear it at once (the until() above saw the new one), so a silent window after that means none.
    await new Promise((r) => setTimeout(r, NO_OLD_LISTENER_WINDOW_MS));
    assert.ok(!seenLines(host).includes(`v1 saw thingCreated ${after.id}`), 'the replaced version no longer listens');
  });
});
