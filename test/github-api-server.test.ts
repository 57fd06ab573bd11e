import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGitRepo, type TestRepo } from './support/git-repo.js';
import { until } from './support/until.js';
import {
  MAX_INLINE_CONTENT_BYTES,
  startGitHubApiServer,
  type GitHubApiServer,
  type GitHubApiServerOptions,
} from './support/github-api-server.js';

const RAW = 'application/vnd.github.raw';
const SHA = 'application/vnd.github.sha';
const TOKEN = 'ghp_testtoken123';

/** The git blob id: what GitHub calls a file's `sha`. */
function gitBlobSha(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

async function withServer(
  options: Partial<GitHubApiServerOptions> & Pick<GitHubApiServerOptions, 'repos'>,
  fn: (server: GitHubApiServer) => Promise<void>,
): Promise<void> {
  const server = await startGitHubApiServer(options);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

async function getJson(server: GitHubApiServer, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(server.url + path, { headers });
  return { res, body: (await res.json()) as any };
}

async function getBytes(server: GitHubApiServer, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(server.url + path, { headers });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('github-api-server', () => {
  let repo: TestRepo;
  let first: string; // commit with remoteEntry v1
  let second: string; // HEAD of main
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const big = randomBytes(MAX_INLINE_CONTENT_BYTES + 1000);
  let repos: GitHubApiServerOptions['repos'];

  before(async () => {
    repo = await createGitRepo();
    first = await repo.commitFiles(
      {
        'remoteEntry.js': 'export const v = 1;\n',
        'src/app/main.js': 'console.log("main");\n',
        'src/util.js': 'export {};\n',
        'assets/bin.dat': binary,
        'big.bin': big,
      },
      'first\n\nwith a body',
    );
    second = await repo.commitFiles({ 'remoteEntry.js': 'export const v = 2;\n' }, 'second');
    await repo.tag('v1.0.0', { ref: first });
    await repo.tag('v2.0.0', { message: 'annotated release' });
    await repo.branch('feature/x', first);
    repos = { 'acme/remote': repo.dir, 'acme/secret': { path: repo.dir, private: true } };
  });

  after(async () => {
    await repo.cleanup();
  });

  describe('repository and commits', () => {
    it('serves repo metadata, case-insensitively like GitHub', async () => {
      await withServer({ repos }, async (server) => {
        const { res, body } = await getJson(server, '/repos/ACME/Remote');
        assert.equal(res.status, 200);
        assert.equal(body.full_name, 'acme/remote');
        assert.equal(body.name, 'remote');
        assert.equal(body.default_branch, 'main');
        assert.equal(body.private, false);
        assert.equal(body.owner.login, 'acme');
      });
    });

    it('resolves branches, tags, annotated tags, slashed branches and (abbreviated) SHAs', async () => {
      await withServer({ repos }, async (server) => {
        const cases: Array<[string, string]> = [
          ['main', second],
          ['refs/heads/main', second],
          ['v1.0.0', first],
          ['v2.0.0', second], // annotated tag peels to its commit
          ['feature/x', first],
          [first, first],
          [first.slice(0, 7), first],
        ];
        for (const [ref, expected] of cases) {
          const { res, body } = await getJson(server, `/repos/acme/remote/commits/${ref}`);
          assert.equal(res.status, 200, ref);
          assert.equal(body.sha, expected, ref);
        }
      });
    });

    it('returns a commit object matching git', async () => {
      await withServer({ repos }, async (server) => {
        const { res, body } = await getJson(server, '/repos/acme/remote/commits/main');
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        const [tree, parents, name, email, date] = (
          await repo.git('log', '-1', '--format=%T%n%P%n%an%n%ae%n%aI', second)
        ).split('\n');
        assert.equal(body.sha, second);
        assert.equal(body.commit.tree.sha, tree);
        assert.deepEqual(
          body.parents.map((p: { sha: string }) => p.sha),
          [parents],
        );
        assert.equal(body.commit.message, 'second');
        assert.equal(body.commit.author.name, name);
        assert.equal(body.commit.author.email, email);
        assert.match(body.commit.author.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.equal(Date.parse(body.commit.author.date), Date.parse(date!));
        assert.equal(body.url, `${server.url}/repos/acme/remote/commits/${second}`);

        const older = (await getJson(server, `/repos/acme/remote/commits/${first}`)).body;
        assert.equal(older.commit.message, 'first\n\nwith a body');
        assert.deepEqual(older.parents, []);
      });
    });

    it('answers the bare SHA for application/vnd.github.sha', async () => {
      await withServer({ repos }, async (server) => {
        const res = await fetch(`${server.url}/repos/acme/remote/commits/v1.0.0`, { headers: { accept: SHA } });
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^application\/vnd\.github\.sha/);
        assert.equal(await res.text(), first);
      });
    });

    it('moves commits/{branch} when a new commit lands', async () => {
      const own = await createGitRepo();
      try {
        const c1 = await own.commitFiles({ 'a.txt': 'one' }, 'one');
        await withServer({ repos: { 'o/r': own.dir } }, async (server) => {
          const sha = () =>
            fetch(`${server.url}/repos/o/r/commits/main`, { headers: { accept: SHA } }).then((r) => r.text());
          assert.equal(await sha(), c1);
          const c2 = await own.commitFiles({ 'a.txt': 'two' }, 'two');
          assert.notEqual(c2, c1);
          assert.equal(await sha(), c2);
          const { body } = await getJson(server, '/repos/o/r/commits/main');
          assert.equal(body.parents[0].sha, c1);
        });
      } finally {
        await own.cleanup();
      }
    });

    it('sends ETags and answers If-None-Match with 304, uncounted', async () => {
      const own = await createGitRepo();
      try {
        await own.commitFiles({ 'a.txt': 'one' }, 'one');
        await withServer({ repos: { 'o/r': own.dir } }, async (server) => {
          const url = `${server.url}/repos/o/r/commits/main`;
          const r1 = await fetch(url, { headers: { accept: SHA } });
          await r1.text();
          const etag = r1.headers.get('etag');
          assert.match(etag ?? '', /^"[0-9a-f]+"$/);
          const remaining = Number(r1.headers.get('x-ratelimit-remaining'));

          const r2 = await fetch(url, { headers: { accept: SHA, 'if-none-match': etag! } });
          assert.equal(r2.status, 304);
          assert.equal(await r2.text(), '');
          assert.equal(r2.headers.get('etag'), etag);
          assert.equal(Number(r2.headers.get('x-ratelimit-remaining')), remaining);

          // Weak form and lists match too (RFC 9110 weak comparison).
          const r3 = await fetch(url, { headers: { accept: SHA, 'if-none-match': `"x", W/${etag}` } });
          assert.equal(r3.status, 304);
          await r3.text();

          // The ETag depends on the media type.
          const rJson = await fetch(url, { headers: { 'if-none-match': etag! } });
          assert.equal(rJson.status, 200);
          assert.notEqual(rJson.headers.get('etag'), etag);
          await rJson.text();

          await own.commitFiles({ 'a.txt': 'two' }, 'two');
          const r4 = await fetch(url, { headers: { accept: SHA, 'if-none-match': etag! } });
          assert.equal(r4.status, 200);
          assert.notEqual(r4.headers.get('etag'), etag);
          assert.equal(await r4.text(), await own.revParse());
          assert.equal(Number(r4.headers.get('x-ratelimit-remaining')), remaining - 2); // rJson and r4
        });
      } finally {
        await own.cleanup();
      }
    });

    it('answers GitHub-shaped errors', async () => {
      await withServer({ repos }, async (server) => {
        const unknownRef = await getJson(server, '/repos/acme/remote/commits/no-such-branch');
        assert.equal(unknownRef.res.status, 422);
        assert.equal(unknownRef.body.message, 'No commit found for SHA: no-such-branch');
        assert.match(unknownRef.body.documentation_url, /^https:\/\/docs\.github\.com\//);

        const shaOfTree = await getJson(server, `/repos/acme/remote/commits/${second}^{tree}`);
        assert.equal(shaOfTree.res.status, 422);

        for (const path of [
          '/repos/acme/nope',
          '/repos/acme/nope/commits/main',
          '/repos/acme/remote/pulls',
          '/users/acme',
          '/',
          `/repos/acme/remote/git/blobs/${'0'.repeat(40)}`,
          '/repos/acme/remote/git/blobs/main',
          '/repos/acme/remote/git/trees/no-such-ref',
          '/repos/acme/remote/contents/missing.js',
          '/repos/acme/remote/contents/remoteEntry.js/child',
          '/repos/acme/remote/contents/src%2F..%2FremoteEntry.js', // fetch would normalise a literal ../
        ]) {
          const { res, body } = await getJson(server, path);
          assert.equal(res.status, 404, path);
          assert.equal(body.message, 'Not Found', path);
          assert.ok(body.documentation_url, path);
        }

        const badRef = await getJson(server, '/repos/acme/remote/contents/remoteEntry.js?ref=nope');
        assert.equal(badRef.res.status, 404);
        assert.equal(badRef.body.message, 'No commit found for the ref nope');

        const post = await fetch(`${server.url}/repos/acme/remote/commits/main`, { method: 'POST' });
        assert.equal(post.status, 404);
        await post.text();
      });
    });
  });

  describe('trees and blobs', () => {
    it('lists only the top level without ?recursive', async () => {
      await withServer({ repos }, async (server) => {
        const { res, body } = await getJson(server, '/repos/acme/remote/git/trees/main');
        assert.equal(res.status, 200);
        const expectedTree = await repo.git('rev-parse', 'main^{tree}');
        assert.equal(body.sha, expectedTree);
        assert.equal(body.truncated, false);
        assert.deepEqual(
          body.tree.map((e: { path: string; type: string }) => `${e.type} ${e.path}`).sort(),
          ['blob big.bin', 'blob remoteEntry.js', 'tree assets', 'tree src'],
        );
        const dir = body.tree.find((e: { path: string }) => e.path === 'src');
        assert.equal(dir.mode, '040000');
        assert.equal('size' in dir, false);
      });
    });

    it('lists recursively by commit SHA, tree SHA or ref, and every blob verifies', async () => {
      await withServer({ repos }, async (server) => {
        const treeSha = await repo.git('rev-parse', `${second}^{tree}`);
        const byRef = (await getJson(server, '/repos/acme/remote/git/trees/main?recursive=1')).body;
        const byCommit = (await getJson(server, `/repos/acme/remote/git/trees/${second}?recursive=1`)).body;
        const byTree = (await getJson(server, `/repos/acme/remote/git/trees/${treeSha}?recursive=true`)).body;
        // GitHub recurses whenever the parameter is present, even as "0".
        const byZero = (await getJson(server, `/repos/acme/remote/git/trees/${treeSha}?recursive=0`)).body;
        assert.deepEqual(byCommit, byRef);
        assert.deepEqual(byTree, byRef);
        assert.deepEqual(byZero, byRef);
        assert.equal(byRef.sha, treeSha);

        const paths = byRef.tree.map((e: { path: string }) => e.path);
        assert.deepEqual(
          [...paths].sort(),
          ['assets', 'assets/bin.dat', 'big.bin', 'remoteEntry.js', 'src', 'src/app', 'src/app/main.js', 'src/util.js'],
        );

        for (const entry of byRef.tree.filter((e: { type: string }) => e.type === 'blob')) {
          assert.equal(entry.mode, '100644');
          assert.equal(entry.url, `${server.url}/repos/acme/remote/git/blobs/${entry.sha}`);
          const { res, bytes } = await getBytes(server, `/repos/acme/remote/git/blobs/${entry.sha}`, { accept: RAW });
          assert.equal(res.status, 200);
          assert.equal(bytes.length, entry.size, entry.path);
          assert.equal(gitBlobSha(bytes), entry.sha, entry.path);
        }
      });
    });

    it('lists every tree exactly as git holds it: modes, types, SHAs and names, submodules and links included', async () => {
      const own = await createGitRepo();
      try {
        await own.write({ 'a/b/c.txt': 'c', 'a.b': 'x', 'run.sh': '#!/bin/sh\n' });
        await own.git('add', '-A');
        await own.git('update-index', '--chmod=+x', 'run.sh');
        const blob = await own.git('hash-object', '-w', 'a.b'); // the link's target: "x"
        await own.git('update-index', '--add', '--cacheinfo', `120000,${blob},link`);
        await own.git('update-index', '--add', '--cacheinfo', `160000,${first},vendor/lib`);
        await own.git('commit', '-q', '-m', 'tree kinds'); // not own.commit: its `add -A` would drop the entries no file backs
        const head = await own.revParse();
        await withServer({ repos: { 'acme/kinds': own.dir } }, async (server) => {
          const whole = (await getJson(server, `/repos/acme/kinds/git/trees/${head}?recursive=1`)).body;
          const folders = ['', ...whole.tree.filter((e: { type: string }) => e.type === 'tree').map((e: { path: string }) => e.path)];
          assert.deepEqual(folders.sort(), ['', 'a', 'a/b', 'vendor']);
          for (const folder of folders) {
            const treeSha = await own.git('rev-parse', `${head}:${folder}`);
            const level = (await getJson(server, `/repos/acme/kinds/git/trees/${treeSha}`)).body;
            assert.equal(level.sha, treeSha);
            // `git cat-file -p` prints each entry of the tree object: "<mode> <type> <sha>\t<name>".
            const fromGit = (await own.git('cat-file', '-p', treeSha)).split('\n').map((line) => {
              const [meta = '', name = ''] = line.split('\t');
              const [mode, type, sha] = meta.split(' ');
              return { path: name, mode, type, sha };
            });
            assert.deepEqual(level.tree.map((e: Record<string, unknown>) => ({ path: e.path, mode: e.mode, type: e.type, sha: e.sha })), fromGit, folder || 'root');
            for (const entry of whole.tree.filter((e: { path: string }) => e.path.startsWith(folder ? `${folder}/` : '') && !e.path.slice(folder ? folder.length + 1 : 0).includes('/'))) {
              const name = entry.path.slice(folder ? folder.length + 1 : 0);
              assert.deepEqual({ ...fromGit.find((e) => e.path === name) }, { path: name, mode: entry.mode, type: entry.type, sha: entry.sha }, entry.path);
            }
          }
          const modes = new Map(whole.tree.map((e: { path: string; mode: string }) => [e.path, e.mode]));
          assert.deepEqual(
            ['a', 'a.b', 'run.sh', 'link', 'vendor/lib'].map((p) => modes.get(p)),
            ['040000', '100644', '100755', '120000', '160000'],
          );
          // The API writes a tree's mode as ls-tree does; the tree object itself holds "40000".
          assert.ok((await own.git('cat-file', 'tree', `${head}^{tree}`)).includes('40000 a\0'));
        });
      } finally {
        await own.cleanup();
      }
    });

    it('answers /git/commits/{sha} as the git data API does, matching git, and only for a full commit SHA', async () => {
      await withServer({ repos }, async (server) => {
        const { res, body } = await getJson(server, `/repos/acme/remote/git/commits/${second}`);
        assert.equal(res.status, 200);
        const raw = await repo.git('cat-file', 'commit', second);
        assert.equal(body.sha, second);
        assert.equal(`tree ${body.tree.sha}`, raw.split('\n')[0]);
        assert.deepEqual(body.parents.map((p: { sha: string }) => p.sha), [first]);
        assert.equal(body.message, 'second');
        assert.equal(body.author.name, 'Microlib Test');
        assert.equal(body.verification.verified, false);
        assert.equal(body.url, `${server.url}/repos/acme/remote/git/commits/${second}`);
        const treeSha = await repo.git('rev-parse', `${second}^{tree}`);
        for (const notACommit of ['main', second.slice(0, 7), treeSha, '0'.repeat(40)]) {
          assert.equal((await getJson(server, `/repos/acme/remote/git/commits/${notACommit}`)).res.status, 404, notACommit);
        }
      });
    });

    it('sets truncated when a tree exceeds the entry limit', async () => {
      await withServer({ repos, maxTreeEntries: 3 }, async (server) => {
        const { body } = await getJson(server, '/repos/acme/remote/git/trees/main?recursive=1');
        assert.equal(body.truncated, true);
        assert.equal(body.tree.length, 3);
      });
    });

    it('serves blobs as base64 JSON (60-column lines) and as raw bytes', async () => {
      await withServer({ repos }, async (server) => {
        const sha = await repo.git('rev-parse', 'main:assets/bin.dat');
        const { res, body } = await getJson(server, `/repos/acme/remote/git/blobs/${sha}`);
        assert.equal(res.status, 200);
        assert.equal(body.sha, sha);
        assert.equal(body.size, binary.length);
        assert.equal(body.encoding, 'base64');
        assert.equal(body.url, `${server.url}/repos/acme/remote/git/blobs/${sha}`);
        const lines = (body.content as string).split('\n');
        assert.equal(lines.pop(), ''); // trailing newline
        assert.ok(lines.every((l) => l.length <= 60) && lines.slice(0, -1).every((l) => l.length === 60));
        const decoded = Buffer.from(body.content, 'base64');
        assert.deepEqual(decoded, binary);
        assert.equal(gitBlobSha(decoded), sha);

        for (const accept of [RAW, 'application/vnd.github.raw+json', 'application/vnd.github.v3.raw']) {
          const raw = await getBytes(server, `/repos/acme/remote/git/blobs/${sha}`, { accept });
          assert.equal(raw.res.status, 200, accept);
          assert.equal(raw.res.headers.get('content-type'), RAW);
          assert.deepEqual(raw.bytes, binary, accept);
        }
      });
    });

    it('reflects deleted files', async () => {
      const own = await createGitRepo();
      try {
        await own.commitFiles({ 'keep.js': 'k', 'gone.js': 'g' }, 'one');
        await own.remove('gone.js');
        await own.commit('remove');
        await withServer({ repos: { 'o/r': own.dir } }, async (server) => {
          const { body } = await getJson(server, '/repos/o/r/git/trees/main?recursive=1');
          assert.deepEqual(
            body.tree.map((e: { path: string }) => e.path),
            ['keep.js'],
          );
          const gone = await getJson(server, '/repos/o/r/contents/gone.js');
          assert.equal(gone.res.status, 404);
          const before = await getJson(server, '/repos/o/r/contents/gone.js?ref=main~1');
          assert.equal(before.res.status, 200);
        });
      } finally {
        await own.cleanup();
      }
    });
  });

  describe('compare', () => {
    it('compares two commits as GitHub does: ahead, behind, identical, diverged, with paging and files', async () => {
      const own = await createGitRepo();
      try {
        const a = await own.commitFiles({ 'remoteEntry.js': 'a\n', 'gone.js': 'x\n' }, 'a');
        const b = await own.commitFiles({ 'remoteEntry.js': 'b\n' }, 'b');
        await own.remove('gone.js');
        const c = await own.commitFiles({ 'added.js': 'c\n' }, 'c');
        await own.git('checkout', '-q', '-b', 'side', a);
        const d = await own.commitFiles({ 'remoteEntry.js': 'd\n' }, 'd');
        await own.git('checkout', '-q', '--orphan', 'lone');
        const e = await own.commitFiles({ 'remoteEntry.js': 'e\n' }, 'e');
        await withServer({ repos: { 'acme/own': own.dir } }, async (server) => {
          const compare = (basehead: string) => getJson(server, `/repos/acme/own/compare/${basehead}`);
          const ahead = await compare(`${a}...${c}`);
          assert.equal(ahead.res.status, 200);
          assert.equal(ahead.body.status, 'ahead');
          assert.deepEqual([ahead.body.ahead_by, ahead.body.behind_by, ahead.body.total_commits], [2, 0, 2]);
          assert.deepEqual(ahead.body.commits.map((commit: { sha: string }) => commit.sha), [b, c], 'oldest first');
          assert.equal(ahead.body.base_commit.sha, a);
          assert.equal(ahead.body.merge_base_commit.sha, a);
          assert.deepEqual(
            ahead.body.files.map((f: { filename: string; status: string }) => `${f.status} ${f.filename}`).sort(),
            ['added added.js', 'modified remoteEntry.js', 'removed gone.js'],
          );
          assert.equal(ahead.body.files.find((f: { filename: string }) => f.filename === 'added.js').sha, await own.git('rev-parse', `${c}:added.js`));

          const behind = await compare(`${c}...${a}`);
          assert.equal(behind.body.status, 'behind');
          assert.deepEqual([behind.body.ahead_by, behind.body.behind_by, behind.body.commits.length], [0, 2, 0]);
          assert.equal((await compare(`${c}...main`)).body.status, 'identical');
          const diverged = await compare('main...side');
          assert.equal(diverged.body.status, 'diverged');
          assert.deepEqual([diverged.body.ahead_by, diverged.body.behind_by], [1, 2]);
          assert.equal(diverged.body.merge_base_commit.sha, a);
          assert.deepEqual(diverged.body.commits.map((commit: { sha: string }) => commit.sha), [d]);

          const paged = await compare(`${a}...${c}?per_page=1&page=2`);
          assert.deepEqual(paged.body.commits.map((commit: { sha: string }) => commit.sha), [c]);
          assert.equal(paged.body.total_commits, 2);

          const unknown = await compare(`${a}...${'0'.repeat(40)}`);
          assert.equal(unknown.res.status, 404);
          const unrelated = await compare(`${c}...${e}`);
          assert.equal(unrelated.res.status, 404);
          assert.match(unrelated.body.message, /No common ancestor/);
          assert.equal((await compare(`${a}..${c}`)).res.status, 404, 'only BASE...HEAD is served');
        });
      } finally {
        await own.cleanup();
      }
    });
  });

  describe('contents', () => {
    it('serves a file as JSON and raw, from the default branch or ?ref', async () => {
      await withServer({ repos }, async (server) => {
        const { res, body } = await getJson(server, '/repos/acme/remote/contents/remoteEntry.js');
        assert.equal(res.status, 200);
        assert.equal(body.type, 'file');
        assert.equal(body.name, 'remoteEntry.js');
        assert.equal(body.path, 'remoteEntry.js');
        assert.equal(body.encoding, 'base64');
        assert.equal(Buffer.from(body.content, 'base64').toString(), 'export const v = 2;\n');
        assert.equal(body.sha, await repo.git('rev-parse', 'main:remoteEntry.js'));
        assert.equal(body.size, 20);

        const old = await getJson(server, `/repos/acme/remote/contents/remoteEntry.js?ref=v1.0.0`);
        assert.equal(Buffer.from(old.body.content, 'base64').toString(), 'export const v = 1;\n');

        const raw = await getBytes(server, '/repos/acme/remote/contents/src/app/main.js?ref=feature/x', { accept: RAW });
        assert.equal(raw.res.status, 200);
        assert.equal(raw.bytes.toString(), 'console.log("main");\n');
      });
    });

    it('lists directories (and the root) as arrays', async () => {
      await withServer({ repos }, async (server) => {
        const { res, body } = await getJson(server, '/repos/acme/remote/contents/src');
        assert.equal(res.status, 200);
        assert.ok(Array.isArray(body));
        const summary = body.map((e: { type: string; name: string; path: string }) => `${e.type} ${e.name} ${e.path}`);
        assert.deepEqual(summary.sort(), ['dir app src/app', 'file util.js src/util.js']);
        const util = body.find((e: { name: string }) => e.name === 'util.js');
        assert.equal(util.sha, await repo.git('rev-parse', 'main:src/util.js'));
        assert.equal(util.size, 'export {};\n'.length);

        // Raw media type does not apply to directories.
        const root = await getJson(server, '/repos/acme/remote/contents/', { accept: RAW });
        assert.deepEqual(
          root.body.map((e: { name: string }) => e.name).sort(),
          ['assets', 'big.bin', 'remoteEntry.js', 'src'],
        );
      });
    });

    it('omits content over 1 MB unless the raw media type is requested', async () => {
      await withServer({ repos }, async (server) => {
        const { res, body } = await getJson(server, '/repos/acme/remote/contents/big.bin');
        assert.equal(res.status, 200);
        assert.equal(body.encoding, 'none');
        assert.equal(body.content, '');
        assert.equal(body.size, big.length);
        assert.equal(body.sha, gitBlobSha(big));

        const raw = await getBytes(server, '/repos/acme/remote/contents/big.bin', { accept: RAW });
        assert.equal(raw.res.status, 200);
        assert.equal(raw.bytes.length, big.length);
        assert.equal(gitBlobSha(raw.bytes), body.sha);
      });
    });
  });

  describe('rate limiting', () => {
    it('counts down, refuses when exhausted, skips 304s and can be reset', async () => {
      await withServer({ repos, unauthenticatedRateLimit: 3 }, async (server) => {
        const url = `${server.url}/repos/acme/remote/commits/main`;
        const r1 = await fetch(url);
        await r1.text();
        assert.equal(r1.headers.get('x-ratelimit-limit'), '3');
        assert.equal(r1.headers.get('x-ratelimit-remaining'), '2');
        assert.equal(r1.headers.get('x-ratelimit-used'), '1');
        assert.equal(r1.headers.get('x-ratelimit-resource'), 'core');
        const reset = Number(r1.headers.get('x-ratelimit-reset'));
        assert.ok(reset > Date.now() / 1000 && reset <= Date.now() / 1000 + 3601);

        const r304 = await fetch(url, { headers: { 'if-none-match': r1.headers.get('etag')! } });
        assert.equal(r304.status, 304);
        assert.equal(r304.headers.get('x-ratelimit-remaining'), '2');

        const r404 = await getJson(server, '/nope'); // errors count and carry the headers too
        assert.equal(r404.res.headers.get('x-ratelimit-remaining'), '1');
        await (await fetch(url)).text();

        const refused = await getJson(server, '/repos/acme/remote/commits/main');
        assert.equal(refused.res.status, 403);
        assert.equal(refused.res.headers.get('x-ratelimit-remaining'), '0');
        assert.equal(refused.res.headers.get('x-ratelimit-used'), '3');
        assert.match(refused.body.message, /^API rate limit exceeded for /);
        assert.match(refused.body.documentation_url, /rate-limits/);

        server.resetRateLimit({ unauthenticatedRateLimit: 10 });
        const again = await fetch(url);
        await again.text();
        assert.equal(again.status, 200);
        assert.equal(again.headers.get('x-ratelimit-limit'), '10');
        assert.equal(again.headers.get('x-ratelimit-remaining'), '9');
      });
    });

    it('refills when the window ends', async () => {
      await withServer({ repos, unauthenticatedRateLimit: 1, rateLimitWindowMs: 150 }, async (server) => {
        assert.equal((await getJson(server, '/repos/acme/remote')).res.status, 200);
        assert.equal((await getJson(server, '/repos/acme/remote')).res.status, 403);
        // Refused requests while the window lasts; the first one after it ends is served.
        await until(async () => (await getJson(server, '/repos/acme/remote')).res.status === 200, 'the budget to refill', 5_000);
      });
    });

    it('keeps separate budgets for authenticated and anonymous callers', async () => {
      await withServer({ repos, token: TOKEN, rateLimit: 5, unauthenticatedRateLimit: 1 }, async (server) => {
        const anon = await getJson(server, '/repos/acme/remote');
        assert.equal(anon.res.headers.get('x-ratelimit-limit'), '1');
        const anon2 = await getJson(server, '/repos/acme/remote');
        assert.equal(anon2.res.status, 403);
        assert.match(anon2.body.message, /Authenticated requests get a higher rate limit/);
        const authed = await getJson(server, '/repos/acme/remote', { authorization: `Bearer ${TOKEN}` });
        assert.equal(authed.res.status, 200);
        assert.equal(authed.res.headers.get('x-ratelimit-limit'), '5');
        assert.equal(authed.res.headers.get('x-ratelimit-remaining'), '4');
      });
    });
  });

  describe('authentication', () => {
    it('accepts Bearer and token schemes and rejects a wrong token with 401', async () => {
      await withServer({ repos, token: TOKEN }, async (server) => {
        for (const authorization of [`Bearer ${TOKEN}`, `token ${TOKEN}`]) {
          const { res } = await getJson(server, '/repos/acme/secret/commits/main', { authorization });
          assert.equal(res.status, 200, authorization);
        }
        for (const authorization of ['Bearer wrong', `Basic ${TOKEN}`, 'token']) {
          const { res, body } = await getJson(server, '/repos/acme/remote', { authorization });
          assert.equal(res.status, 401, authorization);
          assert.equal(body.message, 'Bad credentials');
        }
      });
    });

    it('hides private repos from anonymous callers but serves public ones', async () => {
      await withServer({ repos, token: TOKEN }, async (server) => {
        const pub = await getJson(server, '/repos/acme/remote/contents/remoteEntry.js');
        assert.equal(pub.res.status, 200);
        for (const path of ['/repos/acme/secret', '/repos/acme/secret/contents/remoteEntry.js']) {
          const { res, body } = await getJson(server, path);
          assert.equal(res.status, 404, path);
          assert.equal(body.message, 'Not Found');
        }
        const priv = await getJson(server, '/repos/acme/secret', { authorization: `Bearer ${TOKEN}` });
        assert.equal(priv.res.status, 200);
        assert.equal(priv.body.private, true);
        assert.equal(priv.body.visibility, 'private');
      });
    });

    it('accepts any credentials when no token is configured', async () => {
      await withServer({ repos }, async (server) => {
        const { res } = await getJson(server, '/repos/acme/secret', { authorization: 'Bearer anything' });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('x-ratelimit-limit'), '5000');
      });
    });
  });

  describe('faults', () => {
    it('hang is cut by a client AbortSignal.timeout', async () => {
      await withServer({ repos }, async (server) => {
        server.setFault('/repos/acme/remote/commits/', { kind: 'hang' });
        await assert.rejects(
          fetch(`${server.url}/repos/acme/remote/commits/main`, { signal: AbortSignal.timeout(150) }),
          (err: Error) => err.name === 'TimeoutError',
        );
        assert.equal(server.requests[0]?.fault, 'hang');
        assert.equal(server.requests[0]?.status, 0);
        // Other paths still answer.
        assert.equal((await getJson(server, '/repos/acme/remote')).res.status, 200);
      });
    });

    it('hang is cut by close(), promptly', async () => {
      const server = await startGitHubApiServer({ repos });
      server.setFault(/\/commits\//, { kind: 'hang' });
      const pending = fetch(`${server.url}/repos/acme/remote/commits/main`);
      pending.catch(() => {}); // observed below
      await until(() => server.requests.length > 0, 'the hung request to arrive');
      const started = Date.now();
      await server.close();
      assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
      await assert.rejects(pending);
    });

    it('delay postpones the answer; status answers canned responses for `times` requests', async () => {
      await withServer({ repos }, async (server) => {
        server.setFault('/repos/acme/remote/git/trees', { kind: 'delay', ms: 200 });
        const started = Date.now();
        const delayed = await getJson(server, '/repos/acme/remote/git/trees/main');
        assert.equal(delayed.res.status, 200);
        assert.ok(Date.now() - started >= 190);

        const handle = server.setFault(/\/repos\/acme\/remote$/, {
          kind: 'status',
          status: 502,
          times: 2,
          headers: { 'retry-after': '1' },
        });
        for (let i = 0; i < 2; i++) {
          const failed = await getJson(server, '/repos/acme/remote');
          assert.equal(failed.res.status, 502);
          assert.equal(failed.res.headers.get('retry-after'), '1');
          assert.equal(failed.body.message, 'Bad Gateway');
        }
        assert.equal(handle.hits, 2);
        assert.equal((await getJson(server, '/repos/acme/remote')).res.status, 200);

        server.setFault('/repos/acme/remote/contents', { kind: 'status', status: 500, body: 'boom' });
        const text = await fetch(`${server.url}/repos/acme/remote/contents/src`);
        assert.equal(text.status, 500);
        assert.equal(await text.text(), 'boom');
        server.clearFaults();
        assert.equal((await getJson(server, '/repos/acme/remote/contents/src')).res.status, 200);
      });
    });

    it('corrupt flips blob bytes but keeps size and sha', async () => {
      await withServer({ repos }, async (server) => {
        const sha = await repo.git('rev-parse', 'main:assets/bin.dat');
        const handle = server.setFault('/repos/acme/remote/git/blobs/', { kind: 'corrupt' });
        const raw = await getBytes(server, `/repos/acme/remote/git/blobs/${sha}`, { accept: RAW });
        assert.equal(raw.bytes.length, binary.length);
        assert.notEqual(gitBlobSha(raw.bytes), sha);
        const asJson = await getJson(server, `/repos/acme/remote/git/blobs/${sha}`);
        assert.equal(asJson.body.sha, sha);
        assert.equal(asJson.body.size, binary.length);
        assert.notEqual(gitBlobSha(Buffer.from(asJson.body.content, 'base64')), sha);
        handle.clear();
        const clean = await getBytes(server, `/repos/acme/remote/git/blobs/${sha}`, { accept: RAW });
        assert.equal(gitBlobSha(clean.bytes), sha);

        server.setFault('/repos/acme/remote/contents/', { kind: 'corrupt', times: 1 });
        const contents = await getBytes(server, '/repos/acme/remote/contents/assets/bin.dat', { accept: RAW });
        assert.notEqual(gitBlobSha(contents.bytes), sha);
      });
    });

    it('edit answers what it makes of a JSON answer, for `times` requests, and leaves raw answers alone', async () => {
      await withServer({ repos }, async (server) => {
        const handle = server.setFault(/\/git\/trees\//, { kind: 'edit', edit: (body) => ({ ...body, tree: body.tree.slice(1) }), times: 2 });
        const whole = (await getJson(server, '/repos/acme/remote/git/trees/main')).body.tree.length;
        assert.equal((await getJson(server, '/repos/acme/remote/git/trees/main')).body.tree.length, whole);
        assert.equal((await getJson(server, '/repos/acme/remote/git/trees/main')).body.tree.length, whole + 1);
        assert.equal(handle.hits, 2);
        const sha = await repo.git('rev-parse', 'main:assets/bin.dat');
        server.setFault('/repos/acme/remote/git/blobs/', { kind: 'edit', edit: () => 'never used for raw bytes' });
        const raw = await getBytes(server, `/repos/acme/remote/git/blobs/${sha}`, { accept: RAW });
        assert.equal(gitBlobSha(raw.bytes), sha);
      });
    });

    it('reset drops the connection', async () => {
      await withServer({ repos }, async (server) => {
        server.setFault('/repos', { kind: 'reset', times: 1 });
        await assert.rejects(fetch(`${server.url}/repos/acme/remote`));
        assert.equal((await getJson(server, '/repos/acme/remote')).res.status, 200);
      });
    });
  });

  describe('bookkeeping and robustness', () => {
    it('records requests', async () => {
      await withServer({ repos, token: TOKEN }, async (server) => {
        await getJson(server, '/repos/acme/remote/git/trees/main?recursive=1', {
          authorization: `token ${TOKEN}`,
          'if-none-match': '"abc"',
        });
        await getBytes(server, '/repos/acme/remote/contents/src/util.js?ref=main', { accept: RAW });
        assert.deepEqual(server.requests, [
          {
            method: 'GET',
            path: '/repos/acme/remote/git/trees/main',
            query: { recursive: '1' },
            accept: '*/*', // fetch's default
            hasAuthorization: true,
            ifNoneMatch: '"abc"',
            status: 200,
            fault: undefined,
          },
          {
            method: 'GET',
            path: '/repos/acme/remote/contents/src/util.js',
            query: { ref: 'main' },
            accept: RAW,
            hasAuthorization: false,
            ifNoneMatch: undefined,
            status: 200,
            fault: undefined,
          },
        ]);
        server.clearRequests();
        assert.equal(server.requests.length, 0);
      });
    });

    it('keeps objects read by SHA, as GitHub does, and reads refs afresh', async () => {
      const own = await createGitRepo();
      try {
        const c1 = await own.commitFiles({ 'dist/a.txt': 'one' }, 'one');
        const blob = gitBlobSha(Buffer.from('one'));
        await withServer({ repos: { 'o/r': own.dir } }, async (server) => {
          assert.equal((await getJson(server, `/repos/o/r/git/commits/${c1}`)).res.status, 200);
          assert.equal((await getJson(server, `/repos/o/r/git/trees/${c1}?recursive=1`)).res.status, 200);
          assert.equal((await getBytes(server, `/repos/o/r/git/blobs/${blob}`, { accept: RAW })).bytes.toString(), 'one');
          // Objects never change: once read they are answered without git, even when git has lost them.
          await rm(join(own.dir, '.git', 'objects'), { recursive: true, force: true });
          const listing = await getJson(server, `/repos/o/r/git/trees/${c1}?recursive=1`);
          assert.deepEqual(listing.body.tree.map((e: { path: string }) => e.path), ['dist', 'dist/a.txt']);
          assert.equal((await getJson(server, `/repos/o/r/git/commits/${c1}`)).body.message, 'one');
          assert.equal((await getBytes(server, `/repos/o/r/git/blobs/${blob}`, { accept: RAW })).bytes.toString(), 'one');
          // A ref is read from the repository each time.
          assert.notEqual((await getJson(server, '/repos/o/r/commits/main')).res.status, 200);
        });
      } finally {
        await own.cleanup();
      }
    });

    it('counts the time it spends answering (busyMs), overlapping requests once', async () => {
      await withServer({ repos }, async (server) => {
        assert.equal(server.busyMs, 0);
        server.setFault('/repos/acme/remote', { kind: 'delay', ms: 300, times: 2 });
        const started = performance.now();
        await Promise.all([getJson(server, '/repos/acme/remote'), getJson(server, '/repos/acme/remote/commits/main')]);
        const elapsed = performance.now() - started;
        assert.ok(server.busyMs >= 300 && server.busyMs <= elapsed, `busy ${server.busyMs} ms of ${elapsed} ms`);
      });
    });

    it('turns git failures into 500 JSON and keeps serving', async () => {
      const notARepo = await mkdtemp(join(tmpdir(), 'microlib-notgit-'));
      try {
        await withServer({ repos: { ...repos, 'o/broken': notARepo, 'o/missing': join(notARepo, 'x') } }, async (server) => {
          for (const path of ['/repos/o/broken/commits/main', '/repos/o/broken', '/repos/o/missing/git/trees/main']) {
            const { res, body } = await getJson(server, path);
            assert.equal(res.status, 500, path);
            assert.match(body.message, /^Internal Server Error/);
          }
          assert.equal((await getJson(server, '/repos/acme/remote')).res.status, 200);
        });
      } finally {
        await rm(notARepo, { recursive: true, force: true });
      }
    });

    it('mounts under a path prefix like GitHub Enterprise, and repos can be added later', async () => {
      const own = await createGitRepo({ defaultBranch: 'trunk' });
      try {
        await own.commitFiles({ 'x.js': 'x' });
        await withServer({ repos, pathPrefix: '/api/v3' }, async (server) => {
          assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
          assert.equal((await getJson(server, '/repos/acme/remote')).res.status, 200);
          const outside = await fetch(`http://127.0.0.1:${server.port}/repos/acme/remote`);
          assert.equal(outside.status, 404);
          await outside.text();

          server.addRepo('o/late', own.dir);
          const { body } = await getJson(server, '/repos/o/late');
          assert.equal(body.default_branch, 'trunk');
          assert.equal(body.url, `${server.url}/repos/o/late`);
          assert.equal(server.requests.at(-1)?.path, '/repos/o/late');
        });
      } finally {
        await own.cleanup();
      }
    });
  });
});
