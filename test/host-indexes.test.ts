// A spec's `indexes` reach the memory and file datasources through the host: pages come from
// the index (the same answers), and a declaration those datasources cannot serve fails the
// remote's load with a message naming `indexes`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { localModelsRemote } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';

const model = (name: string, endpoint: string, adapter: string, indexes: unknown) =>
  `{ modelName: '${name}', endpoint: '${endpoint}', datasource: { adapter: '${adapter}', indexes: ${JSON.stringify(indexes)} }, ` +
  `fields: { score: { type: 'number' }, sensor: { type: 'string' } }, factory: () => (x) => ({ ...x }) }`;

describe('indexes declared in a spec', () => {
  let running: InProcessHost;
  let root = '';
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'microlib-indexes-'));
    const indexes = [{ fields: { score: -1 } }, { fields: { sensor: 'hashed' } }];
    const kit = await localModelsRemote(root, `[${model('reading', 'readings', 'memory', indexes)}, ${model('sample', 'samples', 'file', indexes)}]`);
    const bad = await localModelsRemote(root, `[${model('odd', 'odds', 'memory', [{ fields: { score: 1 }, unique: true }])}]`, 'bad');
    running = await startInProcessHost({ remotes: [kit, bad] });
  });
  after(async () => {
    await running.stop();
    await rm(root, { recursive: true, force: true });
  });

  for (const endpoint of ['readings', 'samples']) {
    it(`answer range, sort and equality pages on ${endpoint}`, async () => {
      for (let i = 0; i < 30; i++) {
        const created = await running.inject({ method: 'POST', url: `/microlib/api/models/${endpoint}`, body: { score: i, sensor: `s${i % 3}` } });
        assert.equal(created.status, 201);
      }
      const page = await running.inject(`/microlib/api/models/${endpoint}?score[$gte]=20&score[$lt]=28&sort=-score&limit=3`);
      assert.equal(page.status, 200);
      const scores = (body: unknown) => (body as { data: unknown[] }).data.map((r) => (r as { score: number }).score);
      assert.deepEqual(scores(page.json()), [27, 26, 25]);
      const bySensor = await running.inject(`/microlib/api/models/${endpoint}?sensor=s1&sort=score&limit=4`);
      assert.deepEqual(scores(bySensor.json()), [1, 4, 7, 10]);
    });
  }

  it('refuse to load a model whose indexes the datasource cannot serve, naming the option', async () => {
    const rows = (await running.inject('/microlib/api/remotes')).json() as { remotes: { name: string; status: string; lastError: { message: string } | null }[] };
    const bad = rows.remotes.find((row) => row.name === 'bad');
    assert.notEqual(bad?.status, 'loaded');
    assert.match(bad?.lastError?.message ?? '', /indexes: entry 0: "unique" is enforced by the mongodb datasource only/);
    assert.equal((await running.inject('/microlib/api/models/odds')).status, 404);
  });
});
