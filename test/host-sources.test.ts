// Streaming the example remote from each source kind: GitHub (through a GitHub-compatible
// server over a real git repository), plain HTTP, and the original MicroLib entry format.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleRemoteDist, request } from './support/host-process.js';
import { hostFor, type HostFixture, type HostSetup } from './support/with-host.js';
import { createGitRepo, type TestRepo } from './support/git-repo.js';
import { startGitHubApiServer, type GitHubApiServer } from './support/github-api-server.js';
import { startStaticServer, type StaticServer } from './support/static-server.js';
import { exampleBuildFiles } from './support/fixture-remotes.js';
import { exampleBuild } from './support/example-builds.js';

const TOKEN = 'test-token-123';

type RemoteInfo = { name: string; status: string; version: string | null; cacheFallback: boolean; lastError: { message: string } | null; exposes: string[] };

async function remoteState(host: HostFixture, name: string): Promise<RemoteInfo> {
  const { body } = await host.request('/microlib/api/remotes');
  return body.remotes.find((r: RemoteInfo) => r.name === name);
}

async function createCustomer(host: HostFixture): Promise<number> {
  const res = await host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: 'G', lastName: 'H', email: 'g@h.io' } });
  return res.status;
}

describe('github source', () => {
  let repo: TestRepo;
  let github: GitHubApiServer;
  let commit: string;
  const githubRemote = { name: 'orderService', kind: 'github', owner: 'acme', repo: 'orders', ref: 'main', dir: 'dist' };

  before(async () => {
    repo = await createGitRepo();
    await repo.commitFiles({ 'README.md': '# orders\n' }, 'initial');
    commit = await repo.commitFiles(await exampleBuildFiles('dist/'), 'build');
    github = await startGitHubApiServer({ repos: { 'acme/orders': { path: repo.dir, private: true } }, token: TOKEN });
  });
  after(async () => {
    await github?.close();
    await repo?.cleanup();
  });

  /** A host streaming `remotes` from the fake GitHub, with the token unless `env` says otherwise. */
  const fromGitHub = (env: Record<string, string> = {}, remotes: unknown[] = [githubRemote]): HostSetup => ({
    remotes,
    env: { GITHUB_API_URL: github.url, GITHUB_TOKEN: TOKEN, FETCH_TIMEOUT_MS: '2000', ...env },
  });

  it('loads the commit the branch points at, every file at that commit, verified', async (t) => {
    github.clearRequests();
    const host = await hostFor(t, fromGitHub());
    const state = await remoteState(host, 'orderService');
    assert.equal(state.status, 'ready', state.lastError?.message);
    assert.equal(state.version, commit);
    assert.deepEqual(state.exposes, ['./models', './adapters', './services']);
    assert.equal(await createCustomer(host), 201);
    const paths = github.requests.map((r) => r.path);
    assert.ok(paths.includes('/repos/acme/orders/commits/main'));
    assert.ok(paths.includes(`/repos/acme/orders/git/trees/${commit}`), 'the tree is read at the resolved commit, not the branch');
    const blobs = github.requests.filter((r) => r.path.includes('/git/blobs/'));
    assert.equal(blobs.length, Object.keys(await exampleBuildFiles()).length, 'every file of the build is fetched once');
    assert.ok(blobs.every((r) => r.hasAuthorization), 'the token is sent');
    assert.ok(!paths.some((r) => r.includes('README')), 'files outside dir are not fetched');
  });

  it('restarts while GitHub is unreachable and serves the last good version from the cache', async (t) => {
    const host = await hostFor(t, fromGitHub());
    assert.equal((await remoteState(host, 'orderService')).status, 'ready');
    await host.stop();
    const outage = github.setFault('/repos/', { kind: 'status', status: 503, body: { message: 'Service Unavailable' } });
    t.after(() => outage.clear());
    await host.restart();
    const state = await remoteState(host, 'orderService');
    assert.equal(state.status, 'ready');
    assert.equal(state.version, commit);
    assert.equal(state.cacheFallback, true);
    assert.ok(host.logs.some((l) => String(l.msg).includes('last good cached version')));
    assert.equal(await createCustomer(host), 201);
  });

  it('refuses a file whose bytes do not match its git blob SHA', async (t) => {
    const corrupt = github.setFault(/\/git\/blobs\//, { kind: 'corrupt' });
    t.after(() => corrupt.clear());
    const host = await hostFor(t, fromGitHub());
    const state = await remoteState(host, 'orderService');
    assert.equal(state.status, 'failed');
    assert.match(state.lastError!.message, /integrity check failed/);
    assert.equal((await host.request('/microlib/api/models/customers')).status, 404);
  });

  it('explains a wrong token, an unknown repository and an unknown ref', async (t) => {
    const remotes = [
      { ...githubRemote, name: 'wrongRef', ref: 'no-such-branch' },
      { ...githubRemote, name: 'wrongRepo', repo: 'nope' },
    ];
    const host = await hostFor(t, fromGitHub({}, remotes));
    assert.match((await remoteState(host, 'wrongRef')).lastError!.message, /422|No commit found/);
    assert.match((await remoteState(host, 'wrongRepo')).lastError!.message, /404/);
    await host.restart(fromGitHub({ GITHUB_TOKEN: 'wrong' }));
    assert.match((await remoteState(host, 'orderService')).lastError!.message, /refused the token/);
  });

  it('accepts the original MicroLib entry format (url, owner, repo, filedir, branch, type)', async (t) => {
    const original = [{ name: 'microservices', url: github.url, owner: 'acme', repo: 'orders', filedir: 'dist', branch: 'main', type: 'model' }];
    const host = await hostFor(t, fromGitHub({ GITHUB_API_URL: 'http://127.0.0.1:9' }, original));
    const state = await remoteState(host, 'microservices');
    assert.equal(state.status, 'ready', state.lastError?.message);
    assert.deepEqual(state.exposes, ['./models']);
    assert.equal(await createCustomer(host), 201);
  });

  // Last: it moves main to a new commit.
  it("refuses a tree listing that points a file at another commit's blob, and keeps serving the running version", async (t) => {
    const admin = 'admin-token-0123456789abcdef';
    const host = await hostFor(t, fromGitHub({ ADMIN_TOKEN: admin }));
    assert.equal((await remoteState(host, 'orderService')).version, commit);
    const next = await repo.commitFiles(await exampleBuild(2, 'dist/'), 'build 2');
    // The listing of the new commit names the running commit's models chunk: its blob SHA checks out, the tree does not.
    const chunk = (await repo.git('ls-tree', '--name-only', `${next}:dist`)).split('\n').find((n) => n.startsWith('__federation_expose_models'))!;
    const oldChunk = await repo.git('rev-parse', `${commit}:dist/${chunk}`);
    const tamper = github.setFault(new RegExp(`/git/trees/${next}\\?`), {
      kind: 'edit',
      edit: (body) => ({ ...body, tree: body.tree.map((e: { path: string }) => (e.path === `dist/${chunk}` ? { ...e, sha: oldChunk } : e)) }),
    });
    t.after(() => tamper.clear());
    const res = await host.request('/microlib/reload', { method: 'POST', body: { remote: 'orderService' }, headers: { authorization: `Bearer ${admin}` } });
    assert.equal(tamper.hits, 1);
    const result = res.body.results[0];
    assert.equal(result.outcome, 'failed', JSON.stringify(res.body));
    assert.match(result.error, new RegExp(`tree check failed for dist/: expected tree ${await repo.git('rev-parse', `${next}:dist`)}, the listed entries hash to`));
    const state = await remoteState(host, 'orderService');
    assert.equal(state.status, 'ready');
    assert.equal(state.version, commit, 'the running version keeps serving');
    assert.equal(await createCustomer(host), 201);
  });
});

describe('http source', () => {
  it('loads remoteEntry.js and the chunks mf-manifest.json lists', async (t) => {
    let server!: StaticServer;
    const host = await hostFor(t, async ({ defer }) => {
      server = await startStaticServer(exampleRemoteDist);
      defer(() => server.close());
      return { remotes: [{ name: 'orderService', kind: 'http', url: server.url }] };
    });
    const state = await remoteState(host, 'orderService');
    assert.equal(state.status, 'ready', state.lastError?.message);
    assert.match(state.version!, /^sha256-/);
    assert.equal(await createCustomer(host), 201);
    assert.ok(server.requests.includes('/mf-manifest.json'));
    assert.ok(server.requests.some((p) => p.startsWith('/__federation_expose_models')));
  });
});
