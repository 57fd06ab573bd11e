// Readiness follows the remotes: /microlib/ready answers 503 while a remote of remoteEntries.js has
// never loaded, naming it and its error, and 200 once it loads (no restart); READY_REMOTES=any is
// satisfied by one loaded remote. A remote whose models all run on another node counts once loaded.
// With no model served, /microlib/api/config says why.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { containerSource, localModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';

const things = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;
const gadgets = `[{ modelName: 'gadget', endpoint: 'gadgets', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;

interface Ready {
  ready: boolean;
  reason?: string;
  notLoaded?: Array<{ remote: string; status: string; error: string | null }>;
}

describe('readiness and the remotes of remoteEntries.js', () => {
  let running: InProcessHost | undefined;
  let root = '';
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await rm(root, { recursive: true, force: true });
  });

  /** `kit` serves things; `late` is a build that does not evaluate. */
  const start = async (options: { withKit: boolean; env?: Record<string, string>; placements?: Record<string, unknown> }) => {
    root = await mkdtemp(path.join(os.tmpdir(), 'microlib-ready-'));
    const late = { name: 'late', kind: 'local', path: await writeRemoteEntry(path.join(root, 'late'), 'module.exports = {{{ not javascript') };
    const remotes = options.withKit ? [await localModelsRemote(root, things), late] : [late];
    running = await startInProcessHost({ remotes, env: { MICROLIB_DEV_MODE: 'true', ...options.env }, ...(options.placements ? { placements: options.placements } : {}) });
    return late.path;
  };
  const ready = async () => {
    const answer = await running!.inject('/microlib/ready');
    return { status: answer.status, body: answer.json<Ready>() };
  };

  it('answers 503 naming the remote that never loaded and its error, then 200 once it loads', async () => {
    const lateDir = await start({ withKit: true });
    const before = await ready();
    assert.equal(before.status, 503);
    assert.equal(before.body.ready, false);
    assert.deepEqual(before.body.notLoaded?.map((r) => [r.remote, r.status]), [['late', 'failed']]);
    assert.match(before.body.notLoaded![0]!.error ?? '', /SyntaxError|Unexpected/);
    assert.match(before.body.reason ?? '', /remote "late" has not loaded: .*(SyntaxError|Unexpected)/);
    assert.equal((await running!.inject('/microlib/api/models/things')).status, 200, 'the loaded remote still serves');

    await writeRemoteEntry(lateDir, containerSource(gadgets));
    const reloaded = await running!.inject({ method: 'POST', url: '/microlib/reload', body: { remote: 'late' } });
    assert.equal(reloaded.status, 200, reloaded.body);
    assert.deepEqual(await ready(), { status: 200, body: { ready: true } });
  });

  it('with READY_REMOTES=any is ready once one remote has loaded, and still lists the others', async () => {
    await start({ withKit: true, env: { READY_REMOTES: 'any' } });
    const answer = await ready();
    assert.equal(answer.status, 200);
    assert.equal(answer.body.ready, true);
    assert.deepEqual(answer.body.notLoaded?.map((r) => r.remote), ['late']);
  });

  it('with READY_REMOTES=any is still not ready when no remote has loaded', async () => {
    await start({ withKit: false, env: { READY_REMOTES: 'any' } });
    assert.equal((await ready()).status, 503);
  });

  it('says in /microlib/api/config why no model is served: each remote not loaded and its error', async () => {
    await start({ withKit: false });
    const config = (await running!.inject('/microlib/api/config')).json<{ models: unknown[]; reason?: string; remotes?: Array<{ name: string; status: string; version: string | null; error: string | null }> }>();
    assert.deepEqual(config.models, []);
    assert.match(config.reason ?? '', /remote "late" has not loaded: .*(SyntaxError|Unexpected)/);
    assert.deepEqual(config.remotes?.map((r) => [r.name, r.status, r.version]), [['late', 'failed', null]]);
    assert.match(config.remotes?.[0]?.error ?? '', /SyntaxError|Unexpected/);
  });

  it('counts a remote whose models all run on another node as loaded, and says so when no model is served here', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'microlib-ready-'));
    running = await startInProcessHost({
      remotes: [await localModelsRemote(root, things)],
      placements: { here: { models: ['other'], nodes: ['http://127.0.0.1:8'] }, elsewhere: { models: ['thing'], nodes: ['http://127.0.0.1:9'] } },
      env: { MICROLIB_PLACEMENT: 'here' },
    });
    assert.deepEqual(await ready(), { status: 200, body: { ready: true } });
    const config = (await running.inject('/microlib/api/config')).json<{ models: unknown[]; reason?: string }>();
    assert.deepEqual(config.models, []);
    assert.match(config.reason ?? '', /"kit" loaded but serves no model on this host/);
  });
});
