// Hot deployment of a local-folder remote in development mode: models come and go with the
// code, their data stays; without credentials or development mode, reloads are refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot } from './support/host-process.js';
import { containerSource, localModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { hostFor } from './support/with-host.js';

const run = promisify(execFile);
const cliScript = path.join(repoRoot, 'dist/src/cli/microlib.js');

const both = `[
  { modelName: 'thing', endpoint: 'things', datasource: 'file', factory: () => (x) => ({ ...x }) },
  { modelName: 'gadget', endpoint: 'gadgets', datasource: 'file', factory: () => (x) => ({ ...x }) },
]`;
const thingsOnly = `[{ modelName: 'thing', endpoint: 'things', datasource: 'file', factory: () => (x) => ({ ...x, v: 2 }) }]`;

describe('hot deployment of a local remote', () => {
  it('stops serving a removed model, keeps its data, and serves it again when it returns', async (t) => {
    let remoteDir = '';
    const host = await hostFor(t, async ({ workDir }) => {
      const remote = await localModelsRemote(workDir, both);
      remoteDir = remote.path;
      return { remotes: [remote], env: { MICROLIB_DEV_MODE: 'true' } };
    });
    assert.ok(host.logs.some((l) => String(l.msg).includes('MICROLIB_DEV_MODE=true')), 'development mode is announced');
    const gadget = await host.request('/microlib/api/models/gadgets', { method: 'POST', body: { name: 'g1' } });
    assert.equal(gadget.status, 201);

    await writeRemoteEntry(remoteDir, containerSource(thingsOnly));
    // Dropping a model is refused unless the reload says it is intended (test/dropped-model.test.ts).
    const reload = await host.request('/microlib/reload?allowRemove=1', { method: 'POST' });
    assert.equal(reload.status, 200, JSON.stringify(reload.body));
    assert.equal(reload.body.results[0].outcome, 'reloaded');
    assert.equal((await host.request(`/microlib/api/models/gadgets/${gadget.body.id}`)).status, 404);
    const thing = await host.request('/microlib/api/models/things', { method: 'POST', body: {} });
    assert.equal(thing.body.v, 2, 'the new code serves');

    await writeRemoteEntry(remoteDir, containerSource(both));
    // `npm run hot-reload -- kit` is this command.
    const cli = await run(process.execPath, [cliScript, 'reload', 'kit'], { env: { PATH: process.env.PATH ?? '', MICROLIB_URL: host.url }, timeout: 30_000 });
    assert.match(cli.stdout, /^kit: reloaded [\w-]{12} -> [\w-]{12} \(\d+ ms\)$/m);
    const back = await host.request(`/microlib/api/models/gadgets/${gadget.body.id}`);
    assert.equal(back.status, 200, 'the data of a removed model was kept');
    assert.equal(back.body.name, 'g1');
  });

  it('refuses reloads when neither a credential nor development mode is configured', async (t) => {
    const host = await hostFor(t, async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, both)] }));
    const manual = await host.request('/microlib/reload', { method: 'POST' });
    assert.equal(manual.status, 403);
    assert.match(manual.body.error.message, /ADMIN_TOKEN/);
    const cli = await run(process.execPath, [cliScript, 'reload'], { env: { PATH: process.env.PATH ?? '', MICROLIB_URL: host.url }, timeout: 30_000 }).catch((error: { code: number; stderr: string }) => error);
    assert.equal((cli as { code: number }).code, 1, 'the CLI exits non-zero when refused');
    assert.match((cli as { stderr: string }).stderr, /403 reloads are disabled/);
    const hook = await host.request('/microlib/reload', { method: 'POST', body: {}, headers: { 'x-github-event': 'push' } });
    assert.equal(hook.status, 403);
    assert.match(hook.body.error.message, /WEBHOOK_SECRET/);
  });
});
