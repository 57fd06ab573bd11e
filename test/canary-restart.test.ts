// A canary survives a restart: the host comes back with the same stable version (not whatever its
// source holds by then), the same canary, weight, stickiness and start time, and routes every
// key as before. `microlib canary`, `microlib promote` and `microlib abort` drive it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot } from './support/host-process.js';
import { containerOf, localModelsRemote, writeRemoteEntry } from './support/fixture-remotes.js';
import { hostFor, type HostFixture } from './support/with-host.js';

const run = promisify(execFile);
const cliScript = path.join(repoRoot, 'dist/src/cli/microlib.js');

const spec = (v: number) => `{ modelName: 'thing', endpoint: 'things', datasource: 'file', factory: () => (x) => ({ ...x, v: ${v} }) }`;

async function microlib(args: string[], url: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliScript, ...args], { env: { PATH: process.env.PATH ?? '', MICROLIB_URL: url }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The version that answered each key. */
async function versionsByKey(host: HostFixture, keys: readonly string[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const key of keys) {
    const answer = await host.request('/microlib/api/models/things', { headers: { 'x-user': key } });
    assert.equal(answer.status, 200);
    versions.set(key, answer.headers.get('x-microlib-version')!);
  }
  return versions;
}

describe('a canary across a restart, driven by the CLI', () => {
  it('resumes after a restart with the same versions, split and keys, then promotes and aborts from the CLI', async (t) => {
    let remoteDir = '';
    const host = await hostFor(t, async ({ workDir }) => {
      const remote = await localModelsRemote(workDir, `[${spec(1)}]`);
      remoteDir = remote.path;
      return { remotes: [remote], env: { MICROLIB_DEV_MODE: 'true' } };
    });
    const remotes = async () => (await host.request('/microlib/api/remotes')).body.remotes[0];
    const v1 = (await remotes()).version as string;
    await writeRemoteEntry(remoteDir, containerOf({ './models': `[${spec(2)}]` }));

    const badWeight = await microlib(['canary', 'kit', '--weight', '150'], host.url);
    assert.equal(badWeight.code, 2);
    assert.match(badWeight.stderr, /--weight must be an integer from 0 to 100/);
    const started = await microlib(['canary', 'kit', '--weight', '30', '--sticky', 'header:x-user'], host.url);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^kit: canary [\w-]{12} at 30 % beside [\w-]{12}, sticky header x-user \(\d+ ms\)$/m);
    const second = await microlib(['canary', 'kit', '--weight', '30', '--version', v1.slice(0, 16)], host.url);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /microlib canary: 409 remote "kit" already runs a canary/);
    const before = await remotes();
    const v2 = before.canary.version as string;
    const keys = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    const routed = await versionsByKey(host, keys);
    assert.ok([...routed.values()].includes(`kit@${v2}`) && [...routed.values()].includes(`kit@${v1}`), 'keys on both versions');

    await host.restart();
    const after = await remotes();
    assert.equal(after.version, v1, 'the stable version is the one the canary ran beside, though the folder now holds the canary\'s build');
    assert.equal(after.canary?.version, v2);
    assert.equal(after.canary?.weight, 30);
    assert.deepEqual(after.canary?.sticky, { header: 'x-user' });
    assert.equal(after.canary?.startedAt, before.canary.startedAt);
    assert.deepEqual(await versionsByKey(host, keys), routed, 'every key lands where it did before the restart');
    assert.ok(host.logs.some((l) => l.msg === 'canary resumed'));

    const promoted = await microlib(['promote', 'kit'], host.url);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.match(promoted.stdout, /^kit: promoted [\w-]{12} \(\d+ ms\)$/m);
    assert.equal((await remotes()).version, v2);
    await host.restart();
    const promotedAfterRestart = await remotes();
    assert.equal(promotedAfterRestart.canary, null, 'a promoted canary is not resumed');
    assert.equal(promotedAfterRestart.version, v2);

    // A canary of the previous version, aborted from the CLI.
    const back = await microlib(['canary', 'kit', '--weight', '10', '--version', v1.slice(0, 16)], host.url);
    assert.equal(back.code, 0, back.stderr);
    const aborted = await microlib(['abort', 'kit'], host.url);
    assert.equal(aborted.code, 0, aborted.stderr);
    assert.match(aborted.stdout, /^kit: aborted, [\w-]{12} serves alone \(\d+ ms\)$/m);
    const none = await microlib(['abort', 'kit'], host.url);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /409 remote "kit" runs no canary/);
    await host.restart();
    assert.equal((await remotes()).canary, null, 'an aborted canary is not resumed');
  });
});
