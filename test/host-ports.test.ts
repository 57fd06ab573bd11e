// Ports over HTTP against a host child process, with hand-written remotes: a `shop`
// remote whose model has ports, and a `pricing` remote exposing only the adapters
// they bind to, hot-replaced under them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { containerOf, writeRemoteEntry } from './support/fixture-remotes.js';
import { withHost } from './support/with-host.js';

const shopModels = `[{
  modelName: 'basket', endpoint: 'baskets', datasource: 'memory',
  factory: () => (x) => ({ ...x }),
  fields: { owner: { type: 'string' }, quote: { type: 'string' }, paidWith: { type: 'string' }, card: { type: 'string', sensitive: true }, email: { type: 'string', sensitive: true, lookup: true } },
  ports: {
    price: { adapter: 'quote', service: 'persistence', callback: ({ result }) => ({ quote: result }) },
    paid: { type: 'inbound', callback: ({ input }) => { if (!input || !input.method) throw new Error('a payment needs a method'); return { paidWith: input.method }; } },
    audit: { adapter: 'quote' },
  },
  commands: { reprice: { command: 'price', acl: ['baskets:write'] } },
  relations: { member: { type: 'manyToOne', modelName: 'member', foreignKey: 'owner' } },
}]`;

// Another team's model whose adapter reads records through the host's persistence service.
const snoopModels = `[{
  modelName: 'spy', endpoint: 'spies', datasource: 'memory',
  factory: () => (x) => ({ ...x }),
  ports: { peek: { type: 'inbound', adapter: 'peek', service: 'persistence', callback: ({ result }) => ({ seen: result ? result.id : null }) } },
}]`;

const pricing = (version: string) => containerOf({
  './models': `[{ modelName: 'member', endpoint: 'members', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`,
  './adapters': `({ quote: async (call) => '${version}:' + (call.model.owner || '?') + ':' + (typeof call.service.get) })`,
});

describe('ports bound to another remote\'s adapters', () => {
  let pricingDir: string;
  const host = withHost(async ({ workDir }) => {
    pricingDir = await writeRemoteEntry(path.join(workDir, 'pricing'), pricing('v1'));
    const shopDir = await writeRemoteEntry(path.join(workDir, 'shop'), containerOf({ './models': shopModels }));
    const snoopDir = await writeRemoteEntry(path.join(workDir, 'snoop'), containerOf({ './models': snoopModels, './adapters': `({ peek: (call) => call.service.get(call.input.model, call.input.id) })` }));
    return {
      remotes: [
        { name: 'shop', kind: 'local', path: shopDir },
        { name: 'snoop', kind: 'local', path: snoopDir, exposes: ['./models', './adapters'] },
        { name: 'pricing', kind: 'local', path: pricingDir, exposes: ['./models', './adapters'] },
      ],
      env: { MICROLIB_DEV_MODE: 'true', ENCRYPTION_PWD: 'a long enough test password' },
    };
  });
  const api = '/microlib/api/models/baskets';

  const newBasket = async (body: Record<string, unknown> = { owner: 'ada' }) => {
    const created = await host.request(api, { method: 'POST', body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body as { id: string };
  };

  it('runs a command naming a port with the adapter of the other remote and the host\'s persistence service', async () => {
    const basket = await newBasket();
    const priced = await host.request(`${api}/${basket.id}/commands/reprice`, { method: 'POST' });
    assert.equal(priced.status, 200, JSON.stringify(priced.body));
    assert.equal(priced.body.quote, 'v1:ada:function');
    assert.equal(priced.body.flow.status, 'completed');
    assert.deepEqual(priced.body.flow.steps.map((s: { port: string; status: string }) => [s.port, s.status]), [['price', 'done']]);
  });

  it('resolves a relation to a model of the other remote', async () => {
    const member = await host.request('/microlib/api/models/members', { method: 'POST', body: { id: 'dee', name: 'Dee' } });
    assert.equal(member.status, 201, JSON.stringify(member.body));
    const basket = await newBasket({ owner: 'dee' });
    const related = await host.request(`${api}/${basket.id}/member`);
    assert.equal(related.status, 200, JSON.stringify(related.body));
    assert.equal(related.body.name, 'Dee');
  });

  it("lets a port's persistence service reach its own remote's models, never another team's", async () => {
    const spy = (await host.request('/microlib/api/models/spies', { method: 'POST', body: {} })).body as { id: string };
    const own = await host.request(`/microlib/api/models/spies/${spy.id}/ports/peek`, { method: 'POST', body: { model: 'spy', id: spy.id } });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.seen, spy.id);
    const basket = await newBasket({ owner: 'zed' });
    const other = await host.request(`/microlib/api/models/spies/${spy.id}/ports/peek`, { method: 'POST', body: { model: 'basket', id: basket.id } });
    assert.equal(other.status, 502, JSON.stringify(other.body));
    assert.match(other.body.error.message, /model "basket" is not reachable from a port of model "spy"/);
  });

  it('shows each port\'s binding in /microlib/api/ports', async () => {
    const { status, body } = await host.request('/microlib/api/ports');
    assert.equal(status, 200);
    const price = body.ports.find((p: { port: string }) => p.port === 'price');
    assert.equal(price.adapterRemote, 'pricing');
    assert.equal(price.serviceRemote, 'host');
    assert.equal(price.bound, true);
    assert.equal(price.circuitBreaker, null);
  });

  it('calls an inbound port over HTTP with the body as input, and refuses outbound or unknown ports', async () => {
    const basket = await newBasket();
    const paid = await host.request(`${api}/${basket.id}/ports/paid`, { method: 'POST', body: { method: 'card' } });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.equal(paid.body.paidWith, 'card');
    const refused = await host.request(`${api}/${basket.id}/ports/paid`, { method: 'POST', body: {} });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /a payment needs a method/);
    const outbound = await host.request(`${api}/${basket.id}/ports/audit`, { method: 'POST' });
    assert.equal(outbound.status, 403);
    assert.match(outbound.body.error.message, /outbound/);
    const unknown = await host.request(`${api}/${basket.id}/ports/nope`, { method: 'POST' });
    assert.equal(unknown.status, 404);
    const missing = await host.request(`${api}/no-such-basket/ports/paid`, { method: 'POST', body: { method: 'card' } });
    assert.equal(missing.status, 404);
  });

  it('rebinds to a hot-replaced adapter, and keeps the old one when the new build is broken', async () => {
    const basket = await newBasket({ owner: 'bob' });
    await writeRemoteEntry(pricingDir, pricing('v2'));
    const reload = await host.request('/microlib/reload', { method: 'POST', body: { remote: 'pricing' } });
    assert.equal(reload.status, 200, JSON.stringify(reload.body));
    const v2 = await host.request(`${api}/${basket.id}/commands/reprice`, { method: 'POST' });
    assert.equal(v2.body.quote, 'v2:bob:function');

    await writeRemoteEntry(pricingDir, containerOf({ './models': `[{ modelName: 'member', endpoint: 'members', factory: () => (x) => x }]`, './adapters': `({ quote: 'not a function' })` }));
    const broken = await host.request('/microlib/reload', { method: 'POST', body: { remote: 'pricing' } });
    assert.equal(broken.body.results[0].outcome, 'failed', JSON.stringify(broken.body));
    assert.match(JSON.stringify(broken.body.results[0]), /not a function/);
    const still = await host.request(`${api}/${basket.id}/commands/reprice`, { method: 'POST' });
    assert.equal(still.status, 200, JSON.stringify(still.body));
    assert.equal(still.body.quote, 'v2:bob:function', 'the working adapter still serves');
  });

  it('stores sensitive fields encrypted, finds lookup fields by value, and reveals them through decrypt', async () => {
    const basket = await newBasket({ owner: 'cy', card: '4111 1111 1111 1111', email: 'cy@example.com' });
    const read = await host.request(`${api}/${basket.id}`);
    assert.match(read.body.card, /^enc:v2:/);
    assert.match(read.body.email, /^enc:v2:/);
    assert.ok(!JSON.stringify(read.body).includes('4111'), 'no clear text in the stored record');
    const found = await host.request(`${api}?email=cy@example.com`);
    assert.deepEqual(found.body.data.map((b: { id: string }) => b.id), [basket.id]);
    const clear = await host.request(`${api}/${basket.id}/commands/decrypt`, { method: 'POST' });
    assert.equal(clear.status, 200, JSON.stringify(clear.body));
    assert.equal(clear.body.card, '4111 1111 1111 1111');
    assert.equal(clear.body.email, 'cy@example.com');
    // Ciphertext copied from another record is refused: decrypt would otherwise reveal it.
    const smuggled = await host.request(api, { method: 'POST', body: { owner: 'eve', card: read.body.card } });
    assert.equal(smuggled.status, 400);
    assert.equal(smuggled.body.error.field, 'card');
    const sorted = await host.request(`${api}?sort=card`);
    assert.equal(sorted.status, 400);
    // An update re-encrypts; the value stays readable.
    const patched = await host.request(`${api}/${basket.id}`, { method: 'PATCH', body: { card: '5500 0000 0000 0004' } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal((await host.request(`${api}/${basket.id}/commands/decrypt`, { method: 'POST' })).body.card, '5500 0000 0000 0004');
    assert.deepEqual((await host.request(`${api}?email=cy@example.com`)).body.data.length, 1);
  });
});
