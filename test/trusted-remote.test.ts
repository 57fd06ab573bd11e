// Trusted remotes end to end: a local-folder remote signed with scripts/sign-remote.mjs and
// pinned to its public key. Tampered, unsigned or wrongly signed builds are refused on reload
// and the previous version keeps serving; a correctly signed build replaces it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { exampleBuild } from './support/example-builds.js';
import { repoRoot } from './support/host-process.js';
import { withHost } from './support/with-host.js';

const run = promisify(execFile);
const signScript = path.join(repoRoot, 'scripts/sign-remote.mjs');
const REMOTE = 'orders';

describe('trusted remote (signed build pinned to a public key)', () => {
  let remoteDir: string;
  let firstVersion: string;
  const host = withHost(async ({ workDir }) => {
    remoteDir = path.join(workDir, 'remote');
    await mkdir(remoteDir, { recursive: true });
    for (const who of ['trusted', 'other'] as const) {
      await run(process.execPath, [signScript, '--generate-key', path.join(workDir, `keys-${who}`)], { timeout: 30_000 });
    }
    await writeBuild(1);
    await sign('trusted');
    return {
      // A path relative to remoteEntries.js, which the fixture writes into workDir.
      remotes: [{ name: REMOTE, kind: 'local', path: remoteDir, publicKey: './keys-trusted/microlib-signing-key.pub.pem' }],
      env: { MICROLIB_DEV_MODE: 'true' },
    };
  });

  const keyOf = (who: 'trusted' | 'other') => path.join(host.workDir, `keys-${who}`, 'microlib-signing-key.pem');
  const sign = (who: 'trusted' | 'other') => run(process.execPath, [signScript, remoteDir, '--key', keyOf(who)], { timeout: 30_000 });
  const reload = () => host.request('/microlib/reload', { method: 'POST' });
  const createCustomer = () => host.request('/microlib/api/models/customers', { method: 'POST', body: { firstName: 'T', lastName: 'R', email: 't@r.io' } });

  /** Replaces the remote folder's files with example build `n` (same file names every build). */
  async function writeBuild(n: number): Promise<void> {
    for (const [name, bytes] of Object.entries(await exampleBuild(n))) await writeFile(path.join(remoteDir, name), bytes);
  }

  async function modelsChunk(): Promise<string> {
    const name = (await readdir(remoteDir)).find((n) => n.startsWith('__federation_expose_models'));
    if (!name) throw new Error('the example build has no models chunk');
    return name;
  }

  /** A refused reload: 422, the reason, the old version still active, the refused snapshot neither cached nor last good. */
  async function assertRefused(reason: RegExp): Promise<void> {
    const res = await reload();
    assert.equal(res.status, 422, JSON.stringify(res.body));
    const result = res.body.results[0];
    assert.equal(result.outcome, 'failed');
    assert.equal(result.from, firstVersion);
    assert.equal(result.to, firstVersion, 'the previous version stays active');
    assert.match(result.error, new RegExp(`^remote "${REMOTE}" at ${result.attempted.slice(0, 12)}: verify failed: `));
    assert.match(result.error, reason);
    assert.ok(!existsSync(path.join(host.workDir, 'cache', REMOTE, result.attempted)), 'a refused snapshot is not kept in the cache');
    const lastGood = JSON.parse(await readFile(path.join(host.workDir, 'cache', REMOTE, 'last-good.json'), 'utf8')) as { version: string };
    assert.equal(lastGood.version, firstVersion, 'a refused snapshot never becomes last good');
    const served = await createCustomer();
    assert.equal(served.status, 201);
    assert.equal(served.body.build, 1, 'the old code still serves');
    assert.equal(served.headers.get('x-microlib-version'), `${REMOTE}@${firstVersion}`);
  }

  it('loads the build signed by the configured key', async () => {
    const created = await createCustomer();
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.build, 1);
    const header = created.headers.get('x-microlib-version') ?? '';
    assert.match(header, new RegExp(`^${REMOTE}@sha256-`));
    firstVersion = header.slice(REMOTE.length + 1);
  });

  it('refuses a build whose chunk changed after signing; the previous version keeps serving', async () => {
    await writeBuild(2);
    await sign('trusted');
    const chunk = await modelsChunk();
    const text = await readFile(path.join(remoteDir, chunk), 'utf8');
    assert.ok(text.includes('build: 2'));
    await writeFile(path.join(remoteDir, chunk), text.replace('build: 2', 'build: 666'));
    await assertRefused(new RegExp(`file ${chunk.replace(/\./g, '\\.')} does not match the signed manifest$`));
  });

  it('refuses an unsigned build', async () => {
    await writeBuild(2);
    await rm(path.join(remoteDir, 'microlib-manifest.json'));
    await rm(path.join(remoteDir, 'microlib-manifest.json.sig'));
    await assertRefused(/no signed manifest \(microlib-manifest\.json\) in the build$/);
  });

  it('refuses a build signed by another key', async () => {
    await writeBuild(2);
    await sign('other');
    await assertRefused(/the manifest is not signed by the configured key$/);
  });

  it('serves the new build once it is signed by the configured key', async () => {
    await writeBuild(2);
    await sign('trusted');
    const res = await reload();
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const result = res.body.results[0];
    assert.equal(result.outcome, 'reloaded');
    assert.equal(result.from, firstVersion);
    assert.notEqual(result.to, firstVersion);
    const created = await createCustomer();
    assert.equal(created.body.build, 2, 'the new code serves');
    assert.equal(created.headers.get('x-microlib-version'), `${REMOTE}@${result.to}`);
  });
});
