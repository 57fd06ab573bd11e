// The github source against the Source contract, over builds committed to a real git
// repository served by the GitHub API fixture server (a private repository, so the token is used).
import { freePort } from '../../../test/support/free-port.js';
import { createGitRepo } from '../../../test/support/git-repo.js';
import { startGitHubApiServer } from '../../../test/support/github-api-server.js';
import { sourceConformance, type BuildFiles } from '../../../test/support/source-conformance.js';
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
