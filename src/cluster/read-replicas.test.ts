// Read replicas of cluster workers, in one process: a primary side (OwnedDatasources) and two or
// three workers (IPC datasources) over in-memory channels that deliver structured clones in order,
// as a fork channel does, and can drop a message to simulate a lost change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtInDatasources } from '../adapters/persistence/datasource-registry.js';
import type { StoredRecord } from '../domain/model-spec.js';
import { listQuery, makeRecord, rejectsWithCode } from '../testing/index.js';
import { memoryChannel, type MemoryChannelEnd } from '../../test/support/memory-channel.js';
import { IpcDatasource } from './ipc-datasource.js';
import { IpcPeer } from './ipc-peer.js';
import { OwnedDatasources } from './owned-datasources.js';
import { WorkerReplicas } from './worker-replicas.js';

interface Worker {
  ds: IpcDatasource;
  peer: IpcPeer;
  /** The primary's end: set its `lose` to drop what the primary sends this worker. */
  fromPrimary: MemoryChannelEnd;
}

let collections = 0;

/** A primary owning one memory collection, and `count` workers opening it (not yet opened). */
function cluster(count: number, gapTimeoutMs = 2_000) {
  const owned = new OwnedDatasources(builtInDatasources);
  const collection = `replicated${++collections}`;
  const workers: Worker[] = Array.from({ length: count }, () => {
    const [primaryEnd, workerEnd] = memoryChannel();
    const primaryPeer: IpcPeer = new IpcPeer(primaryEnd, owned.handlers({ send: (topic, batch) => primaryPeer.notify(topic, batch) }));
    const peer = new IpcPeer(workerEnd, {});
    WorkerReplicas.of(peer, { gapTimeoutMs, maxWaiting: 10_000 });
    return { ds: new IpcDatasource(peer, 'memory', { collection, dataDir: '' }), peer, fromPrimary: primaryEnd };
  });
  return { owned, workers, collection };
}

const everything = listQuery({ limit: 100_000 });
const ids = (records: StoredRecord[]) => records.map((record) => record.id);

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('cluster read replicas', () => {
  it("answers a write once the writer's replica holds it, so its next read sees it, while another worker writes too", async () => {
    const { workers, owned } = cluster(2);
    const [a, b] = workers as [Worker, Worker];
    await a.ds.open();
    await b.ds.open();
    const other = (async () => {
      for (let i = 0; i < 200; i++) await b.ds.create(makeRecord(`b${i}`, { n: i }));
    })();
    for (let i = 0; i < 200; i++) {
      const created = await a.ds.create(makeRecord(`a${i}`, { n: i }));
      assert.deepEqual(await a.ds.get(`a${i}`), created, `create ${i} read back`);
      const replaced = await a.ds.replace({ ...created, n: -i, revision: 2 }, 1);
      assert.equal((await a.ds.get(`a${i}`))?.['n'], -i, `replace ${i} read back`);
      if (i % 3 === 0) {
        await a.ds.delete(`a${i}`, replaced.revision);
        assert.equal(await a.ds.get(`a${i}`), undefined, `delete ${i} read back`);
      }
    }
    await other;
    const same = async () => JSON.stringify(await a.ds.list(everything)) === JSON.stringify(await b.ds.list(everything));
    await until(same, 'both replicas to hold the same records in the same order');
    assert.equal((await b.ds.list(everything)).records.length, 333);
    await owned.closeAll();
  });

  it('reads without asking the primary; writes, snapshots and positions are what crosses', async () => {
    const { workers, owned } = cluster(1);
    const [a] = workers as [Worker];
    await a.ds.open();
    await a.ds.create(makeRecord('r1', { v: 1 }));
    const calls = WorkerReplicas.of(a.peer).calls;
    const before = structuredClone(calls);
    for (let i = 0; i < 50; i++) {
      await a.ds.get('r1');
      await a.ds.list(listQuery({ count: true, filter: { v: 1 } }));
    }
    assert.deepEqual(calls, before, 'no call for reads');
    assert.deepEqual([...calls.keys()].sort(), ['ds.open', 'ds.sync', 'ds.write']);
    await a.ds.get('r1', { latest: true });
    assert.equal(calls.get('ds.position'), 1, 'a latest read asks the position, not the record');
    await owned.closeAll();
  });

  it('starts a worker that opens later from a snapshot plus the stream: no change missed or applied twice, same creation order and cursors', async () => {
    const { workers, owned } = cluster(2);
    const [a, b] = workers as [Worker, Worker];
    await a.ds.open();
    for (let i = 0; i < 100; i++) await a.ds.create(makeRecord(`r${String(i).padStart(3, '0')}`, { n: i % 7 }));
    // Writes keep coming while the second worker takes its snapshot.
    const writes = (async () => {
      for (let i = 0; i < 100; i++) {
        const id = `r${String(i).padStart(3, '0')}`;
        if (i % 2 === 0) await a.ds.delete(id);
        else await a.ds.replace({ ...makeRecord(id, { n: 100 + i }), revision: 2 }, 1);
        await a.ds.create(makeRecord(`s${String(i).padStart(3, '0')}`, { n: i % 5 }));
      }
    })();
    await b.ds.open();
    await writes;
    await until(async () => JSON.stringify(await b.ds.list(everything)) === JSON.stringify(await a.ds.list(everything)), 'the late worker to catch up');
    assert.equal((await b.ds.list(everything)).records.length, 150);
    assert.deepEqual(await b.ds.list(everything), await a.ds.list(everything), 'the late replica equals the first, creation order included');
    // A creation-order cursor from one worker continues on the other.
    const first = await a.ds.list(listQuery({ limit: 40 }));
    const rest = await b.ds.list(listQuery({ limit: 1_000, cursor: first.nextCursor! }));
    assert.deepEqual([...ids(first.records), ...ids(rest.records)], ids((await a.ds.list(everything)).records));
    await owned.closeAll();
  });

  it('decides conditional writes in the primary: a stale revision conflicts through any worker, and the conflict brings the winner', async () => {
    const { workers, owned } = cluster(2);
    const [a, b] = workers as [Worker, Worker];
    await a.ds.open();
    await b.ds.open();
    const created = await a.ds.create(makeRecord('c1', { v: 1 }));
    await a.ds.replace({ ...created, v: 2, revision: 2 }, 1);
    await rejectsWithCode(b.ds.replace({ ...created, v: 3, revision: 2 }, 1), 'MLB_ERR_CONFLICT');
    assert.equal((await b.ds.get('c1'))?.['revision'], 2, 'after the conflict the worker reads the revision that won');
    await rejectsWithCode(b.ds.delete('c1', 1), 'MLB_ERR_CONFLICT');
    assert.equal((await b.ds.replace({ ...created, v: 3, revision: 3 }, 2)).revision, 3, 'the current revision is accepted through the other worker');
    await rejectsWithCode(a.ds.replace({ ...created, v: 4, revision: 3 }, 2), 'MLB_ERR_CONFLICT');
    assert.equal((await a.ds.get('c1', { latest: true }))?.['v'], 3);
    await owned.closeAll();
  });

  it('resynchronises a replica that missed a change from a snapshot', async () => {
    const { workers, owned } = cluster(2, 50);
    const [a, b] = workers as [Worker, Worker];
    await a.ds.open();
    await b.ds.open();
    let lost = 0;
    b.fromPrimary.lose = (message) => (message as { topic?: string }).topic === 'ds.changes' && lost++ === 0;
    for (let i = 0; i < 20; i++) await a.ds.create(makeRecord(`g${i}`, { n: i }));
    await until(async () => JSON.stringify(await b.ds.list(everything)) === JSON.stringify(await a.ds.list(everything)), 'the replica to resynchronise');
    assert.equal((await b.ds.list(everything)).records.length, 20);
    assert.deepEqual(await b.ds.list(everything), await a.ds.list(everything));
    const [status] = WorkerReplicas.of(b.peer).status();
    assert.equal(status?.resyncs, 1);
    assert.equal(status?.waitingChanges, 0);
    await owned.closeAll();
  });

  it('shares one replica between two datasources of a collection in a worker (a hot deploy), until the last closes', async () => {
    const { workers, owned, collection } = cluster(1);
    const [a] = workers as [Worker];
    await a.ds.open();
    const again = new IpcDatasource(a.peer, 'memory', { collection, dataDir: '' });
    await again.open();
    await a.ds.create(makeRecord('h1'));
    assert.ok(await again.get('h1'), 'the other datasource reads the write at once');
    await a.ds.close();
    await again.create(makeRecord('h2'));
    assert.equal((await again.list(listQuery({ count: true }))).total, 2);
    assert.equal(WorkerReplicas.of(a.peer).status().length, 1);
    await again.close();
    assert.equal(WorkerReplicas.of(a.peer).status().length, 0, 'the replica is dropped with its last datasource');
    await owned.closeAll();
  });
});
