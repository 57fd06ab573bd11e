/** A remote built into a folder on this machine. The version is a hash of its files. */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LocalSourceConfig } from '../../config/remote-entries.js';
import { REMOTE_ENTRY_FILE, type RemoteSource, type ResolvedVersion } from './source.js';
import { writeSnapshotFile } from './snapshot-files.js';

async function listFiles(root: string, relative = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(root, child)));
    else if (entry.isFile()) files.push(child);
  }
  return files.sort();
}

export function createLocalSource(config: LocalSourceConfig): RemoteSource {
  return {
    kind: 'local',
    describe: () => `local:${config.path}`,
    async resolve(): Promise<ResolvedVersion> {
      const info = await stat(config.path).catch(() => undefined);
      if (!info?.isDirectory()) throw new Error(`folder ${config.path} does not exist (build the remote first)`);
      const names = await listFiles(config.path);
      if (!names.includes(REMOTE_ENTRY_FILE)) throw new Error(`no ${REMOTE_ENTRY_FILE} in ${config.path} (build the remote first)`);
      // Read once: the bytes hashed are the bytes loaded, even if a build rewrites the folder meanwhile.
      const files = await Promise.all(names.map(async (name) => ({ name, bytes: await readFile(path.join(config.path, name)) })));
      const hash = createHash('sha256');
      for (const file of files) hash.update(file.name).update('\0').update(file.bytes).update('\0');
      return {
        version: `sha256-${hash.digest('hex').slice(0, 20)}`,
        async materialize(dir) {
          for (const file of files) await writeSnapshotFile(dir, file.name, file.bytes);
        },
      };
    },
  };
}
