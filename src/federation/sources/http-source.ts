/**
 * A remote served over HTTP(S). The file list comes from `mf-manifest.json`;
 * the version is a hash of the entry and the manifest (chunk names carry
 * content hashes, so a changed chunk changes the manifest).
 */
import type { HttpSourceConfig } from '../../config/source-configs.js';
import { fetchChecked } from '../fetch-checked.js';
import { contentVersion } from './content-version.js';
import { MANIFEST_FILE, manifestFiles } from './mf-manifest.js';
import { REMOTE_ENTRY_FILE, type ResolvedVersion, type Source } from './source.js';
import { writeSnapshotFiles } from './snapshot-files.js';

export function createHttpSource(config: HttpSourceConfig, options: { timeoutMs: number }): Source {
  const get = async (file: string, signal: AbortSignal) =>
    (await fetchChecked(new URL(file, config.url).href, { timeoutMs: options.timeoutMs, signal, ...(config.headers ? { headers: config.headers } : {}) })).body;

  return {
    kind: 'http',
    describe: () => `http:${config.url}`,
    async resolve(signal): Promise<ResolvedVersion> {
      const [entry, manifest] = await Promise.all([get(REMOTE_ENTRY_FILE, signal), get(MANIFEST_FILE, signal)]);
      const chunks = manifestFiles(manifest, new URL(MANIFEST_FILE, config.url).href);
      return {
        version: contentVersion([entry, '\0', manifest]),
        writeSnapshot: (dir, writeSignal) =>
          writeSnapshotFiles(
            dir,
            [
              { name: REMOTE_ENTRY_FILE, bytes: async () => entry },
              { name: MANIFEST_FILE, bytes: async () => manifest },
              ...chunks.map((file) => ({ name: file, bytes: () => get(file, writeSignal) })),
            ],
            // Every chunk is requested at once: a build has a few dozen at most.
            { signal: writeSignal, concurrency: Infinity },
          ),
      };
    },
  };
}
