// Rotating the key of sensitive fields on a running host (file datasource, host processes):
// restarted with the new ENCRYPTION_PWD and ENCRYPTION_PWD_PREVIOUS, the host reads and finds
// records written under the old password while it re-encrypts them in the background, keeps the
// writes clients make meanwhile, and once it logs that it finished the new password alone reads
// everything. A previous password that opens nothing stops the start with a clear message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { localModelsRemote } from './support/fixture-remotes.js';
import { hostFor } from './support/with-host.js';
import { until } from './support/until.js';

const OLD = 'the old long password';
const NEW = 'the new long password';
const api = '/microlib/api/models/customers';
const customers = `[{
  modelName: 'customer', endpoint: 'customers', datasource: 'file',
  factory: () => (x) => ({ ...x }),
  fields: { name: { type: 'string' }, card: { type: 'string', sensitive: true }, email: { type: 'string', sensitive: true, lookup: true } },
}]`;

const keyIdOf = (envelope: unknown) => String(envelope).split(':')[2];

describe('key rotation of sensitive fields through the host', () => {
  it('reads old records with new + previous, keeps client writes made during re-encryption, and reads everything with the new password alone after', async (t) => {
    const host = await hostFor(t, async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, customers)], env: { ENCRYPTION_PWD: OLD } }));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const created = await host.request(api, { method: 'POST', body: { name: `c${i}`, card: `4111-${i}`, email: `c${i}@example.com` } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      ids.push(created.body.id);
    }
    const oldKeyId = keyIdOf((await host.request(`${api}/${ids[0]}`)).body.card);

    // 5 records a second: the 30 records take about 6 s, so the last ones are still under the old key for a while.
    await host.restart((last) => ({ ...last, env: { ENCRYPTION_PWD: NEW, ENCRYPTION_PWD_PREVIOUS: OLD, ENCRYPTION_REENCRYPT_PER_SECOND: '5' } }));
    const last = await host.request(`${api}/${ids[29]}`);
    assert.equal(keyIdOf(last.body.card), oldKeyId, 'the last record is not re-encrypted yet');
    const clear = await host.request(`${api}/${ids[29]}/commands/decrypt`, { method: 'POST' });
    assert.equal(clear.status, 200, JSON.stringify(clear.body));
    assert.equal(clear.body.card, '4111-29');
    const found = await host.request(`${api}?email=c28@example.com`);
    assert.deepEqual(found.body.data.map((r: { id: string }) => r.id), [ids[28]]);
    const metrics = await host.request('/metrics');
    const remaining = Number(/^microlib_reencryption_remaining (\d+)/m.exec(String(metrics.body))?.[1]);
    assert.ok(remaining > 0, `remaining ${remaining} in /metrics`);

    // Clients write while the task runs: with If-Match of the revision they read, and without.
    for (const [n, id] of ids.slice(20).entries()) {
      const read = await host.request(`${api}/${id}`);
      const headers: Record<string, string> = n % 2 === 0 ? { 'if-match': read.headers.get('etag') ?? '' } : {};
      const patched = await host.request(`${api}/${id}`, { method: 'PATCH', body: { name: `patched ${id}`, card: `new ${id}` }, headers });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.notEqual(keyIdOf(patched.body.card), oldKeyId, 'a write uses the new key');
    }

    await until(() => host.logs.some((line) => /ENCRYPTION_PWD_PREVIOUS may be removed/.test(String(line.msg))), 'the host says re-encryption finished', 30_000);
    const finishedMetrics = await host.request('/metrics');
    assert.match(String(finishedMetrics.body), /^microlib_reencryption_remaining 0$/m);

    await host.restart((setup) => ({ ...setup, env: { ENCRYPTION_PWD: NEW } }));
    assert.equal((await host.request('/microlib/ready')).status, 200);
    for (const [i, id] of ids.entries()) {
      const read = await host.request(`${api}/${id}/commands/decrypt`, { method: 'POST' });
      assert.equal(read.status, 200, `${id}: ${JSON.stringify(read.body)}`);
      assert.equal(read.body.email, `c${i}@example.com`);
      assert.equal(read.body.card, i >= 20 ? `new ${id}` : `4111-${i}`);
      assert.equal(read.body.name, i >= 20 ? `patched ${id}` : `c${i}`);
    }
    const lookup = await host.request(`${api}?email=c3@example.com`);
    assert.deepEqual(lookup.body.data.map((r: { id: string }) => r.id), [ids[3]]);

    // The old password alone no longer opens the data.
    await host.restart((setup) => ({ ...setup, env: { ENCRYPTION_PWD: OLD } }));
    const ready = await host.request('/microlib/ready');
    assert.equal(ready.status, 503);
    assert.match(ready.body.reason, /ENCRYPTION_PWD does not match the key the data in .* was encrypted with/);
  });

  it('refuses to start with a previous password that does not open the data, naming it', async (t) => {
    const host = await hostFor(t, async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, customers)], env: { ENCRYPTION_PWD: OLD } }));
    for (let i = 0; i < 5; i++) assert.equal((await host.request(api, { method: 'POST', body: { name: `c${i}`, card: `${i}` } })).status, 201);
    await assert.rejects(
      host.restart((setup) => ({ ...setup, env: { ENCRYPTION_PWD: NEW, ENCRYPTION_PWD_PREVIOUS: 'not the old password' } })),
      /microlib: failed to start: ENCRYPTION_PWD_PREVIOUS does not match the key the data in \S+ was encrypted with \(nor does ENCRYPTION_PWD\): set ENCRYPTION_PWD_PREVIOUS to the password the data was encrypted with/,
    );
    // Stopped mid-rotation (5 records at 1 a second), the new password alone is refused, saying what to set.
    await host.restart((setup) => ({ ...setup, env: { ENCRYPTION_PWD: NEW, ENCRYPTION_PWD_PREVIOUS: OLD, ENCRYPTION_REENCRYPT_PER_SECOND: '1' } }));
    await host.restart((setup) => ({ ...setup, env: { ENCRYPTION_PWD: NEW } }));
    const ready = await host.request('/microlib/ready');
    assert.equal(ready.status, 503);
    assert.match(ready.body.reason, /re-encryption of the data in .* under ENCRYPTION_PWD has not finished: set ENCRYPTION_PWD_PREVIOUS/);
  });
});
