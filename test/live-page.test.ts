// The live page in a real browser: it lists a model's records and shows creates, updates
// and deletes made by others as they happen, through the WebSocket event stream.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { localModelsRemote } from './support/fixture-remotes.js';
import { browserUnavailable, launchBrowser } from './support/browser.js';
import { withHost } from './support/with-host.js';

const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;
const skip = browserUnavailable();

describe('live page (headless Chromium)', { skip }, () => {
  let browser: Browser;
  const host = withHost(async ({ workDir, defer }) => {
    browser = await launchBrowser();
    defer(() => browser.close());
    return { remotes: [await localModelsRemote(workDir, models)] };
  });

  it('shows existing records, then creates, updates and deletes as they happen', async () => {
    const api = '/microlib/api/models/things';
    const first = (await host.request(api, { method: 'POST', body: { name: 'before the page' } })).body;
    const page = await browser.newPage();
    await page.goto(`${host.url}/microlib/live?model=thing`);
    await page.locator('#status', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    const row = (id: string) => page.locator(`tr[data-id="${id}"]`);
    assert.match(await row(first.id).innerText(), /before the page/);

    const second = (await host.request(api, { method: 'POST', body: { name: 'while watching' } })).body;
    await row(second.id).locator('td', { hasText: 'thingCreated' }).waitFor({ timeout: 5_000 });
    await host.request(`${api}/${second.id}`, { method: 'PATCH', body: { name: 'renamed' } });
    await row(second.id).locator('td', { hasText: 'thingUpdated' }).waitFor({ timeout: 5_000 });
    assert.match(await row(second.id).innerText(), /renamed/);
    await host.request(`${api}/${first.id}`, { method: 'DELETE' });
    await page.locator(`tr.deleted[data-id="${first.id}"]`).waitFor({ timeout: 5_000 });
    assert.equal(await page.locator('#count').innerText(), '3 events');
    await page.close();
  });
});
