// The http source against the Source contract, over builds on a static file server.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../test/support/free-port.js';
import { sourceConformance, writeBuildFolder } from '../../../test/support/source-conformance.js';
import { startStaticServer } from '../../../test/support/static-server.js';
import { createSource } from './source-registry.js';

// Long enough that only an abort, never the timeout, ends a held request.
const settings = { githubApiUrl: 'http://127.0.0.1:9', githubToken: undefined, fetchTimeoutMs: 60_000 };

sourceConformance('http', async (build) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'microlib-http-source-'));
  const folder = path.join(root, 'remote');
  await writeBuildFolder(folder, build);
  const server = await startStaticServer(root);
  const at = (place: string) => createSource({ kind: 'http', url: new URL(place, server.url).href }, settings);
  return {
    source: at('remote/'),
    publish: (next) => writeBuildFolder(folder, next),
    missing: async () => ({ source: at('not-built/'), says: /not-built\/remoteEntry\.js answered 404/ }),
    unreachable: async () => ({
      source: createSource({ kind: 'http', url: `http://127.0.0.1:${await freePort()}/remote/` }, settings),
      says: /remoteEntry\.js failed: ECONNREFUSED/,
    }),
    stall() {
      const seen = server.requests.length;
      server.hang = true;
      return { holding: () => server.requests.length > seen, release: () => (server.hang = false) };
    },
    async close() {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});
