// Placements with authentication on: a node forwards the caller's token with the request,
// and a relation read from a model another node serves acts on the caller's behalf (its
// token goes along), so the other node's permission checks answer as they would directly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from './support/free-port.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { startTokenIssuer, type TokenIssuer } from './support/token-issuer.js';
import { until } from './support/until.js';
import { withHost, type HostFixture } from './support/with-host.js';

const models = `[
  { modelName: 'customer', endpoint: 'customers', datasource: 'memory', factory: () => (x) => ({ ...x }), fields: { name: { type: 'string' } } },
  { modelName: 'invoice', endpoint: 'invoices', datasource: 'memory', factory: () => (x) => ({ ...x }),
    relations: { customer: { type: 'manyToOne', modelName: 'customer', foreignKey: 'customerId' } } },
]`;

describe('placements with authentication', () => {
  const ports = { crm: 0, billing: 0 };
  let issuer: TokenIssuer;
  const nodeSetup = async (name: keyof typeof ports, workDir: string) => ({
    remotes: [await localModelsRemote(workDir, models, 'app')],
    placements: {
      crm: { models: ['customer'], nodes: [`http://127.0.0.1:${ports.crm}`] },
      billing: { models: ['invoice'], nodes: [`http://127.0.0.1:${ports.billing}`] },
    },
    env: { PORT: String(ports[name]), MICROLIB_PLACEMENT: name, AUTH_ENABLED: 'true', AUTH_KEY_SET: issuer.keySetPath, LOG_REQUESTS: 'true' },
  });
  // The first node's setup makes what both share: their ports and the token issuer they trust.
  const crm = withHost(async ({ workDir, defer }) => {
    [ports.crm, ports.billing] = [await freePort(), await freePort()];
    issuer = await startTokenIssuer(workDir);
    defer(() => issuer.close());
    return nodeSetup('crm', workDir);
  });
  const billing = withHost(({ workDir }) => nodeSetup('billing', workDir));

  it("forwards with the caller's token and reads a relation on another node on its behalf", async () => {
    const everything = await issuer.headers({ sub: 'ada', permissions: ['customer:read', 'customer:create', 'invoice:read', 'invoice:create'] });
    const customer = await billing.request('/microlib/api/models/customers', { method: 'POST', body: { name: 'Ada' }, headers: everything });
    assert.equal(customer.status, 201, JSON.stringify(customer.body));
    assert.match(customer.headers.get('x-microlib-node') ?? '', /^crm\//, 'the crm node created it');
    // One request id on both nodes: their access lines name the same request.
    const requestId = customer.headers.get('x-request-id');
    assert.ok(requestId);
    const logged = (node: HostFixture) => node.logs.some((line) => line.msg === 'request' && line.requestId === requestId);
    await until(() => logged(crm) && logged(billing), 'both nodes to log the request under its id', 1_000);
    const invoice = await billing.request('/microlib/api/models/invoices', { method: 'POST', body: { customerId: customer.body.id, amount: 3 }, headers: everything });
    assert.equal(invoice.status, 201, JSON.stringify(invoice.body));

    const related = await billing.request(`/microlib/api/models/invoices/${invoice.body.id}/customer`, { headers: everything });
    assert.equal(related.status, 200, JSON.stringify(related.body));
    assert.equal(related.body.name, 'Ada');

    // The crm node decides what the caller may read there, as if asked directly.
    const invoicesOnly = await issuer.headers({ sub: 'bob', permissions: ['invoice:read'] });
    const refused = await billing.request(`/microlib/api/models/invoices/${invoice.body.id}/customer`, { headers: invoicesOnly });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /customer:read/);
    assert.equal((await crm.request(`/microlib/api/models/customers/${customer.body.id}`, { headers: invoicesOnly })).status, 403);
  });
});
