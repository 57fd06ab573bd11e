// Canaries (issue 17): a second version of a local remote served beside the stable one. Requests
// split by weight (within ±3 points over 2,000 requests), sticky keys keep their version until
// promotion, X-Microlib-Version pins one; a model the canary adds is served only by it, one it
// drops only by the stable version; promote and abort; in-flight requests finish on their version;
// a build that fails to load is refused with 422 and changes nothing; the per-version tally counts
// the canary's failures; bad input is refused naming the field.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { containerOf, localModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';
import { until } from './support/until.js';

const spec = (name: string, endpoint: string, factory = '() => (x) => ({ ...x })') => `{ modelName: '${name}', endpoint: '${endpoint}', datasource: 'memory', factory: ${factory} }`;
const V1 = `[${spec('thing', 'things')}, ${spec('gadget', 'gadgets')}]`;
/** Drops gadget, adds widget. */
const V2 = `[${spec('thing', 'things', '() => (x) => ({ ...x, v: 2 })')}, ${spec('widget', 'widgets')}]`;

interface RemoteListing {
  name: string;
  version: string;
  previousVersions: Array<{ version: string }>;
  canary: null | {
    version: string;
    stableVersion: string;
    weight: number;
    sticky: unknown;
    mode: string;
    startedAt: string;
    stats: Record<'stable' | 'canary', { version: string; requests: number; errors: number; serverErrors: number; modelFailures: number; clientErrors: number; p99Ms: number | null }>;
  };
}

describe('canaries', () => {
  let running: InProcessHost | undefined;
  let root = '';
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await rm(root, { recursive: true, force: true });
    delete (globalThis as Record<string, unknown>).__canaryEntered;
    delete (globalThis as Record<string, unknown>).__canaryRelease;
  });

  /** A host serving `kit` at V1 (things, gadgets), then V2 written to its folder (not loaded). */
  const start = async (next = V2, env: Record<string, string> = {}): Promise<string> => {
    root = await mkdtemp(path.join(os.tmpdir(), 'microlib-canary-'));
    const remote = await localModelsRemote(root, V1);
    running = await startInProcessHost({ remotes: [remote], env: { MICROLIB_DEV_MODE: 'true', ...env } });
    await writeRemoteEntry(remote.path, containerOf({ './models': next }));
    return remote.path;
  };
  const host = () => running!;
  const post = (url: string, body?: unknown) => host().inject({ method: 'POST', url, ...(body !== undefined ? { body } : {}) });
  const listing = async (): Promise<RemoteListing> => (await host().inject('/microlib/api/remotes')).json<{ remotes: RemoteListing[] }>().remotes[0]!;
  const versionOf = (answer: { headers: Record<string, unknown> }) => String(answer.headers['x-microlib-version']).split('@')[1]!;
  const get = (url: string, headers: Record<string, string> = {}) => host().inject({ url, headers });

  it('splits by weight, keeps sticky keys on one version until promotion, honours the override header, and serves added and dropped models from the version that has them', async () => {
    await start();
    const v1 = (await listing()).version;

    // Dropping gadget is refused as a reload would refuse it: nothing changes.
    const refused = await post('/microlib/api/remotes/kit/canary', { weight: 20 });
    assert.equal(refused.status, 422, refused.body);
    assert.equal(refused.json<{ error: { code: string; message: string } }>().error.code, 'MLB_ERR_LOAD_FAILED');
    assert.match(refused.json<{ error: { message: string } }>().error.message, /no longer exports model "gadget"/);
    assert.equal((await listing()).canary, null);

    const started = await post('/microlib/api/remotes/kit/canary', { weight: 20, allowRemove: true, sticky: { header: 'X-User' } });
    assert.equal(started.status, 200, started.body);
    const canary = started.json<{ canary: { outcome: string; canary: string; stable: string } }>().canary;
    assert.equal(canary.outcome, 'started');
    assert.equal(canary.stable, v1);
    const v2 = canary.canary;
    assert.notEqual(v2, v1);

    // Without a key: a draw by weight.
    let toCanary = 0;
    const draws = 2_000;
    for (let i = 0; i < draws; i++) if (versionOf(await get('/microlib/api/models/things')) === v2) toCanary++;
    assert.ok(Math.abs((100 * toCanary) / draws - 20) <= 3, `${toCanary} of ${draws} requests went to the canary at weight 20`);

    // With a key: one version per key, for every request of it.
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const firstVersion = new Map<string, string>();
    for (let round = 0; round < 5; round++) {
      for (const key of keys) {
        const version = versionOf(await get('/microlib/api/models/things', { 'x-user': key }));
        if (round === 0) firstVersion.set(key, version);
        else assert.equal(version, firstVersion.get(key), `${key} kept its version`);
      }
    }
    const stickyShare = [...firstVersion.values()].filter((v) => v === v2).length / keys.length;
    assert.ok(stickyShare > 0.1 && stickyShare < 0.3, `${stickyShare} of the keys on the canary at weight 20`);

    // Raising the weight moves keys to the canary only, never back.
    const patched = await host().inject({ method: 'PATCH', url: '/microlib/api/remotes/kit/canary', body: { weight: 60 } });
    assert.equal(patched.status, 200, patched.body);
    let moved = 0;
    for (const key of keys) {
      const version = versionOf(await get('/microlib/api/models/things', { 'x-user': key }));
      if (firstVersion.get(key) === v2) assert.equal(version, v2, `${key} stays on the canary as the weight rises`);
      else if (version === v2) moved++;
    }
    assert.ok(moved > 0, 'some keys moved to the canary at weight 60');

    // The override header pins a version, by a prefix or as responses name it.
    assert.equal(versionOf(await get('/microlib/api/models/things', { 'x-microlib-version': v1.slice(0, 12) })), v1);
    assert.equal(versionOf(await get('/microlib/api/models/things', { 'x-microlib-version': `kit@${v2.slice(0, 12)}` })), v2);
    const unknown = await get('/microlib/api/models/things', { 'x-microlib-version': 'zzz' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json<{ error: { field: string } }>().error.field, 'X-Microlib-Version');
    assert.match(unknown.json<{ error: { message: string } }>().error.message, /x-microlib-version "zzz" names neither version/);

    // Added: only the canary serves it; dropped: only the stable version does.
    for (let i = 0; i < 20; i++) assert.equal(versionOf(await get('/microlib/api/models/widgets')), v2);
    for (let i = 0; i < 20; i++) assert.equal(versionOf(await get('/microlib/api/models/gadgets')), v1);
    assert.equal((await get('/microlib/api/models/widgets', { 'x-microlib-version': v1.slice(0, 12) })).status, 404, 'the stable version has no widgets');
    const created = await post('/microlib/api/models/things', {});
    assert.equal(created.status, 201);

    const during = await listing();
    assert.equal(during.version, v1, 'the stable version is still the remote\'s version');
    assert.equal(during.canary?.version, v2);
    assert.equal(during.canary?.weight, 60);
    assert.deepEqual(during.canary?.sticky, { header: 'x-user' });
    assert.equal(during.canary?.mode, 'canary');
    assert.ok(Date.parse(during.canary!.startedAt) > 0);
    assert.ok(during.canary!.stats.canary.requests >= toCanary + 20, 'the canary\'s requests are counted');
    assert.ok(during.canary!.stats.stable.requests >= draws - toCanary + 20, 'the stable version\'s too');
    assert.equal(during.canary!.stats.canary.errors, 0);
    assert.equal(typeof during.canary!.stats.canary.p99Ms, 'number');

    // A reload or a rollback while it runs: refused, naming the canary.
    const reload = await post('/microlib/reload?remote=kit');
    assert.equal(reload.status, 409);
    assert.match(reload.body, new RegExp(`runs a canary of ${v2}`));
    assert.equal((await post('/microlib/api/remotes/kit/rollback')).status, 409);

    const promoted = await post('/microlib/api/remotes/kit/promote');
    assert.equal(promoted.status, 200, promoted.body);
    assert.equal(promoted.json<{ canary: { outcome: string; stable: string } }>().canary.stable, v2);
    for (const key of keys.slice(0, 50)) assert.equal(versionOf(await get('/microlib/api/models/things', { 'x-user': key })), v2, 'every key is on the promoted version');
    assert.equal((await get('/microlib/api/models/gadgets')).status, 404, 'the dropped model goes at promotion');
    const after = await listing();
    assert.equal(after.version, v2);
    assert.equal(after.canary, null);
    assert.equal(after.previousVersions[0]?.version, v1);
    assert.equal((await get(`/microlib/api/models/things/${created.json<{ id: string }>().id}`)).status, 200, 'both versions use the same datasource');
  });

  it('lets in-flight requests finish on the version they started on when the canary is aborted', async () => {
    const slow = spec('thing', 'things', '() => async (x) => { globalThis.__canaryEntered = true; await new Promise((r) => { globalThis.__canaryRelease = r; }); return { ...x, v: 2 }; }');
    await start(`[${slow}, ${spec('gadget', 'gadgets')}]`, { REMOTE_ISOLATION: 'none' });
    const v1 = (await listing()).version;
    const started = await post('/microlib/api/remotes/kit/canary', { weight: 0 });
    assert.equal(started.status, 200, started.body);
    const v2 = started.json<{ canary: { canary: string } }>().canary.canary;
    assert.equal(versionOf(await get('/microlib/api/models/things')), v1, 'weight 0: the canary gets no unpinned request');

    const inFlight = host().inject({ method: 'POST', url: '/microlib/api/models/things', headers: { 'x-microlib-version': v2 }, body: {} });
    await until(() => (globalThis as Record<string, unknown>).__canaryEntered === true, 'the canary to start answering');
    const aborted = await post('/microlib/api/remotes/kit/abort');
    assert.equal(aborted.status, 200, aborted.body);
    assert.equal(aborted.json<{ canary: { outcome: string } }>().canary.outcome, 'aborted');
    assert.equal(versionOf(await get('/microlib/api/models/things')), v1);
    assert.equal((await get('/microlib/api/models/things', { 'x-microlib-version': v2 })).status, 200, 'no canary runs: the header is not read');
    assert.equal((await listing()).canary, null);
    ((globalThis as Record<string, unknown>).__canaryRelease as () => void)();
    const answer = await inFlight;
    assert.equal(answer.status, 201, answer.body);
    assert.equal(versionOf(answer), v2, 'the request finished on the canary');
    assert.equal(answer.json<{ v: number }>().v, 2);
    await until(() => host().logs.some((l) => l.msg === 'canary aborted'), 'the abort log line');
  });

  it('refuses a canary whose build fails to load (422) and changes nothing', async () => {
    const dir = await start();
    const v1 = (await listing()).version;
    await writeRemoteEntry(dir, 'module.exports = {{ broken');
    const broken = await post('/microlib/api/remotes/kit/canary', { weight: 50 });
    assert.equal(broken.status, 422, broken.body);
    assert.match(broken.json<{ error: { message: string } }>().error.message, /evaluate failed/);
    await writeRemoteEntry(dir, containerOf({ './models': `[${spec('thing', 'things', '() => { throw new Error("no factory today"); }')}, ${spec('gadget', 'gadgets')}]` }));
    const throwing = await post('/microlib/api/remotes/kit/canary', { weight: 50 });
    assert.equal(throwing.status, 422, throwing.body);
    assert.match(throwing.json<{ error: { message: string } }>().error.message, /no factory today/);
    const after = await listing();
    assert.equal(after.canary, null);
    assert.equal(after.version, v1);
    for (let i = 0; i < 20; i++) assert.equal(versionOf(await get('/microlib/api/models/things')), v1);
  });

  it('counts the server errors and model failures of a canary whose factory throws, and none on the stable version', async () => {
    // A create function that throws (a model failure, answered 400), or returns an object whose getter throws (a 500).
    const failing = spec('thing', 'things', '() => (x) => { if (x.getter) return { get broken() { throw new Error("getter"); } }; throw new Error("v2 is broken"); }');
    // In the host's thread (isolation none): a worker would read the getter while sending the object back.
    await start(`[${failing}, ${spec('gadget', 'gadgets')}]`, { REMOTE_ISOLATION: 'none' });
    const started = await post('/microlib/api/remotes/kit/canary', { weight: 50 });
    assert.equal(started.status, 200, started.body);
    const statuses = { stable: 0, canary: 0 };
    const canaryStatuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      const answer = await post('/microlib/api/models/things', i % 2 === 0 ? {} : { getter: true });
      if (answer.status === 201) statuses.stable++;
      else {
        statuses.canary++;
        canaryStatuses.push(answer.status);
      }
    }
    assert.ok(statuses.canary > 20 && statuses.stable > 20, JSON.stringify(statuses));
    const stats = (await listing()).canary!.stats;
    assert.equal(stats.stable.errors, 0);
    assert.equal(stats.stable.requests, statuses.stable);
    assert.equal(stats.canary.requests, statuses.canary);
    assert.equal(stats.canary.errors, statuses.canary, 'every failed request of the canary counts');
    assert.equal(stats.canary.serverErrors, canaryStatuses.filter((s) => s >= 500).length);
    assert.equal(stats.canary.modelFailures, canaryStatuses.filter((s) => s < 500).length);
    assert.ok(stats.canary.serverErrors > 0 && stats.canary.modelFailures > 0, JSON.stringify(stats.canary));
    assert.equal(stats.canary.clientErrors, 0);
  });

  it('refuses bad input naming the field, and nothing changes', async () => {
    await start(`[${spec('thing', 'things', '() => (x) => ({ ...x, v: 2 })')}, ${spec('gadget', 'gadgets')}]`);
    const v1 = (await listing()).version;
    const refusal = async (status: number, answer: Promise<{ status: number; body: string; json<T>(): T }>, field?: string, message?: RegExp) => {
      const a = await answer;
      assert.equal(a.status, status, a.body);
      const error = a.json<{ error: { field?: string; message: string } }>().error;
      if (field !== undefined) assert.equal(error.field, field, a.body);
      if (message) assert.match(error.message, message);
    };
    await refusal(404, post('/microlib/api/remotes/nope/canary', { weight: 10 }), undefined, /no remote named "nope"/);
    for (const weight of [101, -1, 2.5, '10', null]) await refusal(400, post('/microlib/api/remotes/kit/canary', { weight }), 'weight', /weight must be an integer from 0 to 100/);
    await refusal(400, post('/microlib/api/remotes/kit/canary', {}), 'weight', /weight is required/);
    await refusal(400, post('/microlib/api/remotes/kit/canary', { weight: 10, wieght: 10 }), 'wieght');
    await refusal(400, post('/microlib/api/remotes/kit/canary', { weight: 10, ref: 'main', version: 'abc' }), 'ref');
    await refusal(400, post('/microlib/api/remotes/kit/canary', { weight: 10, ref: 'main' }), 'ref', /GitHub sources/);
    await refusal(400, post('/microlib/api/remotes/kit/canary', { weight: 10, sticky: { header: 'a b' } }), 'sticky.header');
    await refusal(400, post('/microlib/api/remotes/kit/canary', { weight: 10, sticky: { cookie: 's', header: 'x' } }), 'sticky');
    await refusal(400, post('/microlib/api/remotes/kit/canary', { weight: 10, mode: 'blue-green' }), 'mode');
    await refusal(404, post('/microlib/api/remotes/kit/canary', { weight: 10, version: 'sha256-nothing' }), 'version', /keeps no version "sha256-nothing"/);
    await refusal(409, post('/microlib/api/remotes/kit/canary', { weight: 10, version: v1 }), 'version', /already serves/);
    await refusal(409, host().inject({ method: 'PATCH', url: '/microlib/api/remotes/kit/canary', body: { weight: 10 } }), undefined, /runs no canary/);
    await refusal(409, post('/microlib/api/remotes/kit/promote'), undefined, /runs no canary/);
    await refusal(409, post('/microlib/api/remotes/kit/abort'), undefined, /runs no canary/);
    assert.equal((await listing()).canary, null);

    const started = await post('/microlib/api/remotes/kit/canary', { weight: 10, mode: 'ab', sticky: { cookie: 'session' } });
    assert.equal(started.status, 200, started.body);
    const v2 = started.json<{ canary: { canary: string } }>().canary.canary;
    // Posting again with only a weight changes it; another version is a second canary.
    const again = await post('/microlib/api/remotes/kit/canary', { weight: 30 });
    assert.equal(again.status, 200, again.body);
    assert.equal(again.json<{ canary: { outcome: string; split: { weight: number } } }>().canary.outcome, 'updated');
    await refusal(409, post('/microlib/api/remotes/kit/canary', { weight: 10, version: v1.slice(0, 20) }), undefined, /already runs a canary/);
    await refusal(400, host().inject({ method: 'PATCH', url: '/microlib/api/remotes/kit/canary', body: { weight: 1000 } }), 'weight');
    await refusal(400, host().inject({ method: 'PATCH', url: '/microlib/api/remotes/kit/canary', body: {} }), 'weight', /nothing to change/);
    const during = await listing();
    assert.equal(during.canary?.version, v2);
    assert.equal(during.canary?.weight, 30);
    assert.equal(during.canary?.mode, 'ab');
    assert.deepEqual(during.canary?.sticky, { cookie: 'session' });
    // The cookie keeps a user on one version.
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add(versionOf(await get('/microlib/api/models/things', { cookie: 'theme=dark; session=abc123' })));
    assert.equal(seen.size, 1, 'one version for one session cookie');
  });

  it('needs the admin credential, as a rollback does', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'microlib-canary-'));
    running = await startInProcessHost({ remotes: [await localModelsRemote(root, V1)], env: { ADMIN_TOKEN: 'a-long-enough-admin-token-for-tests-123456' } });
    const anonymous = await post('/microlib/api/remotes/kit/canary', { weight: 10 });
    assert.equal(anonymous.status, 401);
    for (const action of ['promote', 'abort']) assert.equal((await post(`/microlib/api/remotes/kit/${action}`)).status, 401);
    const admitted = await host().inject({ method: 'POST', url: '/microlib/api/remotes/kit/abort', headers: { authorization: 'Bearer a-long-enough-admin-token-for-tests-123456' } });
    assert.equal(admitted.status, 409, 'admitted, and refused only because no canary runs');
  });
});
