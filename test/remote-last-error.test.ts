// A remote's last error in /microlib/api/remotes tells the present: once a reload after a failed
// one ends well (a new version, or the version already serving), the error is gone, while the
// reload history still shows the failure.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { containerSource, localModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';

const good = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;
const better = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x, v: 2 }) }]`;
const broken = `throw new Error('broken build');\n`;

interface RemoteRow {
  name: string;
  status: string;
  lastError: { message: string } | null;
  lastReload: { outcome: string } | null;
  reloads: Array<{ outcome: string }>;
}

describe("a remote's last error after a failed reload", () => {
  let running: InProcessHost | undefined;
  let remoteRoot = '';
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await rm(remoteRoot, { recursive: true, force: true });
  });

  const start = async (): Promise<string> => {
    remoteRoot = await mkdtemp(path.join(os.tmpdir(), 'microlib-last-error-'));
    const remote = await localModelsRemote(remoteRoot, good);
    running = await startInProcessHost({ remotes: [remote], env: { MICROLIB_DEV_MODE: 'true', DATASOURCE_ADAPTER: 'memory' } });
    return remote.path;
  };
  const reload = async (): Promise<string> => {
    const answer = await running!.inject({ method: 'POST', url: '/microlib/reload' });
    return (answer.json() as { results: Array<{ outcome: string }> }).results[0]!.outcome;
  };
  const kit = async (): Promise<RemoteRow> => {
    const rows = (await running!.inject('/microlib/api/remotes')).json() as { remotes: RemoteRow[] };
    return rows.remotes.find((r) => r.name === 'kit')!;
  };
  const failOnce = async (dir: string) => {
    await writeRemoteEntry(dir, broken);
    assert.equal(await reload(), 'failed');
    const failed = await kit();
    assert.match(failed.lastError?.message ?? '', /broken build/, 'the failure is shown');
    assert.equal(failed.status, 'ready', 'the old version keeps serving');
  };

  it('clears the error when the next reload loads a new version', async () => {
    const dir = await start();
    await failOnce(dir);
    await writeRemoteEntry(dir, containerSource(better));
    assert.equal(await reload(), 'reloaded');
    const after = await kit();
    assert.equal(after.lastError, null);
    assert.equal(after.lastReload?.outcome, 'reloaded');
    assert.ok(after.reloads.some((r) => r.outcome === 'failed'), 'the history keeps the failure');
  });

  it('clears the error when the build is restored to the version already serving (unchanged)', async () => {
    const dir = await start();
    await failOnce(dir);
    await writeRemoteEntry(dir, containerSource(good));
    assert.equal(await reload(), 'unchanged');
    const after = await kit();
    assert.equal(after.lastError, null);
    assert.equal(after.lastReload?.outcome, 'unchanged');
    assert.ok(after.reloads.some((r) => r.outcome === 'failed'), 'the history keeps the failure');
  });
});
