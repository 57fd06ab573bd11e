/**
 * A remote served over HTTP(S). The file list comes from `mf-manifest.json`, which
 * @module-federation/enhanced emits next to remoteEntry.js; the version is a
 * hash of the entry and the manifest (chunk names carry content hashes).
 */
import { createHash } from 'node:crypto';
import type { HttpSourceConfig } from '../../config/remote-entries.js';
import { fetchChecked } from '../fetch-checked.js';
import { REMOTE_ENTRY_FILE, type RemoteSource, type ResolvedVersion } from './source.js';
import { writeSnapshotFile } from './snapshot-files.js';

const MANIFEST_FILE = 'mf-manifest.json';

interface ManifestAssets {
  js?: { sync?: string[]; async?: string[] };
}
interface Manifest {
  exposes?: { assets?: ManifestAssets }[];
  shared?: { assets?: ManifestAssets }[];
}

/** Every JS file the manifest names, relative to the remote's folder. */
function manifestFiles(manifest: Manifest): string[] {
  const files = new Set<string>();
  for (const item of [...(manifest.exposes ?? []), ...(manifest.shared ?? [])]) {
    for (const file of [...(item.assets?.js?.sync ?? []), ...(item.assets?.js?.async ?? [])]) files.add(file);
  }
  return [...files];
}

export function createHttpSource(config: HttpSourceConfig, options: { timeoutMs: number }): RemoteSource {
  const get = (file: string, signal: AbortSignal) =>
    fetchChecked(new URL(file, config.url).href, { timeoutMs: options.timeoutMs, signal, ...(config.headers ? { headers: config.headers } : {}) });

  return {
    kind: 'http',
    describe: () => `http:${config.url}`,
    async resolve(signal): Promise<ResolvedVersion> {
      const [entry, manifestResponse] = await Promise.all([get(REMOTE_ENTRY_FILE, signal), get(MANIFEST_FILE, signal)]);
      let manifest: Manifest;
      try {
        manifest = JSON.parse(manifestResponse.body.toString('utf8')) as Manifest;
      } catch {
        throw new Error(`${new URL(MANIFEST_FILE, config.url).href} is not valid JSON`);
      }
      const version = createHash('sha256').update(entry.body).update('\0').update(manifestResponse.body).digest('hex').slice(0, 20);
      return {
        version: `sha256-${version}`,
        async materialize(dir, materializeSignal) {
          await writeSnapshotFile(dir, REMOTE_ENTRY_FILE, entry.body);
          await writeSnapshotFile(dir, MANIFEST_FILE, manifestResponse.body);
          await Promise.all(
            manifestFiles(manifest).map(async (file) => {
              const response = await get(file, materializeSignal);
              await writeSnapshotFile(dir, file, response.body);
            }),
          );
        },
      };
    },
  };
}
