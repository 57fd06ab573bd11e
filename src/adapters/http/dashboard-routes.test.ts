import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { createDashboardRoutes } from './dashboard-routes.js';

describe('dashboard routes', () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  let built = false;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-dashboard-'));
    const app = express();
    app.use(createDashboardRoutes({ dir: path.join(dir, 'dashboard') }));
    app.use((_req, res) => res.status(404).json({ error: { code: 'MLB_ERR_NOT_FOUND', message: 'none' } }));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 JSON saying how to build when the dashboard is not built', async () => {
    assert.equal(built, false);
    for (const page of ['/microlib', '/microlib/', '/microlib/docs']) {
      const response = await fetch(`${base}${page}`);
      assert.equal(response.status, 503, page);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'MLB_ERR_UNAVAILABLE');
      assert.match(body.error.message, /npm run build/);
    }
  });

  it('serves a build made while running: pages revalidated, hashed assets immutable, nothing else', async () => {
    await mkdir(path.join(dir, 'dashboard/assets'), { recursive: true });
    await writeFile(path.join(dir, 'dashboard/index.html'), '<!doctype html><title>d</title>');
    await writeFile(path.join(dir, 'dashboard/docs.html'), '<!doctype html><title>docs</title>');
    await writeFile(path.join(dir, 'dashboard/assets/index-AbC123.js'), 'export {};');
    await writeFile(path.join(dir, 'dashboard/assets/index-AbC123.css'), 'body{}');
    built = true;
    const page = await fetch(`${base}/microlib`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.match(await page.text(), /<title>d<\/title>/);
    assert.match(await (await fetch(`${base}/microlib/docs`)).text(), /<title>docs<\/title>/);
    const script = await fetch(`${base}/microlib/assets/index-AbC123.js`);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match((await fetch(`${base}/microlib/assets/index-AbC123.css`)).headers.get('content-type') ?? '', /^text\/css/);
    // The page is not a fallback for other paths, and only Swagger UI's two files are served from its package.
    for (const other of ['/microlib/index.html', '/microlib/other', '/microlib/assets/', '/microlib/assets/none.js', '/microlib/docs/package.json', '/microlib/docs/..%2F..%2Fpackage.json']) {
      assert.equal((await fetch(`${base}${other}`)).status, 404, other);
    }
    assert.equal((await fetch(`${base}/microlib/docs/swagger-ui.css`)).status, 200);
  });
});
