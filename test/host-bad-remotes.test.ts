// Broken remotes never stop the host: it starts, serves the good remote, and reports each bad one clearly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { exampleRemoteDist } from './support/host-process.js';
import { startStaticServer, type StaticServer } from './support/static-server.js';
import { containerSource, throwingModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { withHost } from './support/with-host.js';

describe('bad remotes', () => {
  let empty: StaticServer;
  const host = withHost(async ({ workDir, defer }) => {
    empty = await startStaticServer(path.join(workDir, 'nothing-here'));
    defer(() => empty.close());
    const hung = await startStaticServer(workDir, { hang: true });
    defer(() => hung.close());
    const fixtures = path.join(workDir, 'fixtures');
    const remotes = [
      { name: 'good', kind: 'local', path: exampleRemoteDist },
      { name: 'missing', kind: 'http', url: empty.url },
      { name: 'syntax', kind: 'local', path: await writeRemoteEntry(path.join(fixtures, 'syntax'), 'module.exports = {{{ not javascript') },
      { name: 'throws', kind: 'local', path: await throwingModelsRemote(path.join(fixtures, 'throws'), 'models exploded') },
      { name: 'hangs', kind: 'http', url: hung.url },
      {
        name: 'badspec',
        kind: 'local',
        path: await writeRemoteEntry(path.join(fixtures, 'badspec'), containerSource(`[{ modelName: 'widget', endpoint: 'Bad Endpoint!', factory: () => (x) => x }]`)),
      },
      {
        name: 'misspelt',
        kind: 'local',
        path: await writeRemoteEntry(path.join(fixtures, 'misspelt'), containerSource(`[{ modelName: 'gadget', endpoint: 'gadgets', feilds: {}, factory: () => (x) => x }]`)),
      },
      { name: 'notcontainer', kind: 'local', path: await writeRemoteEntry(path.join(fixtures, 'notcontainer'), 'module.exports = 42;') },
      {
        name: 'clash',
        kind: 'local',
        path: await writeRemoteEntry(path.join(fixtures, 'clash'), containerSource(`[{ modelName: 'order2', endpoint: 'orders', factory: () => (x) => x }]`)),
      },
    ];
    return { remotes, env: { FETCH_TIMEOUT_MS: '1500', LOAD_TIMEOUT_MS: '5000' } };
  });

  it('starts within the timeouts and serves the good remote', async () => {
    // From the host's first log line to its listening line, by the times it logged.
    const listening = host.logs.find((line) => String(line.msg).startsWith('listening'))!;
    const startedIn = Date.parse(String(listening.time)) - Date.parse(String(host.logs[0]!.time));
    assert.ok(startedIn < 15_000, `started in ${startedIn} ms`);
    const res = await host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: 'A', lastName: 'B', email: 'a@b.co' } });
    assert.equal(res.status, 201);
  });

  it('reports each bad remote with a clear reason', async () => {
    const { body } = await host.request('/microlib/api/remotes');
    const byName = Object.fromEntries(body.remotes.map((r: { name: string }) => [r.name, r])) as Record<string, { status: string; lastError: { message: string } | null; version: string | null }>;
    assert.equal(byName.good!.status, 'ready');
    assert.equal(byName.good!.lastError, null);
    const expectations: Record<string, RegExp> = {
      missing: /404/,
      syntax: /SyntaxError|Unexpected/,
      throws: /models exploded/,
      hangs: /timed out after 1500 ms/,
      badspec: /endpoint/,
      misspelt: /model spec "gadget": unknown key "feilds" in the spec; did you mean "fields"\?/,
      notcontainer: /does not export a federation container/,
      clash: /endpoint "orders" is already served by remote "good"|already served/,
    };
    for (const [name, pattern] of Object.entries(expectations)) {
      const state = byName[name]!;
      assert.equal(state.status, 'failed', `${name} should have failed`);
      assert.match(state.lastError?.message ?? '', pattern, `${name}: ${state.lastError?.message}`);
      assert.match(state.lastError?.message ?? '', new RegExp(`remote "${name}"`), 'the message names the remote');
      assert.equal(state.version, null);
    }
    const logged = host.logs.filter((l) => l.msg === 'remote failed to load').map((l) => l.remote).sort();
    assert.deepEqual(logged, Object.keys(expectations).sort());
  });

  it('never evaluates a 404 page as code', () => {
    assert.ok(empty.requests.includes('/remoteEntry.js'));
  });
});
