/** A remote built into a folder on this machine. The version is a hash of its files. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LocalSourceConfig } from '../../config/source-configs.js';
import { contentVersion } from './content-version.js';
import { REMOTE_ENTRY_FILE, type ResolvedVersion, type Source } from './source.js';
import { listFolderFiles, writeSnapshotFiles } from './snapshot-files.js';

export function createLocalSource(config: LocalSourceConfig): Source {
  return {
    kind: 'local',
    describe: () => `local:${config.path}`,
    async resolve(signal): Promise<ResolvedVersion> {
      signal.throwIfAborted();
      const info = await stat(config.path).catch(() => undefined);
      if (!info?.isDirectory()) throw new Error(`folder ${config.path} does not exist (build the remote first)`);
      const names = await listFolderFiles(config.path);
      if (!names.includes(REMOTE_ENTRY_FILE)) throw new Error(`no ${REMOTE_ENTRY_FILE} in ${config.path} (build the remote first)`);
      // Read once: the bytes hashed are the bytes loaded, even if a build rewrites the folder meanwhile.
      const files = await Promise.all(names.map(async (name) => ({ name, bytes: await readFile(path.join(config.path, name)) })));
      signal.throwIfAborted();
      return {
        version: contentVersion(files.flatMap((file) => [file.name, '\0', file.bytes, '\0'])),
        writeSnapshot: (dir, writeSignal) =>
          writeSnapshotFiles(
            dir,
            files.map((file) => ({ name: file.name, bytes: async () => file.bytes })),
            { signal: writeSignal, concurrency: 8 },
          ),
      };
    },
  };
}
