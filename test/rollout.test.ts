// Automatic rollouts (issue 17): a remote with `rollout` in remoteEntries.js starts each new version
// as a canary at the first step. Under concurrent load a build whose create function throws on every
// call is rolled back by the analysis (failed requests about the canary's share of the window, none
// after, none on the stable version); a good build walks its steps and is promoted; the split holds
// within ±3 points of the step's weight over 2,000 requests, and a weight set by hand holds; a host
// restart resumes the rollout at its step (or rolls it back with onRestart: 'rollback'); a bad
// rollout refuses the host's start naming the field. Every change is a broker event and a history entry.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DomainEvent } from '../src/domain/events/index.js';
import { containerOf, localModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';
import { until } from './support/until.js';

const spec = (factory: string) => `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: ${factory} }]`;
const V1 = spec('() => (x) => ({ ...x, v: 1 })');
const GOOD = spec('() => (x) => ({ ...x, v: 2 })');
/** Loads and activates (the factory runs), then fails every create. */
const BROKEN = spec('() => () => { throw new Error("v2 is broken"); }');

interface Summary {
  requests: number;
  errors: number;
  errorRate: number;
}
interface Record_ {
  reason: string;
  outcome: string;
  trigger: string;
  from: string | null;
  to: string | null;
  attempted: string;
  weight: number;
  step?: { number: number; of: number };
  error?: string;
  analysis?: { stable: Summary; canary: Summary };
}
interface Listing {
  version: string;
  canary: null | {
    version: string;
    weight: number;
    auto: boolean;
    rollout: null | { step: number; steps: number[]; stepStartedAt: string; analysis: null | { verdict: string; reason: string } };
  };
  lastRollout: null | (Record_ & { at: string });
  reloads: Array<{ reason: string; outcome: string }>;
}

interface Answer {
  status: number;
  version: string | undefined;
  /** performance.now() when the request was sent. */
  sent: number;
}

describe('automatic rollouts', () => {
  let running: InProcessHost | undefined;
  let root = '';
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await rm(root, { recursive: true, force: true });
  });

  const host = () => running!;
  const listing = async (): Promise<Listing> => (await host().inject('/microlib/api/remotes')).json<{ remotes: Listing[] }>().remotes[0]!;
  const versionOf = (answer: { headers: Record<string, unknown> }) => (answer.headers['x-microlib-version'] === undefined ? undefined : String(answer.headers['x-microlib-version']).split('@')[1]);
  const reload = async () => {
    const answer = await host().inject({ method: 'POST', url: '/microlib/reload?remote=kit' });
    assert.equal(answer.status, 200, answer.body);
    return answer.json<{ results: Array<{ outcome: string; canary?: { version: string; weight: number } }> }>().results[0]!;
  };

  /** A host serving `kit` at V1 with `rollout`, and `next` written to its folder (not loaded); DATA_DIR and the cache outlive the host. */
  const start = async (rollout: unknown, next: string): Promise<{ remote: Record<string, unknown>; env: Record<string, string> }> => {
    root = await mkdtemp(path.join(os.tmpdir(), 'microlib-rollout-'));
    const remote = { ...(await localModelsRemote(root, V1)), rollout };
    const env = { MICROLIB_DEV_MODE: 'true', REMOTE_ISOLATION: 'none', DATA_DIR: path.join(root, 'data'), REMOTE_CACHE_DIR: path.join(root, 'cache') };
    running = await startInProcessHost({ remotes: [remote], env });
    await writeRemoteEntry(remote.path, containerOf({ './models': next }));
    return { remote, env };
  };

  /** Broker events of canaries, as they come. */
  const watchEvents = (): DomainEvent[] => {
    const seen: DomainEvent[] = [];
    host().host.events.subscribe('canary*', (event) => void seen.push(event));
    return seen;
  };

  /** `concurrency` loops sending requests until `done()` (bounded by `max` requests and `ms`). */
  async function load(request: () => Promise<{ status: number; headers: Record<string, unknown> }>, done: () => boolean, { concurrency = 8, max = 300_000, ms = 30_000 } = {}): Promise<Answer[]> {
    const answers: Answer[] = [];
    const deadline = Date.now() + ms;
    let sent = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (!done() && sent < max && Date.now() < deadline) {
          sent++;
          const at = performance.now();
          const answer = await request();
          answers.push({ status: answer.status, version: versionOf(answer), sent: at });
          // inject answers without I/O: give the event loop (and the analysis timer) a turn, as a socket would.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    return answers;
  }
  const create = () => host().inject({ method: 'POST', url: '/microlib/api/models/things', body: {} });
  const list = () => host().inject('/microlib/api/models/things');

  it('rolls back a build that fails every request, under concurrent load: failures only on the canary, about its share of the window, none after', async () => {
    const weight = 10;
    await start({ steps: [weight, 50, 100], stepSeconds: 60, maxErrorRate: 0.05, minRequests: 20 }, BROKEN);
    const v1 = (await listing()).version;
    const events = watchEvents();
    let reloadSent = 0;
    let rolledBackAt = 0;
    host().host.events.subscribe('canaryRolledBack', () => void (rolledBackAt = performance.now()));

    let answered = 0;
    let afterRollback = 0;
    const loading = load(async () => {
      const answer = await create();
      answered++;
      if (rolledBackAt > 0) afterRollback++;
      return answer;
    }, () => afterRollback >= 400);
    await until(() => answered >= 100, 'the load to start');
    reloadSent = performance.now();
    const result = await reload();
    assert.equal(result.outcome, 'unchanged', 'the stable version still serves');
    assert.equal(result.canary?.weight, weight, 'the new version started as a canary at the first step');
    const v2 = result.canary!.version;
    const answers = await loading;
    assert.ok(rolledBackAt > 0, 'the rollout was rolled back');

    const failed = answers.filter((a) => a.status >= 400);
    const window = answers.filter((a) => a.sent >= reloadSent && a.sent < rolledBackAt);
    assert.ok(failed.length >= 20, `${failed.length} requests failed: the canary answered minRequests before it was judged`);
    assert.deepEqual(failed.filter((a) => a.sent < reloadSent), [], 'nothing failed before the rollout');
    assert.deepEqual(failed.filter((a) => a.sent >= rolledBackAt), [], 'nothing failed once it was rolled back');
    const allowed = Math.ceil((weight / 100) * window.length + 3 * Math.sqrt(window.length * 0.09) + 5);
    assert.ok(failed.length <= allowed, `${failed.length} of ${window.length} requests in the window failed: at most about ${weight} % (${allowed}) may`);
    assert.ok(answers.filter((a) => a.status < 400).every((a) => a.version === v1), 'every request that succeeded was the stable version\'s');
    assert.ok(answers.filter((a) => a.sent >= rolledBackAt).length >= 300, 'the load went on after the rollback');

    const after = await listing();
    assert.equal(after.version, v1);
    assert.equal(after.canary, null);
    const last = after.lastRollout!;
    assert.equal(last.outcome, 'rolledBack');
    assert.equal(last.reason, 'rollout');
    assert.equal(last.attempted, v2);
    assert.match(last.error!, /error rate 100 % \(\d+ of \d+ requests: 0 server errors, \d+ model failures\) against 0 % on the stable version exceeds maxErrorRate 5 %/);
    assert.equal(last.analysis!.stable.errors, 0, 'no failure on the stable version');
    assert.ok(last.analysis!.canary.requests >= 20);
    assert.deepEqual(after.reloads.slice(0, 2).map((r) => `${r.reason} ${r.outcome}`), ['rollout rolledBack', 'rollout started']);
    assert.deepEqual(events.map((e) => e.eventName), ['canaryStarted', 'canaryRolledBack']);
    assert.equal((events[1]!.data as Record_).error, last.error);
    assert.ok(host().logs.some((l) => l.msg === 'rollout rolled back' && l.reason === last.error));
  });

  it('walks a good build through its steps and promotes it; the version then serves every request', async () => {
    await start({ steps: [10, 50, 100], stepSeconds: 1, minRequests: 20, maxP99Ratio: 5, minP99Ms: 20 }, GOOD);
    const v1 = (await listing()).version;
    const events = watchEvents();
    const result = await reload();
    const v2 = result.canary!.version;
    const promoted = () => events.some((e) => e.eventName === 'canaryPromoted');
    const answers = await load(list, promoted, { concurrency: 4 });
    assert.ok(promoted(), 'promoted within the time allowed');
    assert.deepEqual(answers.filter((a) => a.status !== 200), []);
    assert.ok(answers.some((a) => a.version === v1) && answers.some((a) => a.version === v2));

    assert.deepEqual(
      events.map((e) => `${e.eventName} ${(e.data as Record_).weight} ${(e.data as Record_).step?.number ?? '-'}`),
      ['canaryStarted 10 1', 'canaryStepped 50 2', 'canaryStepped 100 3', 'canaryPromoted 100 3'],
    );
    const stepped = events[1]!.data as Record_;
    assert.equal(stepped.trigger, 'rollout');
    assert.ok(stepped.analysis!.canary.requests >= 20 && stepped.analysis!.canary.errors === 0, JSON.stringify(stepped.analysis));
    const after = await listing();
    assert.equal(after.version, v2);
    assert.equal(after.canary, null);
    assert.equal(after.lastRollout?.outcome, 'promoted');
    assert.equal(after.lastRollout?.from, v1);
    assert.equal(after.lastRollout?.to, v2);
    assert.deepEqual(after.reloads.map((r) => `${r.reason} ${r.outcome}`).slice(0, 5), ['rollout promoted', 'promote reloaded', 'rollout stepped', 'rollout stepped', 'rollout started']);
    for (let i = 0; i < 200; i++) assert.equal(versionOf(await list()), v2);
  });

  it('splits within ±3 points of the step\'s weight over 2,000 requests; a weight set by hand holds until "auto" hands it back', async () => {
    await start({ steps: [30, 70, 100], stepSeconds: 3600, minRequests: 1_000_000 }, GOOD);
    const result = await reload();
    const v2 = result.canary!.version;
    const draws = 2_000;
    let toCanary = 0;
    for (let i = 0; i < draws; i++) if (versionOf(await list()) === v2) toCanary++;
    assert.ok(Math.abs((100 * toCanary) / draws - 30) <= 3, `${toCanary} of ${draws} requests went to the canary at step weight 30`);
    await until(async () => (await listing()).canary?.rollout?.analysis ?? undefined, 'an analysis');
    const during = (await listing()).canary!;
    assert.equal(during.auto, true);
    assert.equal(during.rollout?.step, 1);
    assert.deepEqual(during.rollout?.steps, [30, 70, 100]);
    assert.equal(during.rollout?.analysis?.verdict, 'wait');
    assert.match(during.rollout!.analysis!.reason, /of the 1000000 canary requests a step needs/);

    // A manual weight holds (no stepping); "auto" hands it back to the rollout at the first step at or above it.
    const held = await host().inject({ method: 'PATCH', url: '/microlib/api/remotes/kit/canary', body: { weight: 50 } });
    assert.equal(held.status, 200, held.body);
    const manual = (await listing()).canary!;
    assert.deepEqual([manual.weight, manual.auto, manual.rollout], [50, false, null]);
    const auto = await host().inject({ method: 'PATCH', url: '/microlib/api/remotes/kit/canary', body: { auto: true } });
    assert.equal(auto.status, 200, auto.body);
    const handed = (await listing()).canary!;
    assert.deepEqual([handed.weight, handed.auto, handed.rollout?.step], [70, true, 2]);
    const bad = await host().inject({ method: 'POST', url: '/microlib/api/remotes/kit/canary', body: { auto: true, weight: 5 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json<{ error: { field: string } }>().error.field, 'weight');
  });

  it('resumes a rollout at its step after a restart, and rolls it back instead with onRestart: rollback', async () => {
    const rollout = { steps: [10, 40, 100], stepSeconds: 1, minRequests: 30, maxP99Ratio: 5, minP99Ms: 20 };
    const { remote, env } = await start(rollout, GOOD);
    const v1 = (await listing()).version;
    const v2 = (await reload()).canary!.version;
    // Load until the second step; then no request reaches minRequests, so the rollout stays there.
    let second = false;
    host().host.events.subscribe('canaryStepped', () => void (second = true));
    await load(list, () => second, { concurrency: 4 });
    assert.ok(second, 'reached the second step');
    const before = (await listing()).canary!;
    assert.deepEqual([before.weight, before.rollout?.step], [40, 2]);

    await running!.stop();
    running = await startInProcessHost({ remotes: [remote], env });
    const resumed = await listing();
    assert.equal(resumed.version, v1, 'the stable version is the one the rollout ran beside');
    assert.equal(resumed.canary?.version, v2);
    assert.deepEqual([resumed.canary?.weight, resumed.canary?.rollout?.step], [40, 2]);
    assert.equal(resumed.canary?.rollout?.stepStartedAt, before.rollout?.stepStartedAt);
    assert.ok(host().logs.some((l) => l.msg === 'canary resumed' && l.step === 2));
    const events = watchEvents();
    await load(list, () => events.some((e) => e.eventName === 'canaryPromoted'), { concurrency: 4 });
    assert.deepEqual(events.map((e) => `${e.eventName} ${(e.data as Record_).weight}`), ['canaryStepped 100', 'canaryPromoted 100'], 'it went on from the second step');
    assert.equal((await listing()).version, v2);

    // The next version, interrupted by a restart of a host whose rollout says onRestart: rollback.
    await writeRemoteEntry(remote.path as string, containerOf({ './models': spec('() => (x) => ({ ...x, v: 3 })') }));
    const v3 = (await reload()).canary!.version;
    await running!.stop();
    running = await startInProcessHost({ remotes: [{ ...remote, rollout: { ...rollout, onRestart: 'rollback' } }], env });
    const rolledBack = await listing();
    assert.equal(rolledBack.version, v2);
    assert.equal(rolledBack.canary, null);
    assert.equal(rolledBack.lastRollout?.outcome, 'rolledBack');
    assert.equal(rolledBack.lastRollout?.attempted, v3);
    assert.match(rolledBack.lastRollout!.error!, /the host restarted during the rollout \(at step 1, 10 %\) and the remote's rollout says onRestart: 'rollback'/);
    await running!.stop();
    running = await startInProcessHost({ remotes: [remote], env });
    assert.equal((await listing()).canary, null, 'a rolled back rollout is not resumed');
  });

  it('refuses to start with a bad rollout, naming the field', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'microlib-rollout-'));
    const remote = { ...(await localModelsRemote(root, V1)), rollout: { steps: [5, 50, 25], stepSeconds: 60 } };
    await assert.rejects(startInProcessHost({ remotes: [remote], env: { DATA_DIR: path.join(root, 'data') } }), /remoteEntries entry 0 \(kit\): "rollout.steps\[2\]" \(25\) must be larger than the step before it \(50\)/);
    const unknown = { ...remote, rollout: { steps: [5, 100], maxErrorRatio: 0.1 } };
    await assert.rejects(startInProcessHost({ remotes: [unknown], env: { DATA_DIR: path.join(root, 'data') } }), /"rollout.maxErrorRatio" is not a rollout setting/);
  });
});
