// Placements with authentication on: a node forwards the caller's token with the request,
// and a relation read from a model another node serves acts on the caller's behalf (its
// token goes along), so the other node's permission checks answer as they would directly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { freePort } from './support/free-port.js';
import { makeWorkDir, removeDir, request, startHost, type HostProcess } from './support/host-process.js';
import { containerSource, writeRemoteEntry } from './support/fixture-remotes.js';
import { startTokenIssuer, type TokenIssuer } from './support/token-issuer.js';
import { until } from './support/until.js';

const models = `[
  { modelName: 'customer', endpoint: 'customers', datasource: 'memory', factory: () => (x) => ({ ...x }), fields: { name: { type: 'string' } } },
  { modelName: 'invoice', endpoint: 'invoices', datasource: 'memory', factory: () => (x) => ({ ...x }),
    relations: { customer: { type: 'manyToOne', modelName: 'customer', foreignKey: 'customerId' } } },
]`;

describe('placements with authentication', () => {
  let workDir: string;
  let issuer: TokenIssuer;
  let crm: HostProcess;
  let billing: HostProcess;

  before(async () => {
    workDir = await makeWorkDir();
    issuer = await startTokenIssuer(workDir);
    const dir = await writeRemoteEntry(path.join(workDir, 'remote'), containerSource(models));
    const [crmPort, billingPort] = [await freePort(), await freePort()];
    const placements = {
      crm: { models: ['customer'], nodes: [`http://127.0.0.1:${crmPort}`] },
      billing: { models: ['invoice'], nodes: [`http://127.0.0.1:${billingPort}`] },
    };
    const node = (name: string, port: number) =>
      startHost({
        workDir: path.join(workDir, name),
        remotes: [{ name: 'app', kind: 'local', path: dir }],
        placements,
        env: { PORT: String(port), MICROLIB_PLACEMENT: name, AUTH_ENABLED: 'true', AUTH_KEY_SET: issuer.keySetPath, LOG_REQUESTS: 'true' },
      });
    [crm, billing] = await Promise.all([node('crm', crmPort), node('billing', billingPort)]);
  });
  after(async () => {
    await Promise.all([crm?.stop(), billing?.stop()]);
    await issuer?.close();
    await removeDir(workDir);
  });

  it("forwards with the caller's token and reads a relation on another node on its behalf", async () => {
    const everything = await issuer.headers({ sub: 'ada', permissions: ['customer:read', 'customer:create', 'invoice:read', 'invoice:create'] });
    const customer = await request(`${billing.url}/microlib/api/models/customers`, { method: 'POST', body: { name: 'Ada' }, headers: everything });
    assert.equal(customer.status, 201, JSON.stringify(customer.body));
    assert.match(customer.headers.get('x-microlib-node') ?? '', /^crm\//, 'the crm node created it');
    // One request id on both nodes: their access lines name the same request.
    const requestId = customer.headers.get('x-request-id');
    assert.ok(requestId);
    const logged = (node: HostProcess) => node.logs.some((line) => line.msg === 'request' && line.requestId === requestId);
    await until(() => logged(crm) && logged(billing), 'both nodes to log the request under its id', 1_000);
    const invoice = await request(`${billing.url}/microlib/api/models/invoices`, { method: 'POST', body: { customerId: customer.body.id, amount: 3 }, headers: everything });
    assert.equal(invoice.status, 201, JSON.stringify(invoice.body));

    const related = await request(`${billing.url}/microlib/api/models/invoices/${invoice.body.id}/customer`, { headers: everything });
    assert.equal(related.status, 200, JSON.stringify(related.body));
    assert.equal(related.body.name, 'Ada');

    // The crm node decides what the caller may read there, as if asked directly.
    const invoicesOnly = await issuer.headers({ sub: 'bob', permissions: ['invoice:read'] });
    const refused = await request(`${billing.url}/microlib/api/models/invoices/${invoice.body.id}/customer`, { headers: invoicesOnly });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /customer:read/);
    assert.equal((await request(`${crm.url}/microlib/api/models/customers/${customer.body.id}`, { headers: invoicesOnly })).status, 403);
  });
});
