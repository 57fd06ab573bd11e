// The operator dashboard (/microlib) and the API docs page (/microlib/docs) in headless Chromium,
// against a host serving the example remote from a local folder: the models are listed, a created
// record's event shows live, a failing port shows its failure, and a reload from the page (with the
// pasted ADMIN_TOKEN) switches the shown version; record counts follow created and deleted records
// live. With AUTH_ENABLED the page's data needs an admin JWT.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { exampleRemoteDist, repoRoot } from './support/host-process.js';
import { exampleBuild } from './support/example-builds.js';
import { browserUnavailable, launchBrowser } from './support/browser.js';
import { startTokenIssuer, type TokenIssuer } from './support/token-issuer.js';
import { withHost, type HostFixture } from './support/with-host.js';

const skip = browserUnavailable();
const ADMIN = 'dashboard-admin-token-0123456789';
const WAIT = { timeout: 15_000 };

async function writeBuild(dir: string, files: Record<string, Buffer>): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(dir, name), bytes);
}

/** Every URL a page asks for, to show that nothing comes from elsewhere (no CDN). */
function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (req) => urls.push(req.url()));
  page.on('websocket', (socket) => urls.push(socket.url()));
  return urls;
}

function assertLocal(urls: readonly string[], host: HostFixture): void {
  const own = [host.url, `ws://127.0.0.1:${host.port}/`];
  const foreign = urls.filter((url) => !own.some((prefix) => url.startsWith(prefix)) && !url.startsWith('data:'));
  assert.deepEqual(foreign, [], 'the pages load only from the host');
}

describe('dashboard (headless Chromium)', { skip, timeout: 120_000 }, () => {
  let remoteDir: string;
  let browser: Browser;
  let page: Page;
  let urls: string[];
  const host = withHost(async ({ workDir, defer }) => {
    remoteDir = path.join(workDir, 'remote');
    await writeBuild(remoteDir, await exampleBuild(1));
    browser = await launchBrowser();
    defer(() => browser.close());
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    urls = recordRequests(page);
    return {
      remotes: [{ name: 'orderService', kind: 'local', path: remoteDir, env: ['ORDER_SERVICE_*'] }],
      // Shipping always fails, so the ports view has a failure to show.
      env: { ADMIN_TOKEN: ADMIN, ORDER_SERVICE_FAULTS: JSON.stringify({ 'shipping.ship': { fail: 'always' } }) },
    };
  });
  const api = '/microlib/api';
  const remoteVersion = async () => (await host.request(`${api}/remotes`)).body.remotes[0].version as string;

  it('lists the remote with its version and the example models with their endpoints and datasource', async () => {
    await page.goto(`${host.url}/microlib`);
    const models = page.locator('#models tbody tr');
    await models.nth(2).waitFor(WAIT);
    assert.deepEqual((await models.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model')))).sort(), ['customer', 'order', 'product']);
    for (const [model, endpoint] of [['order', 'orders'], ['customer', 'customers'], ['product', 'products']]) {
      const row = page.locator(`#models tr[data-model="${model}"]`);
      assert.equal(await row.locator('td.endpoint').innerText(), `/microlib/api/models/${endpoint}`);
      assert.match(await row.innerText(), /\bfile\b/, 'the datasource is shown');
    }
    const version = await remoteVersion();
    await page.locator(`#remotes tr[data-remote="orderService"] td.version[data-version="${version}"]`).waitFor(WAIT);
    assert.match(await page.locator('#remotes tr[data-remote="orderService"]').innerText(), /ready[\s\S]*startup/, 'status and the startup load in the history');
    assert.equal(await page.locator('#remotes tr[data-remote="orderService"] .isolation').innerText(), 'thread', 'where its code runs');
    await page.locator('#ports tr[data-port="order.shipOrder"]').waitFor(WAIT);
  });

  it('shows a created record live in the event feed and counts it', async () => {
    await page.locator('#ws-status', { hasText: 'following 3 models' }).waitFor(WAIT);
    const created = await host.request(`${api}/models/customers`, { method: 'POST', body: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await page.locator(`#feed li[data-event="customerCreated"][data-id="${created.body.id}"]`).waitFor(WAIT);
    await page.locator('#models tr[data-model="customer"] td.records', { hasText: /^1$/ }).waitFor(WAIT);
  });

  it("moves a model's record count with created and deleted records, without reloading or refreshing the page", async () => {
    const live = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await live.clock.install();
      await live.goto(`${host.url}/microlib`);
      await live.locator('#ws-status', { hasText: 'following 3 models' }).waitFor(WAIT);
      const count = live.locator('#models tr[data-model="customer"] td.records');
      await count.waitFor(WAIT);
      const before = Number(await count.innerText());
      assert.ok(Number.isInteger(before), `a count is shown: ${await count.innerText()}`);
      // From here the page's clock stands still, so its periodic refresh never runs: only events can move the count.
      await live.clock.pauseAt((await live.evaluate(() => Date.now())) + 50);
      await live.waitForLoadState('networkidle');
      const created = await host.request(`${api}/models/customers`, { method: 'POST', body: { firstName: 'Kathleen', lastName: 'Booth', email: 'kathleen@example.com' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await live.locator('#models tr[data-model="customer"] td.records', { hasText: new RegExp(`^${before + 1}$`) }).waitFor(WAIT);
      assert.equal((await host.request(`${api}/models/customers/${created.body.id}`, { method: 'DELETE' })).status, 204);
      await live.locator('#models tr[data-model="customer"] td.records', { hasText: new RegExp(`^${before}$`) }).waitFor(WAIT);
    } finally {
      await live.close();
    }
  });

  it("shows a port's recent failure and its circuit", async () => {
    const customer = await host.request(`${api}/models/customers`, { method: 'POST', body: { firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com' } });
    const order = await host.request(`${api}/models/orders`, { method: 'POST', body: { customerId: customer.body.id, items: [{ sku: 'A1', quantity: 1, price: 5 }] } });
    assert.equal(order.status, 201, JSON.stringify(order.body));
    assert.equal((await host.request(`${api}/models/orders/${order.body.id}/commands/submit`, { method: 'POST' })).status, 200);
    const failures = page.locator('#ports tr[data-port="order.shipOrder"] td.failures li');
    await failures.first().waitFor({ timeout: 30_000 });
    assert.match(await failures.first().innerText(), /failed: port order\.shipOrder failed/);
    assert.equal(await failures.first().getAttribute('title'), `record ${order.body.id}`);
    assert.match(await page.locator('#ports tr[data-port="order.shipOrder"] td.circuit').innerText(), /closed|open/);
  });

  it('reloads from the page once the admin token is pasted, and shows the new version', async () => {
    const before = await remoteVersion();
    assert.equal(await page.locator('#reload-all').isDisabled(), true, 'no credential yet: the button is disabled');
    assert.match(await page.locator('#reload-hint').innerText(), /ADMIN_TOKEN/);

    await writeBuild(remoteDir, await exampleBuild(2));
    await page.locator('#token').fill(ADMIN);
    await page.locator('#token-form button[type="submit"]').click();
    await page.locator('#reload-all:not([disabled])').waitFor(WAIT);
    await page.locator('#reload-all').click();
    const done = page.locator('#reload-progress li.reloaded[data-remote="orderService"]');
    await done.waitFor({ timeout: 30_000 });

    const after = await remoteVersion();
    assert.notEqual(after, before, 'the changed folder is a new version');
    assert.match(await done.innerText(), /orderService: reloaded sha256-\w+ → sha256-\w+ in \d+ ms/);
    await page.locator(`#remotes tr[data-remote="orderService"] td.version[data-version="${after}"]`).waitFor(WAIT);
    await page.locator('#feed li[data-event="remoteReloaded"]').first().waitFor(WAIT);
    assert.match(await page.locator('#remotes tr[data-remote="orderService"] ul.history').innerText(), /manual: sha256-\w+ → sha256-\w+/);
    const served = await host.request(`${api}/models/customers`, { method: 'POST', body: { firstName: 'Alan', lastName: 'Turing', email: 'alan@example.com' } });
    assert.equal(served.body.build, 2, 'the new build serves');
    await page.locator(`#feed li[data-event="customerCreated"][data-id="${served.body.id}"]`).waitFor(WAIT);
    if (process.env.MICROLIB_SCREENSHOT === '1') await page.screenshot({ path: path.join(repoRoot, 'docs/dashboard.png'), fullPage: true });
  });

  it('shows a running canary beside the stable version: the weight, requests, error rate and p99 of each', async () => {
    const stable = await remoteVersion();
    await writeBuild(remoteDir, await exampleBuild(3));
    const admin = { authorization: `Bearer ${ADMIN}` };
    const started = await host.request(`${api}/remotes/orderService/canary`, { method: 'POST', body: { weight: 30 }, headers: admin });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const canary = started.body.canary.canary as string;
    assert.notEqual(canary, stable);
    // Requests pinned to each version (X-Microlib-Version takes a prefix), so each has its own count to show.
    const pinned = async (version: string, count: number) => {
      for (let i = 0; i < count; i++) {
        const answer = await host.request(`${api}/models/customers`, { headers: { 'x-microlib-version': version.slice(0, 24) } });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.headers.get('x-microlib-version'), `orderService@${version}`);
      }
    };
    await pinned(stable, 4);
    await pinned(canary, 3);

    const row = page.locator(`#remotes tr.canary[data-canary-of="orderService"][data-version="${canary}"]`);
    const cell = (role: string, stat: string) => row.locator(`td[data-role="${role}"][data-stat="${stat}"]`);
    await cell('canary', 'requests').filter({ hasText: /^3$/ }).waitFor(WAIT);
    await cell('stable', 'requests').filter({ hasText: /^4$/ }).waitFor(WAIT);
    assert.equal(await cell('stable', 'version').innerText(), `sha256-${stable.slice(7, 19)}`);
    assert.equal(await cell('canary', 'version').innerText(), `sha256-${canary.slice(7, 19)}`);
    assert.equal(await cell('stable', 'weight').innerText(), '70 %');
    assert.equal(await cell('canary', 'weight').innerText(), '30 %');
    assert.equal(await cell('stable', 'error-rate').innerText(), '0 % (0)');
    assert.equal(await cell('canary', 'error-rate').innerText(), '0 % (0)');
    for (const role of ['stable', 'canary']) assert.match(await cell(role, 'p99').innerText(), /^\d+(\.\d+)? ms$/, `${role} p99`);
    assert.match(await row.locator('.hint').innerText(), /canary of sha256-\w{12} beside sha256-\w{12} since .+, no sticky key/);
    assert.equal(await page.locator(`#remotes tr[data-remote="orderService"] td.version[data-version="${stable}"]`).count(), 1, 'the stable version is still the remote\'s version');

    assert.equal((await host.request(`${api}/remotes/orderService/abort`, { method: 'POST', headers: admin })).status, 200);
    await page.locator('#remotes tr.canary').waitFor({ state: 'detached', ...WAIT });
  });

  it("renders the order model's operations in the docs page, from the host only", async () => {
    await page.locator('#docs-link').click();
    await page.waitForURL(`${host.url}/microlib/docs`);
    for (const operation of ['/microlib/api/models/orders', '/microlib/api/models/orders/{id}', '/microlib/api/models/orders/{id}/commands/submit']) {
      await page.locator('.opblock-summary-path', { hasText: new RegExp(`^${operation.replace(/[{}]/g, '\\$&')}$`) }).first().waitFor(WAIT);
    }
    assertLocal(urls, host);
  });
});

describe('dashboard with AUTH_ENABLED', { timeout: 120_000 }, () => {
  let issuer: TokenIssuer;
  const token = (claims: Record<string, unknown>) => issuer.sign(claims);
  const DATA = ['/microlib/api/models', '/microlib/api/access', '/microlib/api/remotes', '/microlib/api/ports'];
  const host = withHost(async ({ workDir, defer }) => {
    issuer = await startTokenIssuer(workDir);
    defer(() => issuer.close());
    return { remotes: [{ name: 'orderService', kind: 'local', path: exampleRemoteDist }], env: { AUTH_ENABLED: 'true', AUTH_KEY_SET: issuer.keySetPath } };
  });

  it("answers the dashboard's data endpoints 401 without a token, 403 without the admin permission", async () => {
    const reader = { authorization: `Bearer ${await token({ sub: 'r', permissions: ['order:read'] })}` };
    const admin = { authorization: `Bearer ${await token({ sub: 'ops', permissions: ['microlib:admin'] })}` };
    for (const endpoint of DATA) {
      const anonymous = await host.request(`${endpoint}`);
      assert.equal(anonymous.status, 401, endpoint);
      assert.equal(anonymous.body.error.code, 'MLB_ERR_UNAUTHORIZED');
      assert.equal((await host.request(`${endpoint}`, { headers: reader })).status, 403, endpoint);
      assert.equal((await host.request(`${endpoint}`, { headers: admin })).status, 200, endpoint);
    }
    assert.deepEqual((await host.request('/microlib/api/access', { headers: admin })).body, { authEnabled: true, reload: 'allowed' });
  });

  it('serves the pages themselves openly: no-cache pages, immutable hashed assets, JSON 404 for anything else', async () => {
    const page = await host.request('/microlib');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const asset = /\/microlib\/assets\/index-[\w-]+\.js/.exec(page.body as string)?.[0];
    assert.ok(asset, 'the page names its hashed script');
    const script = await host.request(`${asset}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(script.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await host.request('/microlib/')).status, 200);
    assert.equal((await host.request('/microlib/docs')).status, 200);
    assert.match((await host.request('/microlib/docs/swagger-ui-bundle.js')).headers.get('content-type') ?? '', /javascript/);
    for (const missing of ['/microlib/other-page', '/microlib/assets/missing.js', '/microlib/docs/package.json']) {
      const answer = await host.request(`${missing}`);
      assert.equal(answer.status, 404, missing);
      assert.equal(answer.body.error.code, 'MLB_ERR_NOT_FOUND');
    }
  });

  it('asks the browser for a token, then shows the models with an admin JWT, and says when a token is not enough', { skip }, async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${host.url}/microlib`);
      await page.locator('#auth-message', { hasText: 'requires authentication' }).waitFor(WAIT);
      assert.equal(await page.locator('#models tbody tr').count(), 0);

      await page.locator('#token').fill(await token({ sub: 'r', permissions: ['order:read'] }));
      await page.locator('#token-form button[type="submit"]').click();
      await page.locator('#auth-message', { hasText: 'microlib:admin' }).waitFor(WAIT);
      assert.equal(await page.locator('#reload-all').isDisabled(), true);

      // The host's admin may read its state and reload, but reading a model's records is that model's permission.
      await page.locator('#token').fill(await token({ sub: 'ops', permissions: ['microlib:admin'] }));
      await page.locator('#token-form button[type="submit"]').click();
      await page.locator('#models tr[data-model="order"]').waitFor(WAIT);
      assert.equal(await page.locator('#auth-message').isHidden(), true);
      await page.locator('#reload-all:not([disabled])').waitFor(WAIT);
      await page.locator('#ws-status', { hasText: /following 0 models; refused: .*order:read/ }).waitFor(WAIT);

      // The WebSocket carries the token too: with read permissions, a record created now shows up.
      await page.locator('#token').fill(await token({ sub: 'ops', permissions: ['microlib:admin', 'order:read', 'customer:read', 'product:read'] }));
      await page.locator('#token-form button[type="submit"]').click();
      await page.locator('#ws-status', { hasText: 'following 3 models' }).waitFor(WAIT);
      const admin = { authorization: `Bearer ${await token({ sub: 'ops', permissions: ['*'] })}` };
      const created = await host.request('/microlib/api/models/products', { method: 'POST', body: { sku: 'B2', name: 'bolt', price: 1 }, headers: admin });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await page.locator(`#feed li[data-event="productCreated"][data-id="${created.body.id}"]`).waitFor(WAIT);
    } finally {
      await browser.close();
    }
  });
});
