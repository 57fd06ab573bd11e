// Relations to models another host serves: host B serves customers, host A's models relate to
// them over HTTP, with a deadline and an error naming the host when B is down or hangs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { makeWorkDir, removeDir, request, startHost, type HostProcess } from './support/host-process.js';
import { containerSource, writeRemoteEntry } from './support/fixture-remotes.js';

const customers = `[{ modelName: 'customer', endpoint: 'customers', datasource: 'memory', factory: () => (x) => ({ ...x }), fields: { name: { type: 'string' }, accountId: { type: 'string' } } }]`;
const accounts = `[
  { modelName: 'invoice', endpoint: 'invoices', datasource: 'memory', factory: () => (x) => ({ ...x }),
    relations: { customer: { type: 'manyToOne', modelName: 'customer', foreignKey: 'customerId' }, stalled: { type: 'manyToOne', modelName: 'stalled', foreignKey: 'customerId' } } },
  { modelName: 'account', endpoint: 'accounts', datasource: 'memory', factory: () => (x) => ({ ...x }),
    relations: { customers: { type: 'oneToMany', modelName: 'customer', foreignKey: 'accountId' } } },
]`;

describe('relations to models of another host', () => {
  let workDir: string;
  let a: HostProcess;
  let b: HostProcess;
  let hung: net.Server;
  const sockets = new Set<net.Socket>();

  before(async () => {
    workDir = await makeWorkDir();
    // A server that accepts connections and never answers.
    hung = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const hungPort = (hung.address() as net.AddressInfo).port;
    const bDir = await writeRemoteEntry(path.join(workDir, 'crm'), containerSource(customers));
    const aDir = await writeRemoteEntry(path.join(workDir, 'billing'), containerSource(accounts));
    b = await startHost({ workDir: path.join(workDir, 'b'), remotes: [{ name: 'crm', kind: 'local', path: bDir }] });
    a = await startHost({
      workDir: path.join(workDir, 'a'),
      remotes: [{ name: 'billing', kind: 'local', path: aDir }],
      remoteModels: { customer: `${b.url}/microlib/api/models/customers`, stalled: `http://127.0.0.1:${hungPort}/microlib/api/models/stalled` },
      env: { RELATION_TIMEOUT_MS: '400' },
    });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    for (const socket of sockets) socket.destroy();
    hung.close();
    await removeDir(workDir);
  });

  it('reads the related record and the related page from the other host', async () => {
    const account = (await request(`${a.url}/microlib/api/models/accounts`, { method: 'POST', body: { name: 'acme' } })).body;
    const ada = (await request(`${b.url}/microlib/api/models/customers`, { method: 'POST', body: { name: 'Ada', accountId: account.id } })).body;
    await request(`${b.url}/microlib/api/models/customers`, { method: 'POST', body: { name: 'Bob', accountId: account.id } });
    await request(`${b.url}/microlib/api/models/customers`, { method: 'POST', body: { name: 'Cy', accountId: 'other' } });
    const invoice = (await request(`${a.url}/microlib/api/models/invoices`, { method: 'POST', body: { customerId: ada.id, amount: 5 } })).body;
    const customer = await request(`${a.url}/microlib/api/models/invoices/${invoice.id}/customer`);
    assert.equal(customer.status, 200, JSON.stringify(customer.body));
    assert.equal(customer.body.name, 'Ada');
    const page = await request(`${a.url}/microlib/api/models/accounts/${account.id}/customers?sort=name&count`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    assert.deepEqual(page.body.data.map((c: { name: string }) => c.name), ['Ada', 'Bob']);
    assert.equal(page.body.total, 2);
    const dangling = (await request(`${a.url}/microlib/api/models/invoices`, { method: 'POST', body: { customerId: 'nobody' } })).body;
    assert.equal((await request(`${a.url}/microlib/api/models/invoices/${dangling.id}/customer`)).status, 404);
  });

  it('answers 504 naming the host when the other host does not answer in time', async () => {
    const invoice = (await request(`${a.url}/microlib/api/models/invoices`, { method: 'POST', body: { customerId: 'x' } })).body;
    const started = Date.now();
    const stalled = await request(`${a.url}/microlib/api/models/invoices/${invoice.id}/stalled`);
    assert.equal(stalled.status, 504, JSON.stringify(stalled.body));
    assert.equal(stalled.body.error.code, 'MLB_ERR_TIMEOUT');
    assert.match(stalled.body.error.message, /stalled at http:\/\/127\.0\.0\.1:\d+ did not answer within 400 ms/);
    assert.ok(Date.now() - started < 3_000);
  });

  it('answers 503 naming the host when the other host is down', async () => {
    const invoice = (await request(`${a.url}/microlib/api/models/invoices`, { method: 'POST', body: { customerId: 'x' } })).body;
    await b.stop();
    const down = await request(`${a.url}/microlib/api/models/invoices/${invoice.id}/customer`);
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.match(down.body.error.message, /customer at http:\/\/127\.0\.0\.1:\d+ is unreachable: ECONNREFUSED/);
  });
});
