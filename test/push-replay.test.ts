// A captured signed push sent again never moves a remote back: the delivery ids the host processed
// survive a restart (DATA_DIR; the primary's in a cluster), and a push whose commit is older than
// the running one is ignored whatever its delivery id, unless it is a force push away from the running
// version. Rollbacks, manual reloads and newer commits deploy as before.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { createGitRepo, type TestRepo } from './support/git-repo.js';
import { startGitHubApiServer, type GitHubApiServer } from './support/github-api-server.js';
import { exampleBuild } from './support/example-builds.js';
import { requestJson, type JsonResponse } from './support/json-request.js';
import { pushPayload } from './support/webhook.js';
import { withHost, type HostFixture } from './support/with-host.js';

const SECRET = 'webhook-secret-0123456789';
const ADMIN = 'admin-token-0123456789abcdef';
const TOKEN = 'github-token-for-tests';
const ZEROS = '0'.repeat(40);

/** A push event as GitHub sends it: signed body, delivery id header; on a fresh connection (a cluster spreads these). */
function signedPush(host: HostFixture, payload: object, delivery: string = randomUUID()): Promise<JsonResponse> {
  const raw = JSON.stringify(payload);
  return requestJson(`${host.url}/microlib/reload`, {
    method: 'POST',
    body: payload,
    timeoutMs: 60_000,
    headers: {
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`,
    },
  });
}

const push = (after: string, before = ZEROS, forced = false) => pushPayload('acme/orders', 'main', after, before, forced);

/** A GitHub remote following acme/orders main, whose repository starts with build 1. */
function githubHost(env: Record<string, string> = {}) {
  const fixture = { repo: undefined as unknown as TestRepo, github: undefined as unknown as GitHubApiServer, one: '' };
  const host = withHost(async ({ defer }) => {
    fixture.repo = await createGitRepo();
    defer(() => fixture.repo.cleanup());
    fixture.one = await fixture.repo.commitFiles(await exampleBuild(1, 'dist/'), 'build 1');
    fixture.github = await startGitHubApiServer({ repos: { 'acme/orders': fixture.repo.dir }, token: TOKEN });
    defer(() => fixture.github.close());
    return {
      remotes: [{ name: 'orderService', kind: 'github', owner: 'acme', repo: 'orders', ref: 'main', dir: 'dist' }],
      env: { GITHUB_API_URL: fixture.github.url, GITHUB_TOKEN: TOKEN, WEBHOOK_SECRET: SECRET, ADMIN_TOKEN: ADMIN, ...env },
      startTimeoutMs: 60_000,
    };
  });
  return { host, fixture };
}

const running = async (host: HostFixture): Promise<string> => (await host.request('/microlib/api/remotes')).body.remotes[0].version;
const build = async (host: HostFixture): Promise<number> =>
  (await host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: 'R', lastName: 'P', email: 'r@p.io' } })).body.build;

describe('replayed pushes, in one process', () => {
  const { host, fixture } = githubHost();
  const commits: Record<string, string> = {};

  it('ignores a delivery replayed after a restart, and the same push under a new delivery id', async () => {
    const { repo } = fixture;
    commits.two = await repo.commitFiles(await exampleBuild(2, 'dist/'), 'build 2');
    const captured = push(commits.two, fixture.one);
    const delivery = randomUUID();
    assert.equal((await signedPush(host, captured, delivery)).body.results[0].outcome, 'reloaded');
    commits.three = await repo.commitFiles(await exampleBuild(3, 'dist/'), 'build 3');
    assert.equal((await signedPush(host, push(commits.three, commits.two))).body.results[0].to, commits.three);

    await host.restart();
    assert.equal(await running(host), commits.three);
    const replay = await signedPush(host, captured, delivery);
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    assert.match(replay.body.ignored, new RegExp(`delivery ${delivery} was already processed`));
    assert.equal(replay.body.results, undefined);

    const renamed = await signedPush(host, captured);
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.match(renamed.body.ignored, /older than the running/);
    assert.deepEqual([renamed.body.results[0].outcome, renamed.body.results[0].to], ['unchanged', commits.three]);
    assert.equal(await running(host), commits.three, 'the remote did not move back');
    assert.equal(await build(host), 3);
    assert.ok(host.logs.some((line) => line.msg === 'push ignored' && line.version === commits.two), 'the ignored push is logged');
  });

  it('follows a force push to an older commit, deploys newer commits, and ignores a stale force push sent again', async () => {
    const { repo } = fixture;
    // The branch is reset to build 1 and force-pushed: GitHub marks the push `forced`.
    await repo.git('reset', '-q', '--hard', fixture.one);
    const forcedBack = push(fixture.one, commits.three!, true);
    const forced = await signedPush(host, forcedBack);
    assert.equal(forced.status, 200, JSON.stringify(forced.body));
    assert.deepEqual([forced.body.results[0].outcome, forced.body.results[0].to], ['reloaded', fixture.one]);
    assert.equal(await build(host), 1);

    commits.four = await repo.commitFiles(await exampleBuild(4, 'dist/'), 'build 4');
    const newer = await signedPush(host, push(commits.four, fixture.one));
    assert.deepEqual([newer.body.results[0].outcome, newer.body.results[0].to], ['reloaded', commits.four]);
    assert.equal(newer.body.ignored, undefined);

    // Sent again after a restart: the host has no memory of these pushes, only of what runs.
    await host.restart();
    const staleForce = await signedPush(host, forcedBack);
    assert.match(staleForce.body.ignored, /stale force push/);
    const abandoned = await signedPush(host, push(commits.three!, commits.two!));
    assert.match(abandoned.body.ignored, /diverged/, 'a commit the force push abandoned is on another line');
    assert.equal(await running(host), commits.four);
    assert.equal(await build(host), 4);
  });

  it('after a rollback, ignores a replayed push of the version rolled back from; a newer push deploys', async () => {
    const { repo } = fixture;
    commits.five = await repo.commitFiles(await exampleBuild(5, 'dist/'), 'build 5');
    const captured = push(commits.five, commits.four!);
    assert.equal((await signedPush(host, captured)).body.results[0].to, commits.five);
    const rollback = await host.request('/microlib/api/remotes/orderService/rollback', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(rollback.status, 200, JSON.stringify(rollback.body));
    assert.equal(rollback.body.results[0].to, commits.four);
    const replay = await signedPush(host, captured);
    assert.match(replay.body.ignored, /is the version a rollback left/);
    assert.equal(await running(host), commits.four);
    commits.six = await repo.commitFiles(await exampleBuild(6, 'dist/'), 'build 6');
    assert.equal((await signedPush(host, push(commits.six, commits.five))).body.results[0].to, commits.six);
    assert.equal(await build(host), 6);
  });

  it('does not deploy a push while GitHub cannot say whether it is newer, and says why', async () => {
    const { repo, github } = fixture;
    commits.seven = await repo.commitFiles(await exampleBuild(7, 'dist/'), 'build 7');
    commits.eight = await repo.commitFiles(await exampleBuild(8, 'dist/'), 'build 8');
    const fault = github.setFault('/repos/acme/orders/compare/', { kind: 'status', status: 503 });
    // The push of seven was missed: eight's push replaced seven, not the running six, so only GitHub can order it.
    const refused = await signedPush(host, push(commits.eight, commits.seven));
    fault.clear();
    assert.equal(refused.status, 200, JSON.stringify(refused.body));
    assert.match(refused.body.ignored, /could not tell whether .* is newer than the running .*503/);
    assert.equal(await running(host), commits.six);
    const manual = await host.request('/microlib/reload', { method: 'POST', body: { remote: 'orderService' }, headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(manual.body.results[0].to, commits.eight, 'a manual reload deploys the branch');
  });

  it('deploys a fast-forward from the running version without asking GitHub, even while its compare API fails', async () => {
    const { repo, github } = fixture;
    commits.nine = await repo.commitFiles(await exampleBuild(9, 'dist/'), 'build 9');
    const fault = github.setFault('/repos/acme/orders/compare/', { kind: 'status', status: 503 });
    try {
      const deployed = await signedPush(host, push(commits.nine, commits.eight!));
      assert.equal(deployed.status, 200, JSON.stringify(deployed.body));
      assert.equal(deployed.body.results[0].outcome, 'reloaded', JSON.stringify(deployed.body));
      assert.equal(await running(host), commits.nine);
    } finally {
      fault.clear();
    }
  });
});

describe('replayed pushes, in a cluster', () => {
  const { host, fixture } = githubHost({ CLUSTER_ENABLED: 'true', CLUSTER_WORKERS: '2' });

  /** Sends `payload` on fresh connections until both workers have answered (bounded); the answers by worker. */
  async function toBothWorkers(payload: object, delivery?: () => string): Promise<Map<number, JsonResponse>> {
    const answers = new Map<number, JsonResponse>();
    for (let i = 0; i < 60 && answers.size < 2; i++) {
      const response = await signedPush(host, payload, delivery?.());
      answers.set(Number(response.headers['x-microlib-worker']), response);
    }
    assert.deepEqual([...answers.keys()].sort(), [1, 2], 'both workers answered');
    return answers;
  }

  it('no worker processes a delivery another processed, nor one from before a restart, nor an older commit', async () => {
    const { repo } = fixture;
    const two = await repo.commitFiles(await exampleBuild(2, 'dist/'), 'build 2');
    const captured = push(two, fixture.one);
    const delivery = randomUUID();
    const deployed = await signedPush(host, captured, delivery);
    assert.equal(deployed.status, 200, JSON.stringify(deployed.body));
    assert.deepEqual(deployed.body.results[0].workers.map((w: { outcome: string }) => w.outcome), ['reloaded', 'reloaded']);

    for (const [slot, replay] of await toBothWorkers(captured, () => delivery)) {
      assert.match(replay.body.ignored, /already processed/, `worker ${slot}: ${JSON.stringify(replay.body)}`);
    }
    const three = await repo.commitFiles(await exampleBuild(3, 'dist/'), 'build 3');
    assert.equal((await signedPush(host, push(three, two))).body.results[0].to, three);
    for (const [slot, older] of await toBothWorkers(push(two, fixture.one))) {
      assert.match(older.body.ignored, /older than the running/, `worker ${slot}: ${JSON.stringify(older.body)}`);
      assert.equal(older.body.results[0].to, three);
    }

    await host.restart();
    for (const [slot, replay] of await toBothWorkers(captured, () => delivery)) {
      assert.match(replay.body.ignored, /already processed/, `worker ${slot} after the restart: ${JSON.stringify(replay.body)}`);
    }
    await repo.git('reset', '-q', '--hard', fixture.one);
    const forced = await signedPush(host, push(fixture.one, three, true));
    assert.equal(forced.status, 200, JSON.stringify(forced.body));
    assert.deepEqual(forced.body.results[0].workers.map((w: { outcome: string; to: string }) => [w.outcome, w.to]), [['reloaded', fixture.one], ['reloaded', fixture.one]], 'a force push back deploys in every worker');
  });
});
