/**
 * A remote served over HTTP(S). The file list comes from `mf-manifest.json`;
 * the version is a hash of the entry and the manifest (chunk names carry
 * content hashes, so a changed chunk changes the manifest). When the server
 * sends ETags, the two are asked for with If-None-Match, so an unchanged remote
 * costs two 304s (polling, a function's REMOTE_TTL_SECONDS check).
 */
import type { HttpSourceConfig } from '../../config/source-configs.js';
import { fetchChecked } from '../fetch-checked.js';
import { contentVersion } from './content-version.js';
import { MANIFEST_FILE, manifestFiles } from './mf-manifest.js';
import { REMOTE_ENTRY_FILE, type ResolvedVersion, type Source } from './source.js';
import { writeSnapshotFiles } from './snapshot-files.js';

export function createHttpSource(config: HttpSourceConfig, options: { timeoutMs: number }): Source {
  const get = async (file: string, signal: AbortSignal, headers: Record<string, string> = {}) =>
    fetchChecked(new URL(file, config.url).href, { timeoutMs: options.timeoutMs, signal, headers: { ...config.headers, ...headers }, acceptStatus: headers['if-none-match'] ? [304] : [] });
  /** The last answer for the entry and the manifest, with its ETag: asked again with If-None-Match, a 304 reuses the bytes. */
  const known = new Map<string, { etag: string; body: Buffer }>();
  const getConditional = async (file: string, signal: AbortSignal): Promise<Buffer> => {
    const last = known.get(file);
    const response = await get(file, signal, last ? { 'if-none-match': last.etag } : {});
    if (response.status === 304 && last) return last.body;
    const etag = response.headers.get('etag');
    if (etag) known.set(file, { etag, body: response.body });
    else known.delete(file);
    return response.body;
  };

  return {
    kind: 'http',
    describe: () => `http:${config.url}`,
    async resolve(signal): Promise<ResolvedVersion> {
      const [entry, manifest] = await Promise.all([getConditional(REMOTE_ENTRY_FILE, signal), getConditional(MANIFEST_FILE, signal)]);
      const chunks = manifestFiles(manifest, new URL(MANIFEST_FILE, config.url).href);
      return {
        version: contentVersion([entry, '\0', manifest]),
        writeSnapshot: (dir, writeSignal) =>
          writeSnapshotFiles(
            dir,
            [
              { name: REMOTE_ENTRY_FILE, bytes: async () => entry },
              { name: MANIFEST_FILE, bytes: async () => manifest },
              ...chunks.map((file) => ({ name: file, bytes: async () => (await get(file, writeSignal)).body })),
            ],
            // Every chunk is requested at once: a build has a few dozen at most.
            { signal: writeSignal, concurrency: Infinity },
          ),
      };
    },
  };
}
