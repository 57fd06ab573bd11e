// The local source against the Source contract, over builds in a temporary folder.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sourceConformance, writeBuildFolder } from '../../../test/support/source-conformance.js';
import { createSource } from './source-registry.js';

const settings = { githubApiUrl: 'http://127.0.0.1:9', githubToken: undefined, fetchTimeoutMs: 5_000 };

sourceConformance('local', async (build) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'microlib-local-source-'));
  const folder = path.join(root, 'dist');
  await writeBuildFolder(folder, build);
  return {
    source: createSource({ kind: 'local', path: folder }, settings),
    publish: (next) => writeBuildFolder(folder, next),
    async missing() {
      const empty = path.join(root, 'not-built');
      await writeBuildFolder(empty, { 'README.md': 'the build goes here\n' });
      return { source: createSource({ kind: 'local', path: empty }, settings), says: /no remoteEntry\.js in .*not-built/ };
    },
    async unreachable() {
      return { source: createSource({ kind: 'local', path: path.join(root, 'no-such-folder') }, settings), says: /folder .*no-such-folder does not exist/ };
    },
    close: () => rm(root, { recursive: true, force: true }),
  };
});
