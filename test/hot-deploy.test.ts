// Hot deployment end to end: a commit pushed to the remote's repository (a real git repository
// behind the GitHub-compatible server), a signed webhook, and the new code serves.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createGitRepo, type TestRepo } from './support/git-repo.js';
import { startGitHubApiServer, type GitHubApiServer } from './support/github-api-server.js';
import { brokenBuild, exampleBuild } from './support/example-builds.js';
import { until } from './support/until.js';
import { pushPayload, sendWebhook } from './support/webhook.js';
import { hostFor, withHost } from './support/with-host.js';

const SECRET = 'webhook-secret-0123456789';
const ADMIN = 'admin-token-0123456789abcdef';
const TOKEN = 'github-token-for-tests';

type RemoteInfo = {
  name: string;
  status: string;
  version: string | null;
  pinned: string | null;
  lastError: { message: string; version?: string } | null;
  previousVersions: Array<{ version: string }>;
};

describe('hot deployment', () => {
  let repo: TestRepo;
  let github: GitHubApiServer;
  const commits: Record<string, string> = {};
  const host = withHost(async ({ defer }) => {
    repo = await createGitRepo();
    defer(() => repo.cleanup());
    commits.one = await repo.commitFiles(await exampleBuild(1, 'dist/'), 'build 1');
    github = await startGitHubApiServer({ repos: { 'acme/orders': repo.dir }, token: TOKEN });
    defer(() => github.close());
    return {
      remotes: [{ name: 'orderService', kind: 'github', owner: 'acme', repo: 'orders', ref: 'main', dir: 'dist' }],
      env: { GITHUB_API_URL: github.url, GITHUB_TOKEN: TOKEN, WEBHOOK_SECRET: SECRET, ADMIN_TOKEN: ADMIN },
    };
  });

  const remoteInfo = async (): Promise<RemoteInfo> => (await host.request('/microlib/api/remotes')).body.remotes[0];
  const createCustomer = () => host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: 'H', lastName: 'D', email: 'h@d.io' } });
  const push = (sha: string, extra: { secret?: string; signature?: string; delivery?: string; before?: string; forced?: boolean } = {}) => {
    const { before, forced, ...rest } = extra;
    return sendWebhook(host.url, { payload: pushPayload('acme/orders', 'main', sha, before, forced), secret: SECRET, ...rest });
  };

  it('serves the pushed commit after a signed push webhook, keeping stored records', async () => {
    const before = await createCustomer();
    assert.equal(before.body.build, 1);
    commits.two = await repo.commitFiles(await exampleBuild(2, 'dist/'), 'build 2');
    github.clearRequests();
    const res = await push(commits.two);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.results.map((r: { remote: string; outcome: string; from: string; to: string }) => [r.remote, r.outcome, r.from, r.to]),
      [['orderService', 'reloaded', commits.one, commits.two]],
    );
    assert.ok(res.body.results[0].ms >= 0);
    const blobs = github.requests.filter((r) => r.path.includes('/git/blobs/'));
    assert.equal(blobs.length, 1, 'only the changed file is downloaded; unchanged blobs are reused from the cache');
    assert.ok(!github.requests.some((r) => r.path.startsWith('/repos/acme/orders/commits/')), 'the pushed commit is loaded without resolving the branch');
    const created = await createCustomer();
    assert.equal(created.body.build, 2, 'the new code creates the record');
    assert.equal(created.headers.get('x-microlib-version'), `orderService@${commits.two}`);
    const old = await host.request(`/microlib/api/models/customers/${before.body.id}`);
    assert.equal(old.status, 200, 'records survive the reload');
    const info = await remoteInfo();
    assert.equal(info.version, commits.two);
    assert.equal(info.previousVersions[0]!.version, commits.one);
  });

  it('refuses unsigned or wrongly signed webhooks and changes nothing', async () => {
    commits.unsigned = await repo.commitFiles(await exampleBuild(3, 'dist/'), 'build 3');
    const wrong = await push(commits.unsigned, { signature: 'sha256=' + '0'.repeat(64) });
    assert.equal(wrong.status, 401);
    const otherSecret = await push(commits.unsigned, { secret: 'a-different-secret-value' });
    assert.equal(otherSecret.status, 401);
    const missing = await sendWebhook(host.url, { payload: pushPayload('acme/orders', 'main', commits.unsigned) });
    assert.equal(missing.status, 401);
    assert.equal((await remoteInfo()).version, commits.two);
    assert.equal((await createCustomer()).body.build, 2);
  });

  it('answers ping, ignores replayed deliveries and other branches, never reloads on GET', async () => {
    const ping = await sendWebhook(host.url, { event: 'ping', payload: { zen: 'hi' }, secret: SECRET });
    assert.equal(ping.status, 200);
    assert.equal(ping.body.pong, true);
    const delivery = 'replayed-delivery-1';
    const first = await push(commits.unsigned!, { delivery });
    assert.equal(first.status, 200);
    assert.equal(first.body.results[0].to, commits.unsigned);
    const replay = await push(commits.two!, { delivery });
    assert.equal(replay.status, 200);
    assert.match(replay.body.ignored, /already processed/);
    assert.equal((await remoteInfo()).version, commits.unsigned, 'the replay changed nothing');
    const otherBranch = await sendWebhook(host.url, { payload: pushPayload('acme/orders', 'feature', commits.two!), secret: SECRET });
    assert.equal(otherBranch.status, 200);
    assert.deepEqual(otherBranch.body.results, []);
    const get = await host.request('/microlib/reload');
    assert.equal(get.status, 405);
    assert.equal((await remoteInfo()).version, commits.unsigned);
  });

  it('keeps the working version when a pushed build is broken, and says why', async () => {
    const good = (await remoteInfo()).version!;
    for (const kind of ['syntax', 'throws'] as const) {
      const broken = await repo.commitFiles(await brokenBuild(kind, 'dist/', kind), `broken ${kind}`);
      const res = await push(broken);
      assert.equal(res.status, 422);
      const result = res.body.results[0];
      assert.equal(result.outcome, 'failed');
      assert.equal(result.to, good);
      assert.equal(result.attempted, broken);
      assert.match(result.error, new RegExp(`remote "orderService" at ${broken.slice(0, 12)}`));
      assert.match(result.error, kind === 'syntax' ? /SyntaxError|Unexpected/ : /models broke/);
      const info = await remoteInfo();
      assert.equal(info.status, 'ready');
      assert.equal(info.version, good);
      assert.equal(info.lastError?.version, broken);
      assert.equal((await createCustomer()).status, 201, 'the working version keeps serving');
    }
  });

  it('reloads by hand with the admin token only', async () => {
    commits.four = await repo.commitFiles(await exampleBuild(4, 'dist/'), 'build 4');
    const anonymous = await host.request('/microlib/reload', { method: 'POST' });
    assert.equal(anonymous.status, 401);
    assert.ok(anonymous.headers.get('www-authenticate'));
    const wrong = await host.request('/microlib/reload', { method: 'POST', headers: { authorization: 'Bearer nope-nope-nope-nope' } });
    assert.equal(wrong.status, 401);
    const unknown = await host.request('/microlib/reload', { method: 'POST', body: { remote: 'nope' }, headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(unknown.status, 404);
    const manual = await host.request('/microlib/reload', { method: 'POST', body: { remote: 'orderService' }, headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(manual.status, 200, JSON.stringify(manual.body));
    assert.equal(manual.body.results[0].outcome, 'reloaded');
    assert.equal(manual.body.results[0].to, commits.four);
    const again = await host.request('/microlib/reload', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(again.body.results[0].outcome, 'unchanged');
    assert.equal((await createCustomer()).body.build, 4);
  });

  it('rolls back to the previous good version and pins it', async () => {
    const anonymous = await host.request('/microlib/api/remotes/orderService/rollback', { method: 'POST' });
    assert.equal(anonymous.status, 401);
    const res = await host.request('/microlib/api/remotes/orderService/rollback', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.results[0].from, commits.four);
    assert.equal(res.body.results[0].to, commits.unsigned);
    assert.equal((await createCustomer()).body.build, 3);
    const info = await remoteInfo();
    assert.equal(info.pinned, commits.unsigned);
    const none = await host.request('/microlib/api/remotes/nope/rollback', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(none.status, 404);
  });

  it('coalesces a burst of webhooks into a reload of the newest commit', async () => {
    const burst: string[] = [];
    for (let n = 5; n <= 8; n++) burst.push(await repo.commitFiles(await exampleBuild(n, 'dist/'), `build ${n}`));
    github.clearRequests();
    // GitHub delivers a branch's pushes in order; sent all at once, they could reach the host in
    // any order (and a push names its commit). Each is sent once the host has taken the one
    // before (its log names it), while the first reload still runs, so the later ones coalesce.
    const sent: Array<ReturnType<typeof push>> = [];
    for (const sha of burst) {
      sent.push(push(sha));
      await until(() => host.logs.some((line) => line.msg === 'push webhook' && line.after === sha), `the host to take the push of ${sha}`, 10_000);
    }
    const answers = await Promise.all(sent);
    assert.ok(answers.every((a) => a.status === 200));
    const newest = burst[burst.length - 1]!;
    assert.equal((await remoteInfo()).version, newest);
    assert.equal((await remoteInfo()).pinned, null, 'a new push lifts the rollback pin');
    assert.equal((await createCustomer()).body.build, 8);
    const trees = github.requests.filter((r) => r.path.includes('/git/trees/')).length;
    assert.ok(trees < burst.length, `${trees} tree downloads for ${burst.length} pushes`);
  });

  it('ignores a late delivery of an older push, but follows a force-push back to an older commit', async () => {
    const current = (await remoteInfo()).version as string;
    const nine = await repo.commitFiles(await exampleBuild(9, 'dist/'), 'build 9');
    const ten = await repo.commitFiles(await exampleBuild(10, 'dist/'), 'build 10');
    // GitHub delivered the push of 10 before the push of 9.
    assert.equal((await push(ten, { before: nine })).body.results[0].outcome, 'reloaded');
    const late = await push(nine, { before: current });
    assert.equal(late.body.results[0].outcome, 'unchanged', JSON.stringify(late.body));
    assert.equal((await remoteInfo()).version, ten);
    // A force-push that moves the branch from 10 back to 9 is a real change.
    assert.equal((await push(nine, { before: ten, forced: true })).body.results[0].outcome, 'reloaded');
    assert.equal((await remoteInfo()).version, nine);
    assert.equal((await createCustomer()).body.build, 9);
  });
});

describe('evergreen and polling', () => {
  it('follows the highest tag in a semver range, and polls a branch with conditional requests', async (t) => {
    let repo!: TestRepo;
    let github!: GitHubApiServer;
    const tags: Record<string, string> = {};
    const host = await hostFor(t, async ({ defer }) => {
      repo = await createGitRepo();
      defer(() => repo.cleanup());
      github = await startGitHubApiServer({ repos: { 'acme/orders': repo.dir }, token: TOKEN });
      defer(() => github.close());
      tags.v100 = await repo.commitFiles(await exampleBuild(100, 'dist/'), 'v1.0.0');
      await repo.tag('v1.0.0');
      tags.v110 = await repo.commitFiles(await exampleBuild(110, 'dist/'), 'v1.1.0');
      await repo.tag('v1.1.0', { message: 'annotated release' });
      await repo.commitFiles(await exampleBuild(200, 'dist/'), 'v2.0.0');
      await repo.tag('v2.0.0');
      return {
        remotes: [
          { name: 'evergreen', kind: 'github', owner: 'acme', repo: 'orders', semver: '^1.0.0', dir: 'dist', exposes: ['./models'] },
        ],
        env: { GITHUB_API_URL: github.url, GITHUB_TOKEN: TOKEN, WEBHOOK_SECRET: SECRET },
      };
    });
    const info = (await host.request('/microlib/api/remotes')).body.remotes[0];
    assert.equal(info.version, tags.v110, 'the highest 1.x tag, not 2.0.0');
    assert.notEqual(info.version, tags.v100);

    const v120 = await repo.commitFiles(await exampleBuild(120, 'dist/'), 'v1.2.0');
    await repo.tag('v1.2.0');
    const tagPush = await sendWebhook(host.url, { payload: pushPayload('acme/orders', 'refs/tags/v1.2.0', v120), secret: SECRET });
    assert.equal(tagPush.status, 200, JSON.stringify(tagPush.body));
    assert.equal(tagPush.body.results[0].to, v120);

    await host.restart({
      remotes: [{ name: 'polled', kind: 'github', owner: 'acme', repo: 'orders', ref: 'main', dir: 'dist', pollIntervalMs: 150 }],
      env: { GITHUB_API_URL: github.url, GITHUB_TOKEN: TOKEN },
    });
    github.clearRequests();
    const next = await repo.commitFiles(await exampleBuild(300, 'dist/'), 'build 300');
    const version = async () => (await host.request('/microlib/api/remotes')).body.remotes[0].version;
    await until(async () => (await version()) === next, 'polling to pick up the new commit', 15_000);
    const polls = () => github.requests.filter((r) => r.path === '/repos/acme/orders/commits/main');
    await until(() => polls().some((r) => r.status === 304), 'an unchanged poll answered 304 Not Modified', 5_000);
    const created = await host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: 'P', lastName: 'O', email: 'p@o.io' } });
    assert.equal(created.body.build, 300);
  });
});
