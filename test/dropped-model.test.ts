// A new version of a remote that no longer exports a model the running version serves is refused,
// naming the model (and an export in its place that is not a spec), and the old version keeps
// serving; removal goes through when intended: the entry's allowRemove, a reload's allowRemove
// (query, body or `microlib reload --allow-remove`), or a rollback to a version without the model.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { containerOf, localModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { repoRoot } from './support/host-process.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';

const spec = (name: string, endpoint: string) => `{ modelName: '${name}', endpoint: '${endpoint}', datasource: 'memory', factory: () => (x) => ({ ...x }) }`;
const THING = spec('thing', 'things');
const GADGET = spec('gadget', 'gadgets');

interface Result {
  outcome: string;
  error?: string;
}

describe('a new version that drops a model', () => {
  let running: InProcessHost | undefined;
  let root = '';
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await rm(root, { recursive: true, force: true });
  });

  /** A host serving `kit` with things and gadgets; returns the folder its builds are written to. */
  const start = async (entry: Record<string, unknown> = {}): Promise<string> => {
    root = await mkdtemp(path.join(os.tmpdir(), 'microlib-dropped-'));
    const remote = await localModelsRemote(root, `[${THING}, ${GADGET}]`);
    running = await startInProcessHost({ remotes: [{ ...remote, ...entry }], env: { MICROLIB_DEV_MODE: 'true' } });
    return remote.path;
  };
  const reload = async (url = '/microlib/reload', body?: object) => {
    const answer = await running!.inject({ method: 'POST', url, ...(body ? { body } : {}) });
    return { status: answer.status, result: answer.json<{ results: Result[] }>().results[0]! };
  };
  const gadgets = async () => (await running!.inject('/microlib/api/models/gadgets')).status;

  it('is refused naming the model, and the running version keeps serving it', async () => {
    const dir = await start();
    await writeRemoteEntry(dir, containerOf({ './models': `[${THING}]` }));
    const { status, result } = await reload();
    assert.equal(status, 422);
    assert.equal(result.outcome, 'failed');
    assert.match(result.error ?? '', /no longer exports model "gadget" \(\/microlib\/api\/models\/gadgets\), which the running version serves/);
    assert.match(result.error ?? '', /allowRemove/, 'the refusal says how to remove it on purpose');
    assert.equal(await gadgets(), 200, 'the old version still serves the model');
  });

  it('is refused when an export that is not a spec takes the place of a model, naming both', async () => {
    const dir = await start();
    await writeRemoteEntry(dir, containerOf({ './models': `({ thing: ${THING}, gadget: () => (${GADGET}) })` }));
    const { result } = await reload();
    assert.equal(result.outcome, 'failed');
    assert.match(result.error ?? '', /model "gadget".*; it exports "gadget" \(a function\), which is not a model spec/);
    assert.equal(await gadgets(), 200);
  });

  it('goes through with allowRemove on the reload (query or body), and the endpoint is gone', async () => {
    const dir = await start();
    await writeRemoteEntry(dir, containerOf({ './models': `[${THING}]` }));
    assert.equal((await reload('/microlib/reload?allowRemove=1')).result.outcome, 'reloaded');
    assert.equal(await gadgets(), 404);
    await writeRemoteEntry(dir, containerOf({ './models': `[${GADGET}]` }));
    assert.equal((await reload()).result.outcome, 'failed', 'a later reload without the flag is checked again');
    assert.equal((await reload('/microlib/reload', { remote: 'kit', allowRemove: true })).result.outcome, 'reloaded');
    assert.equal((await running!.inject('/microlib/api/models/things')).status, 404);
  });

  it('goes through for a remote whose entry in remoteEntries.js says allowRemove: true, and only for it', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'microlib-dropped-'));
    const free = await localModelsRemote(root, `[${THING}, ${GADGET}]`, 'free');
    const strict = await localModelsRemote(root, `[${spec('widget', 'widgets')}, ${spec('gizmo', 'gizmos')}]`, 'strict');
    running = await startInProcessHost({ remotes: [{ ...free, allowRemove: true }, strict], env: { MICROLIB_DEV_MODE: 'true' } });
    await writeRemoteEntry(free.path, containerOf({ './models': `[${THING}]` }));
    await writeRemoteEntry(strict.path, containerOf({ './models': `[${spec('widget', 'widgets')}]` }));
    assert.equal((await reload('/microlib/reload', { remote: 'free' })).result.outcome, 'reloaded');
    assert.equal(await gadgets(), 404);
    const refused = await reload('/microlib/reload', { remote: 'strict' });
    assert.equal(refused.result.outcome, 'failed');
    assert.match(refused.result.error ?? '', /model "gizmo"/);
  });

  it('goes through with microlib reload --allow-remove, and is refused without it', async () => {
    const dir = await start();
    await writeRemoteEntry(dir, containerOf({ './models': `[${THING}]` }));
    const url = `http://127.0.0.1:${(running!.host.server.address() as AddressInfo).port}`;
    const cli = (...args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(process.execPath, [path.join(repoRoot, 'dist/src/cli/microlib.js'), 'reload', 'kit', '--url', url, ...args], { env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 }, (error, stdout) =>
          resolve({ code: error ? Number(error.code ?? -1) : 0, stdout }),
        );
      });
    const refused = await cli();
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /no longer exports model "gadget"/);
    assert.equal((await cli('--allow-remove')).code, 0);
    assert.equal(await gadgets(), 404);
  });

  it('lets a rollback return to a version without a model added since', async () => {
    const dir = await start();
    await writeRemoteEntry(dir, containerOf({ './models': `[${THING}, ${GADGET}, ${spec('widget', 'widgets')}]` }));
    assert.equal((await reload()).result.outcome, 'reloaded');
    await writeRemoteEntry(dir, containerOf({ './models': `[${THING}, ${GADGET}]` }));
    assert.equal((await reload()).result.outcome, 'failed', 'a new build may not drop widget');
    const back = await reload('/microlib/api/remotes/kit/rollback');
    assert.equal(back.result.outcome, 'reloaded', back.result.error);
    assert.equal((await running!.inject('/microlib/api/models/widgets')).status, 404);
    assert.equal(await gadgets(), 200);
  });
});
