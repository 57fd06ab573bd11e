// A reload is answered once its version serves; recording it as last good and pruning the
// cache follow, and the remote's next load waits for them.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { RemoteEntry } from '../config/remote-entries.js';
import type { ContainerRuntime } from './container-runtime.js';
import { ReloadPipeline } from './reload-pipeline.js';
import { initialRemoteState, type ReloadResult } from './remote-state.js';
import { SnapshotCache } from './snapshot-cache.js';
import type { Source } from './sources/source.js';

/** A cache whose `markGood` waits until `release` is called. */
class HeldCache extends SnapshotCache {
  marked: string[] = [];
  private held: Promise<void> = Promise.resolve();
  release: () => void = () => undefined;

  hold(): void {
    this.held = new Promise((resolve) => (this.release = resolve));
  }

  override async markGood(remote: string, version: string): Promise<void> {
    await this.held;
    this.marked.push(version);
    await super.markGood(remote, version);
  }
}

const source: Source = {
  kind: 'test',
  describe: () => 'test source',
  resolve: () => Promise.reject(new Error('versions are named')),
  at: (version) => ({
    version,
    writeSnapshot: (dir) => writeFile(path.join(dir, 'remoteEntry.js'), `// ${version}`),
  }),
};

const runtime: ContainerRuntime = {
  load: async ({ containerName }) => ({ containerName, modules: new Map(), dispose: () => undefined }),
};

const entry = { name: 'kit', source: { kind: 'local', path: '.' }, exposes: [], optionalExposes: [] } as unknown as RemoteEntry;

/** Settles with the promise's value, or 'pending' if it has not settled within `ms`. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> =>
  Promise.race([promise, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);

describe('reload pipeline', () => {
  it('answers a reload once the version serves, and starts the next load after the cache is written', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'microlib-pipeline-'));
    const cache = new HeldCache(root);
    const pipeline = new ReloadPipeline(
      {
        runtime,
        cache,
        loadTimeoutMs: 5_000,
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
        activate: async () => ({ drained: Promise.resolve() }),
        keepVersions: 2,
        drainTimeoutMs: 1_000,
      },
      { finished: () => undefined, retired: () => undefined },
    );
    const state = initialRemoteState(entry, source);
    try {
      cache.hold();
      const first = await within(pipeline.reload(state, { reason: 'manual', version: 'v1' }), 2_000);
      assert.notEqual(first, 'pending', 'the reload is answered while the cache is still being written');
      assert.equal((first as ReloadResult).outcome, 'reloaded');
      assert.equal(state.current?.version, 'v1', 'v1 serves');
      assert.deepEqual(cache.marked, []);

      const second = pipeline.reload(state, { reason: 'manual', version: 'v2' });
      assert.equal(await within(second, 200), 'pending', 'the next load waits for the last good version to be recorded');
      assert.equal(state.current?.version, 'v1');
      cache.release();
      assert.equal((await second).outcome, 'reloaded');
      assert.equal(cache.marked[0], 'v1', 'v1 was recorded before v2 loaded');
      await pipeline.drain();
      assert.deepEqual(cache.marked, ['v1', 'v2'], 'drain waits for the cache too');
      assert.equal((await cache.lastGood('kit'))?.version, 'v2');
    } finally {
      cache.release();
      await pipeline.drain();
      await rm(root, { recursive: true, force: true });
    }
  });
});
