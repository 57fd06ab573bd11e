// A batch on the file datasource is durable once answered: kill -9 the host while
// batches stream in, and every item it acknowledged (201 in a batch's results) is
// there after the restart, exactly as answered.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { localModelsRemote } from './support/fixture-remotes.js';
import { hostFor } from './support/with-host.js';

const things = `[{ modelName: 'thing', endpoint: 'things', datasource: 'file', factory: () => (x) => ({ ...x }),
  fields: { name: { type: 'string', required: true }, n: { type: 'integer' } } }]`;
const API = '/microlib/api/models/things';
const BATCH = 50;
/** Acknowledged batches before the kill. */
const KILL_AFTER = 12;

describe('batch durability on the file datasource', () => {
  it('keeps every acknowledged item of every answered batch when killed with SIGKILL', async (t) => {
    const host = await hostFor(t, async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, things)] }));
    const acknowledged = new Map<string, Record<string, unknown>>();
    let batches = 0;
    let stop = false;
    const deadline = Date.now() + 20_000;
    // 4 concurrent writers of batches, one item of each refused (no name); the host is killed mid-stream.
    const writer = async (w: number) => {
      for (let i = 0; !stop && Date.now() < deadline && i < 1_000; i++) {
        const items = Array.from({ length: BATCH }, (_, k) => (k === 7 ? { n: k } : { name: `w${w}-b${i}-${k}`, n: k }));
        let res;
        try {
          res = await host.request(API, { method: 'POST', body: items });
        } catch {
          return; // connection cut by the kill: this batch was not answered
        }
        assert.equal(res.status, 207, JSON.stringify(res.body).slice(0, 300));
        for (const result of res.body.results as Array<{ status: number; record?: { id: string } }>) {
          if (result.status === 201) acknowledged.set(result.record!.id, result.record!);
        }
        if (++batches >= KILL_AFTER && !stop) {
          stop = true;
          await host.kill();
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, (_, w) => writer(w)));
    assert.ok(batches >= KILL_AFTER, `only ${batches} batches answered`);
    assert.equal(acknowledged.size, batches * (BATCH - 1));

    await host.restart();
    const stored = new Map<string, unknown>();
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await host.request(`${API}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(res.status, 200);
      for (const record of res.body.data as Array<{ id: string }>) stored.set(record.id, record);
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    const lost = [...acknowledged.keys()].filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.size} acknowledged items lost`);
    for (const [id, record] of acknowledged) assert.deepEqual(stored.get(id), record);
    assert.ok(![...stored.values()].some((record) => (record as { name?: unknown }).name === undefined), 'a refused item was stored');
  });
});
