// Relations to models another host serves: host B serves customers, host A's models relate to
// them over HTTP, with a deadline and an error naming the host when B is down or hangs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { localModelsRemote } from './support/fixture-remotes.js';
import { withHost } from './support/with-host.js';

const customers = `[{ modelName: 'customer', endpoint: 'customers', datasource: 'memory', factory: () => (x) => ({ ...x }), fields: { name: { type: 'string' }, accountId: { type: 'string' } } }]`;
const accounts = `[
  { modelName: 'invoice', endpoint: 'invoices', datasource: 'memory', factory: () => (x) => ({ ...x }),
    relations: { customer: { type: 'manyToOne', modelName: 'customer', foreignKey: 'customerId' }, stalled: { type: 'manyToOne', modelName: 'stalled', foreignKey: 'customerId' } } },
  { modelName: 'account', endpoint: 'accounts', datasource: 'memory', factory: () => (x) => ({ ...x }),
    relations: { customers: { type: 'oneToMany', modelName: 'customer', foreignKey: 'accountId' } } },
]`;

const RELATION_TIMEOUT_MS = 1_500;

describe('relations to models of another host', () => {
  const b = withHost(async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, customers, 'crm')] }));
  const a = withHost(async ({ workDir, defer }) => {
    // A server that accepts connections and never answers.
    const sockets = new Set<net.Socket>();
    const hung = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    defer(() => {
      for (const socket of sockets) socket.destroy();
      hung.close();
    });
    const hungPort = (hung.address() as net.AddressInfo).port;
    return {
      remotes: [await localModelsRemote(workDir, accounts, 'billing')],
      remoteModels: { customer: `${b.url}/microlib/api/models/customers`, stalled: `http://127.0.0.1:${hungPort}/microlib/api/models/stalled` },
      // Long enough for a busy machine's first call to the other host, short enough to wait out.
      env: { RELATION_TIMEOUT_MS: String(RELATION_TIMEOUT_MS) },
    };
  });

  it('reads the related record and the related page from the other host', async () => {
    const account = (await a.request('/microlib/api/models/accounts', { method: 'POST', body: { name: 'acme' } })).body;
    const ada = (await b.request('/microlib/api/models/customers', { method: 'POST', body: { name: 'Ada', accountId: account.id } })).body;
    await b.request('/microlib/api/models/customers', { method: 'POST', body: { name: 'Bob', accountId: account.id } });
    await b.request('/microlib/api/models/customers', { method: 'POST', body: { name: 'Cy', accountId: 'other' } });
    const invoice = (await a.request('/microlib/api/models/invoices', { method: 'POST', body: { customerId: ada.id, amount: 5 } })).body;
    const customer = await a.request(`/microlib/api/models/invoices/${invoice.id}/customer`);
    assert.equal(customer.status, 200, JSON.stringify(customer.body));
    assert.equal(customer.body.name, 'Ada');
    const page = await a.request(`/microlib/api/models/accounts/${account.id}/customers?sort=name&count`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    assert.deepEqual(page.body.data.map((c: { name: string }) => c.name), ['Ada', 'Bob']);
    assert.equal(page.body.total, 2);
    // Operators travel on to the other host, which reads them by its own field types.
    await b.request('/microlib/api/models/customers', { method: 'POST', body: { name: 'Ann, Jr', accountId: account.id } });
    const filtered = await a.request(`/microlib/api/models/accounts/${account.id}/customers?name[$in]=Bob,Ann\\,%20Jr&$or[0][name][$prefix]=A&$or[1][name][$gt]=B&sort=name`);
    assert.equal(filtered.status, 200, JSON.stringify(filtered.body));
    assert.deepEqual(filtered.body.data.map((c: { name: string }) => c.name), ['Ann, Jr', 'Bob']);
    const refused = await a.request(`/microlib/api/models/accounts/${account.id}/customers?name[$regex]=.*`);
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    const dangling = (await a.request('/microlib/api/models/invoices', { method: 'POST', body: { customerId: 'nobody' } })).body;
    assert.equal((await a.request(`/microlib/api/models/invoices/${dangling.id}/customer`)).status, 404);
  });

  it('answers 504 naming the host when the other host does not answer in time', async () => {
    const invoice = (await a.request('/microlib/api/models/invoices', { method: 'POST', body: { customerId: 'x' } })).body;
    const started = Date.now();
    const stalled = await a.request(`/microlib/api/models/invoices/${invoice.id}/stalled`);
    assert.equal(stalled.status, 504, JSON.stringify(stalled.body));
    assert.equal(stalled.body.error.code, 'MLB_ERR_TIMEOUT');
    assert.match(stalled.body.error.message, /stalled at http:\/\/127\.0\.0\.1:\d+ did not answer within 1500 ms/);
    assert.ok(Date.now() - started < RELATION_TIMEOUT_MS + 2_000);
  });

  it('answers 503 naming the host when the other host is down', async () => {
    const invoice = (await a.request('/microlib/api/models/invoices', { method: 'POST', body: { customerId: 'x' } })).body;
    await b.stop();
    const down = await a.request(`/microlib/api/models/invoices/${invoice.id}/customer`);
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.match(down.body.error.message, /customer at http:\/\/127\.0\.0\.1:\d+ is unreachable: ECONNREFUSED/);
  });
});
