// The host under Google's own functions framework (@google-cloud/functions-framework,
// the runtime of Cloud Functions and Cloud Run functions), started by its CLI as a
// child process on a free port: the framework parses every body itself and keeps
// the bytes in req.rawBody, which createNodeHandler answers from.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decode, encode } from '@msgpack/msgpack';
import { exampleRemoteDist } from './support/host-process.js';
import { functionEnv, type FunctionEnv } from './support/function-env.js';
import { serverlessImport, startFramework, type FrameworkProcess } from './support/functions-framework.js';

const API = '/microlib/api/models';
const exampleRemote = { name: 'orderService', kind: 'local', path: exampleRemoteDist };

interface ApiError {
  error: { code: string; message: string; field?: string };
}

describe('the node handler under Google\'s functions framework', () => {
  let fn: FunctionEnv;
  let framework: FrameworkProcess;

  before(async () => {
    fn = await functionEnv([exampleRemote], { DATASOURCE_ADAPTER: 'memory', LOG_LEVEL: 'warn' });
    await writeFile(path.join(fn.dir, 'index.mjs'), `import { createNodeHandler } from ${serverlessImport()};\nexport const microlib = createNodeHandler();\n`);
    framework = await startFramework(fn.dir, 'index.mjs', 'microlib', fn.env);
  });
  after(async () => {
    await framework?.stop();
    await fn?.remove();
  });

  it('serves a CRUD round trip, with bodies the framework already read (JSON and MessagePack)', async () => {
    const base = framework.base;
    const created = await fetch(`${base}${API}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com' }) });
    assert.equal(created.status, 201, await created.clone().text());
    const stored = (await created.json()) as { id: string; revision: number };
    assert.equal(created.headers.get('location'), `${API}/customers/${stored.id}`);
    assert.match(created.headers.get('x-microlib-version') ?? '', /^orderService@/);

    const read = await fetch(`${base}${API}/customers/${stored.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(await read.json(), stored);

    const listed = await fetch(`${base}${API}/customers?lastName=Hopper`);
    assert.deepEqual(((await listed.json()) as { data: Array<{ id: string }> }).data.map((item) => item.id), [stored.id]);

    // A binary body: the framework's catch-all raw parser reads it into rawBody too.
    const patched = await fetch(`${base}${API}/customers/${stored.id}`, { method: 'PATCH', headers: { 'content-type': 'application/msgpack', 'if-match': `"${stored.revision}"`, accept: 'application/msgpack' }, body: encode({ tier: 'gold' }) });
    assert.equal(patched.status, 200, await patched.clone().text());
    assert.equal((decode(new Uint8Array(await patched.arrayBuffer())) as { tier: string }).tier, 'gold');

    const removed = await fetch(`${base}${API}/customers/${stored.id}`, { method: 'DELETE' });
    assert.equal(removed.status, 204);
    const gone = await fetch(`${base}${API}/customers/${stored.id}`);
    assert.equal(gone.status, 404);
    assert.equal(((await gone.json()) as ApiError).error.code, 'MLB_ERR_NOT_FOUND');
  });

  it('runs a command, and answers 400 naming the field', async () => {
    const base = framework.base;
    const customer = (await (await fetch(`${base}${API}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' }) })).json()) as { id: string };
    const order = await fetch(`${base}${API}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customerId: customer.id, items: [{ sku: 'C', quantity: 1, price: 5 }] }) });
    assert.equal(order.status, 201, await order.clone().text());
    const { id } = (await order.json()) as { id: string };
    const approved = await fetch(`${base}${API}/orders/${id}/commands/approve`, { method: 'POST' });
    assert.equal(approved.status, 200, await approved.clone().text());
    assert.equal(((await approved.json()) as { status: string }).status, 'approved');
    const again = await fetch(`${base}${API}/orders/${id}/commands/approve`, { method: 'POST' });
    assert.equal(again.status, 400);
    assert.match(((await again.json()) as ApiError).error.message, /only a pending order can be approved/);

    const bad = await fetch(`${base}${API}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ firstName: 'No', lastName: 'Mail', email: 'not an address' }) });
    assert.equal(bad.status, 400);
    const error = ((await bad.json()) as ApiError).error;
    assert.deepEqual([error.code, error.field], ['MLB_ERR_VALIDATION', 'email']);
    assert.match(error.message, /email/);
    assert.equal(framework.child.exitCode, null, 'the framework process still runs');
  });
});
