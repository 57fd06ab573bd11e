// The github source against the Source contract, over builds committed to a real git
// repository served by the GitHub API fixture server (a private repository, so the token is used).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { freePort } from '../../../test/support/free-port.js';
import { createGitRepo, type TestRepo } from '../../../test/support/git-repo.js';
import { startGitHubApiServer, type GitHubApiServer } from '../../../test/support/github-api-server.js';
import { sourceConformance, type BuildFiles } from '../../../test/support/source-conformance.js';
import { listFolderFiles } from './snapshot-files.js';
import type { Source } from './source.js';
import { createSource, type SourceSettings } from './source-registry.js';

const TOKEN = 'conformance-token';
const under = (dir: string, build: BuildFiles) => Object.fromEntries(Object.entries(build).map(([name, bytes]) => [`${dir}/${name}`, bytes]));

sourceConformance('github', async (build) => {
  const repo = await createGitRepo();
  await repo.commitFiles({ 'README.md': '# kit\n', ...under('dist', build) }, 'first build');
  const server = await startGitHubApiServer({ repos: { 'acme/kit': { path: repo.dir, private: true } }, token: TOKEN });
  // Long enough that only an abort, never the timeout, ends a held request.
  const settings: SourceSettings = { githubApiUrl: server.url, githubToken: TOKEN, fetchTimeoutMs: 60_000 };
  const github = { kind: 'github', owner: 'acme', repo: 'kit', ref: 'main', dir: 'dist' } as const;
  return {
    source: createSource(github, settings),
    async publish(next) {
      await repo.remove('dist');
      await repo.write(under('dist', next));
      // Publishing the same files again makes no commit, as git would not.
      if ((await repo.git('status', '--porcelain')) !== '') await repo.commit('next build');
    },
    missing: async () => ({ source: createSource({ ...github, dir: 'not-built' }, settings), says: /no not-built\/remoteEntry\.js in acme\/kit/ }),
    unreachable: async () => ({
      source: createSource(github, { ...settings, githubApiUrl: `http://127.0.0.1:${await freePort()}` }),
      says: /commits\/main failed: ECONNREFUSED/,
    }),
    stall() {
      const held = server.setFault('/repos/', { kind: 'hang' });
      return { holding: () => held.hits > 0, release: () => held.clear() };
    },
    async close() {
      await server.close();
      await repo.cleanup();
    },
  };
});

// The tree GitHub lists for a commit is checked up to the commit's tree SHA: a listing that
// points a path at another commit's blob, swaps a folder, or adds or drops an entry is refused.
describe('github source: the tree is checked against the commit', () => {
  let repo: TestRepo;
  let server: GitHubApiServer;
  let one: string;
  let two: string;
  const settings = (): SourceSettings => ({ githubApiUrl: server.url, githubToken: TOKEN, fetchTimeoutMs: 10_000 });
  const source = (dir = 'dist') => createSource({ kind: 'github', owner: 'acme', repo: 'kit', ref: 'main', dir }, settings());
  const docs = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`docs/page-${i}.md`, `page ${i}\n`]));

  /** Writes the current version of `of` into a fresh folder; resolves to its files and their text. */
  async function load(of: Source): Promise<Record<string, string>> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-tree-'));
    try {
      const signal = AbortSignal.timeout(20_000);
      await (await of.resolve(signal)).writeSnapshot(dir, signal);
      const files = await listFolderFiles(dir);
      return Object.fromEntries(await Promise.all(files.map(async (file) => [file, await readFile(path.join(dir, file), 'utf8')] as const)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** GitHub's listing of `treeIsh` (recursive), as the server answers it untampered. */
  async function listed(treeIsh: string): Promise<{ sha: string; tree: Array<{ path: string; sha: string; type: string; mode: string }> }> {
    const response = await fetch(`${server.url}/repos/acme/kit/git/trees/${treeIsh}?recursive=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return (await response.json()) as never;
  }

  /** Tampers the listing GitHub answers for the tree of commit two. */
  function tamperTree(t: TestContext, edit: (body: { sha: string; tree: Array<{ path: string; sha: string; type: string }> }) => unknown) {
    const fault = server.setFault(new RegExp(`/git/trees/${two}\\?`), { kind: 'edit', edit });
    t.after(() => fault.clear());
  }

  const sha = (spec: string) => repo.git('rev-parse', spec);

  before(async () => {
    repo = await createGitRepo();
    one = await repo.commitFiles({ 'README.md': '# kit\n', ...docs, 'dist/remoteEntry.js': 'v1', 'dist/chunks/a.js': 'a1', 'dist/chunks/b.js': 'b1' }, 'one');
    await repo.write({ 'dist/remoteEntry.js': 'v2', 'dist/chunks/a.js': 'a2', 'dist/run.sh': '#!/bin/sh\n' });
    await repo.git('add', '-A');
    await repo.git('update-index', '--chmod=+x', 'dist/run.sh');
    two = await repo.commit('two');
    server = await startGitHubApiServer({ repos: { 'acme/kit': { path: repo.dir, private: true } }, token: TOKEN });
  });
  after(async () => {
    await server?.close();
    await repo?.cleanup();
  });

  it('loads a real repository whose every tree hashes to what the commit names, with one more request', async () => {
    server.clearRequests();
    assert.deepEqual(await load(source()), { 'remoteEntry.js': 'v2', 'chunks/a.js': 'a2', 'chunks/b.js': 'b1', 'run.sh': '#!/bin/sh\n' });
    const paths = server.requests.map((r) => r.path).filter((p) => !p.includes('/git/blobs/'));
    assert.deepEqual(paths.sort(), ['/repos/acme/kit/commits/main', `/repos/acme/kit/git/commits/${two}`, `/repos/acme/kit/git/trees/${two}`]);
  });

  it("refuses a listing that points a file at another commit's blob", async (t) => {
    const old = await sha(`${one}:dist/remoteEntry.js`);
    tamperTree(t, (body) => ({ ...body, tree: body.tree.map((e) => (e.path === 'dist/remoteEntry.js' ? { ...e, sha: old } : e)) }));
    await assert.rejects(load(source()), new RegExp(`^Error: tree check failed for dist/: expected tree ${await sha(`${two}:dist`)}, the listed entries hash to [0-9a-f]{40}$`));
  });

  it('refuses a tampered subtree, and a folder swapped whole for another commit\'s', async (t) => {
    const oldChunks = await sha(`${one}:dist/chunks`);
    tamperTree(t, (body) => ({ ...body, tree: body.tree.map((e) => (e.path === 'dist/chunks' ? { ...e, sha: oldChunks } : e)) }));
    await assert.rejects(load(source()), new RegExp(`tree check failed for dist/chunks/: expected tree ${oldChunks}`));
    server.clearFaults();
    // dist/ of commit one, whole and self-consistent: only the root tree, which the commit names, can tell.
    const oldDist = (await listed(one)).tree.filter((e) => e.path === 'dist' || e.path.startsWith('dist/'));
    tamperTree(t, (body) => ({ ...body, tree: [...body.tree.filter((e) => e.path !== 'dist' && !e.path.startsWith('dist/')), ...oldDist] }));
    await assert.rejects(load(source()), new RegExp(`tree check failed for the root tree: expected tree ${await sha(`${two}^{tree}`)}`));
  });

  it('refuses a listing with an entry added or removed', async (t) => {
    const blob = await sha(`${one}:dist/chunks/b.js`);
    tamperTree(t, (body) => ({ ...body, tree: [...body.tree, { path: 'dist/chunks/evil.js', mode: '100644', type: 'blob', sha: blob, size: 2 }] }));
    await assert.rejects(load(source()), /tree check failed for dist\/chunks\//);
    server.clearFaults();
    tamperTree(t, (body) => ({ ...body, tree: body.tree.filter((e) => e.path !== 'dist/run.sh') }));
    await assert.rejects(load(source()), /tree check failed for dist\//);
  });

  it('refuses the listing of another tree, and a commit answer that names another commit or no tree', async (t) => {
    const other = await listed(one);
    tamperTree(t, () => other);
    await assert.rejects(load(source()), new RegExp(`GitHub listed tree ${other.sha} for commit ${two}, whose tree is ${await sha(`${two}^{tree}`)}`));
    server.clearFaults();
    const commit = server.setFault(`/repos/acme/kit/git/commits/${two}`, { kind: 'edit', edit: (body) => ({ ...body, sha: one }) });
    t.after(() => commit.clear());
    await assert.rejects(load(source()), /GitHub's answer for commit [0-9a-f]{40} names another commit/);
    commit.clear();
    const treeless = server.setFault(`/repos/acme/kit/git/commits/${two}`, { kind: 'edit', edit: (body) => ({ ...body, tree: { sha: 'main' } }) });
    t.after(() => treeless.clear());
    await assert.rejects(load(source()), /names no tree/);
  });

  it('reads a truncated listing one folder at a time on the way to dir, still checked', async (t) => {
    // 10 entries per answer: the whole repository (20) is cut, its root (3) and dist/ (5) are not.
    const small = await startGitHubApiServer({ repos: { 'acme/kit': { path: repo.dir, private: true } }, token: TOKEN, maxTreeEntries: 10 });
    t.after(() => small.close());
    const from = (dir: string) => createSource({ kind: 'github', owner: 'acme', repo: 'kit', ref: 'main', dir }, { ...settings(), githubApiUrl: small.url });
    assert.deepEqual(Object.keys(await load(from('dist'))).sort(), ['chunks/a.js', 'chunks/b.js', 'remoteEntry.js', 'run.sh']);
    const trees = small.requests.filter((r) => r.path.includes('/git/trees/')).map((r) => `${r.path.split('/').pop()}${'recursive' in r.query ? ' recursive' : ''}`);
    assert.deepEqual(trees, [`${two} recursive`, await sha(`${two}^{tree}`), `${await sha(`${two}:dist`)} recursive`]);

    const oldDist = await sha(`${one}:dist`);
    const root = small.setFault(new RegExp(`/git/trees/${await sha(`${two}^{tree}`)}$`), {
      kind: 'edit',
      edit: (body) => ({ ...body, tree: body.tree.map((e: { path: string }) => (e.path === 'dist' ? { ...e, sha: oldDist } : e)) }),
    });
    await assert.rejects(load(from('dist')), /tree check failed for the root tree/);
    root.clear();
    await assert.rejects(load(from('')), /the tree of [0-9a-f]{40} is too large for one GitHub response; keep the build output in a folder/);
    small.resetRateLimit();
    const tiny = await startGitHubApiServer({ repos: { 'acme/kit': { path: repo.dir, private: true } }, token: TOKEN, maxTreeEntries: 3 });
    t.after(() => tiny.close());
    const fromTiny = createSource({ kind: 'github', owner: 'acme', repo: 'kit', ref: 'main', dir: 'dist' }, { ...settings(), githubApiUrl: tiny.url });
    await assert.rejects(load(fromTiny), /the folder dist of [0-9a-f]{40} is too large for one GitHub response/);
  });
});
