// Cluster workers share REMOTE_CACHE_DIR: two processes downloading one version at once both
// succeed and leave one complete snapshot (each writes its own temporary folder, the first
// rename wins, the other counts the existing folder as success).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SnapshotCache } from './snapshot-cache.js';
import type { ResolvedVersion } from './sources/source.js';
import { until } from '../../test/support/until.js';

/**
 * A version whose downloads all overlap: each writes its first file, then waits until
 * `writers` downloads have begun before writing the rest.
 */
function overlappingVersion(version: string, writers: number): (writer: string) => ResolvedVersion {
  let begun = 0;
  return (writer) => ({
    version,
    async writeSnapshot(dir) {
      await writeFile(path.join(dir, 'remoteEntry.js'), `module.exports = 1; // ${version}`);
      begun++;
      await until(() => begun === writers, `all ${writers} downloads to begin`, 5_000);
      await writeFile(path.join(dir, 'writer.txt'), writer);
    },
  });
}

describe('snapshot cache shared by processes', () => {
  it('lets concurrent downloads of one version all succeed with one complete folder', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'microlib-cache-'));
    try {
      // Separate instances stand for separate processes: they share only the folder.
      const caches = Array.from({ length: 4 }, () => new SnapshotCache(root));
      const signal = new AbortController().signal;
      const v1 = overlappingVersion('v1', caches.length);
      const results = await Promise.all(caches.map((cache, i) => cache.ensure('kit', v1(`writer ${i}`), signal)));
      const dir = path.join(root, 'kit', 'v1');
      for (const result of results) assert.equal(result.dir, dir);
      assert.deepEqual((await readdir(dir)).sort(), ['remoteEntry.js', 'writer.txt']);
      assert.match(await readFile(path.join(dir, 'writer.txt'), 'utf8'), /^writer \d$/);
      assert.deepEqual((await readdir(path.join(root, 'kit'))).filter((name) => name.startsWith('.download-')), [], 'no temporary folder is left');
      await Promise.all([caches[0]!.markGood('kit', 'v1'), caches[1]!.markGood('kit', 'v1')]);
      assert.equal((await caches[2]!.lastGood('kit'))?.version, 'v1');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
