// Specs written for the original MicroLib are served unchanged; configuration mistakes fail fast and clearly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { makeWorkDir, removeDir, serverScript } from './support/host-process.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { hostFor } from './support/with-host.js';

// The shape of the original MicroLib-Example order spec: factory(dependencies) returns an
// async create function producing a frozen object with methods; validate(model, changes).
const legacySpec = `[{
  modelName: 'legacyOrder',
  endpoint: 'legacy-orders',
  dependencies: { uuid: () => 'ORD-' + Math.floor(Math.random() * 1e6) },
  factory: (dependencies) => async function createOrder({ customerId, orderItems = [] }) {
    return Object.freeze({ customerId, orderItems, orderNo: dependencies.uuid(), total() { return orderItems.length; } });
  },
  validate: (model, changes) => { if (changes.orderItems && !Array.isArray(changes.orderItems)) throw new Error('orderItems must be a list'); return model; },
  onDelete: (model) => { if (model.orderStatus === 'COMPLETE') throw new Error('completed orders are kept'); return model; },
  mixins: [],
  eventHandlers: [],
  // Keys of the original that this host does not use are accepted and ignored.
  relations: { customer: { modelName: 'customer', foreignKey: 'customerId', type: 'manyToOne', desc: 'Many orders per customer' } },
  ports: { validateAddress: { service: 'Address', type: 'outbound', keys: 'shippingAddress', disabled: true, timeout: 2000, maxRetry: 2, circuitBreaker: { default: { errorRate: 20, callVolume: 30 } } } },
  accessControlList: { customer: { allow: 'read', type: 'relation', desc: 'Allow customer model to see orders' } },
  serializers: [],
  endpoints: {},
}]`;

describe('original MicroLib specs', () => {
  it('serves modelName/endpoint/factory/validate/onDelete as written', async (t) => {
    const host = await hostFor(t, async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, legacySpec, 'legacy')] }));
    const api = '/microlib/api/models/legacy-orders';
    const created = await host.request(api, { method: 'POST', body: { customerId: 'c1', orderItems: [{ sku: 'x' }] } });
    assert.equal(created.status, 201);
    assert.match(created.body.orderNo, /^ORD-/, 'dependencies reach the factory');
    assert.equal(created.body.total, undefined, 'methods are not stored');
    const invalid = await host.request(`${api}/${created.body.id}`, { method: 'PATCH', body: { orderItems: 'nope' } });
    assert.equal(invalid.status, 400);
    assert.match(invalid.body.error.message, /orderItems must be a list/);
    const completed = await host.request(`${api}/${created.body.id}`, { method: 'PATCH', body: { orderStatus: 'COMPLETE' } });
    assert.equal(completed.status, 200);
    assert.equal((await host.request(`${api}/${created.body.id}`, { method: 'DELETE' })).status, 409);
  });

  it('refuses a spec naming an unknown datasource, and says so', async (t) => {
    const odd = `[{ modelName: 'thing', endpoint: 'things', datasource: 'cassandra', factory: () => (x) => x }]`;
    const host = await hostFor(t, async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, odd, 'odd')] }));
    const { body } = await host.request('/microlib/api/remotes');
    assert.equal(body.remotes[0].status, 'failed');
    assert.match(body.remotes[0].lastError.message, /datasource "cassandra" is not one of: memory, file/);
  });
});

describe('configuration errors', () => {
  const run = (env: Record<string, string>) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [serverScript], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });

  it('exits non-zero naming the bad variable', async () => {
    const port = await run({ PORT: 'eighty' });
    assert.equal(port.code, 1);
    assert.match(port.stderr, /PORT: expected an integer/);
    const workDir = await makeWorkDir();
    try {
      const entries = path.join(workDir, 'remoteEntries.js');
      await writeFile(entries, 'export default [];\n');
      const datasource = await run({ PORT: '0', DATASOURCE_ADAPTER: 'oracle', REMOTE_ENTRIES: entries, DATA_DIR: workDir });
      assert.equal(datasource.code, 1);
      assert.match(datasource.stderr, /DATASOURCE_ADAPTER "oracle" is not one of: memory, file/);
      assert.doesNotMatch(datasource.stderr, /    at /, 'a configuration mistake prints no stack trace');
      const missing = await run({ PORT: '0', REMOTE_ENTRIES: path.join(workDir, 'nope.js') });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /cannot import .*nope\.js/);
      await writeFile(entries, 'export default [{ name: "x", kind: "ftp" }];\n');
      const badEntry = await run({ PORT: '0', REMOTE_ENTRIES: entries });
      assert.equal(badEntry.code, 1);
      assert.match(badEntry.stderr, /entry 0 \(x\): unknown source kind "ftp"/);
    } finally {
      await removeDir(workDir);
    }
  });
});
