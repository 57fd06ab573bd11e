// Specs written for the original MicroLib are served unchanged; configuration mistakes fail fast and clearly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { makeWorkDir, removeDir, serverScript } from './support/host-process.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { hostFor, withHost } from './support/with-host.js';

// The shape of the original MicroLib-Example order spec: factory(dependencies) returns an
// async create function producing a frozen object with methods. The original calls
// validate(model, changes) with the order before the update and the patch alone, and stores
// what it returns; on create it passes the factory's order and no changes.
const legacySpec = `{
  modelName: 'legacyOrder',
  endpoint: 'legacy-orders',
  dependencies: {
    uuid: () => 'ORD-' + Math.floor(Math.random() * 1e6),
    hash: (text) => 'hashed:' + String(text).split('').reverse().join(''),
  },
  factory: (dependencies) => async function createOrder({ customerId, orderItems = [], password }) {
    return Object.freeze({ customerId, orderItems, orderStatus: 'PENDING', password: dependencies.hash(password), orderNo: dependencies.uuid(), total() { return orderItems.length; } });
  },
  validate: (model, changes) => {
    if (changes.orderItems && !Array.isArray(changes.orderItems)) throw new Error('orderItems must be a list');
    if (changes.customerId !== undefined && changes.customerId !== model.customerId) throw new Error('customerId may not change');
    if (model.orderStatus === 'SHIPPING' && changes.orderStatus === 'PENDING') throw new Error('a shipped order cannot go back to pending');
    return { ...model, ...changes };
  },
  onDelete: (model) => { if (model.orderStatus === 'COMPLETE') throw new Error('completed orders are kept'); return model; },
  mixins: [],
  eventHandlers: [],
  // Keys of the original that this host does not use are accepted and ignored.
  relations: { customer: { modelName: 'customer', foreignKey: 'customerId', type: 'manyToOne', desc: 'Many orders per customer' } },
  ports: { validateAddress: { service: 'Address', type: 'outbound', keys: 'shippingAddress', disabled: true, timeout: 2000, maxRetry: 2, circuitBreaker: { default: { errorRate: 20, callVolume: 30 } } } },
  accessControlList: { customer: { allow: 'read', type: 'relation', desc: 'Allow customer model to see orders' } },
  serializers: [],
  endpoints: {},
}`;

// A spec written for this host that asks for its merged semantics: validate sees the record as it will be.
const mergedSpec = `{
  modelName: 'note',
  endpoint: 'notes',
  hookSemantics: 'merged',
  factory: () => (input) => ({ ...input }),
  validate: (model, changes) => {
    if (typeof model.text !== 'string' || model.text.trim() === '') throw new Error('a note needs text');
    if ('text' in changes) return { ...model, words: model.text.trim().split(/\\s+/).length };
  },
}`;

describe('original MicroLib specs', () => {
  describe('validate, factory and onDelete', () => {
    const host = withHost(async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, `[${legacySpec}, ${mergedSpec}]`, 'legacy')] }));
    const api = '/microlib/api/models/legacy-orders';

    it('serves an original spec with the original semantics: guards see the order before the update and the patch', async () => {
      const created = await host.request(api, { method: 'POST', body: { customerId: 'c1', orderItems: [{ sku: 'x' }], password: 'secret' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(created.body.orderNo, /^ORD-/, 'dependencies reach the factory');
      assert.equal(created.body.total, undefined, 'methods are not stored');
      assert.equal(created.body.password, 'hashed:terces', 'the factory hashed it; the request body does not come back over it');
      assert.equal((await host.request(`${api}/${created.body.id}`)).body.password, 'hashed:terces');
      const order = `${api}/${created.body.id}`;
      const invalid = await host.request(order, { method: 'PATCH', body: { orderItems: 'nope' } });
      assert.equal(invalid.status, 400);
      assert.match(invalid.body.error.message, /orderItems must be a list/);
      const moved = await host.request(order, { method: 'PATCH', body: { customerId: 'c2' } });
      assert.equal(moved.status, 400, JSON.stringify(moved.body));
      assert.match(moved.body.error.message, /customerId may not change/);
      assert.equal((await host.request(order, { method: 'PATCH', body: { orderStatus: 'SHIPPING' } })).status, 200);
      const back = await host.request(order, { method: 'PATCH', body: { orderStatus: 'PENDING' } });
      assert.equal(back.status, 400, JSON.stringify(back.body));
      assert.match(back.body.error.message, /a shipped order cannot go back to pending/);
      const completed = await host.request(order, { method: 'PATCH', body: { orderStatus: 'COMPLETE' } });
      assert.equal(completed.status, 200);
      assert.deepEqual([completed.body.orderStatus, completed.body.customerId, completed.body.password], ['COMPLETE', 'c1', 'hashed:terces']);
      const vetoed = await host.request(order, { method: 'DELETE' });
      assert.equal(vetoed.status, 409, 'onDelete refuses');
      assert.match(vetoed.body.error.message, /completed orders are kept/);
      assert.equal((await host.request(order)).status, 200, 'and the order is still there');
    });

    it("serves a spec asking for the host's merged semantics with them", async () => {
      const created = await host.request('/microlib/api/models/notes', { method: 'POST', body: { text: 'one two' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.words, 2);
      const note = `/microlib/api/models/notes/${created.body.id}`;
      const patched = await host.request(note, { method: 'PATCH', body: { text: 'one two three' } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual([patched.body.text, patched.body.words], ['one two three', 3], 'validate saw the record as it will be');
      const emptied = await host.request(note, { method: 'PATCH', body: { text: ' ' } });
      assert.equal(emptied.status, 400);
      assert.match(emptied.body.error.message, /a note needs text/);
    });
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
