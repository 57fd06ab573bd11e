/**
 * REMOTE_TTL_SECONDS in a function: within the TTL an invocation asks no source;
 * the first invocation after it starts a check in the background (and is served
 * by the current version), and once the new version is swapped in, answers name it;
 * an unchanged source is asked conditionally (304).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLambdaHandler } from '../src/serverless/index.js';
import { exampleBuild } from './support/example-builds.js';
import { functionEnv } from './support/function-env.js';
import { startStaticServer } from './support/static-server.js';
import { eventFor } from './support/aws-events.js';

const SWAP_WAIT_MS = 15_000;

/** A GET as an HTTP API (payload 2.0) sends it. */
const v2Get = (path: string) => eventFor('http-v2', { path });

/** The example build stamping `build: n`; its entry file changes too, as a real rebuild's would (the http source's version hashes it and the manifest). */
async function writeBuild(dir: string, n: number): Promise<void> {
  for (const [name, bytes] of Object.entries(await exampleBuild(n))) {
    await writeFile(path.join(dir, name), name === 'remoteEntry.js' ? Buffer.concat([bytes, Buffer.from(`\n// build ${n}\n`)]) : bytes);
  }
}

test('a warm function checks its remote at most once per REMOTE_TTL_SECONDS and then serves the new version', async (t) => {
  const fn = await functionEnv([]);
  t.after(() => fn.remove());
  const served = path.join(fn.dir, 'served');
  await mkdir(served);
  await writeBuild(served, 1);
  const server = await startStaticServer(served);
  t.after(() => server.close());
  await writeFile(path.join(fn.dir, 'remoteEntries.js'), `export default ${JSON.stringify([{ name: 'orderService', kind: 'http', url: server.url }])};\n`);
  const handler = createLambdaHandler({ cwd: fn.dir, env: { ...fn.env, DATASOURCE_ADAPTER: 'memory', REMOTE_ISOLATION: 'none', REMOTE_TTL_SECONDS: '1' }, logger: fn.logger });
  t.after(() => handler.stop());
  const context = { awsRequestId: 'a', getRemainingTimeInMillis: () => 30_000 };
  const versionOf = async () => ((await handler(v2Get('/microlib/api/models/customers'), context)) as { headers: Record<string, string> }).headers['x-microlib-version'];

  const first = (await versionOf()) ?? '';
  assert.match(first, /^orderService@/);
  const requestsAfterStart = server.requests.length;
  await writeBuild(served, 2);
  // Within the TTL: served as is, no request to the source.
  assert.equal(await versionOf(), first);
  assert.equal(await versionOf(), first);
  assert.equal(server.requests.length, requestsAfterStart, 'no source request within the TTL');

  await sleep(1_100);
  // The invocation that starts the check is not held up by it: the current version answers.
  assert.equal(await versionOf(), first);
  const host = await handler.host();
  const deadline = Date.now() + SWAP_WAIT_MS;
  while (host.deployment.remote('orderService')?.current?.version === first.slice('orderService@'.length) && Date.now() < deadline) await sleep(50);
  assert.ok(server.requests.length > requestsAfterStart, 'the source was asked after the TTL');
  const after = await versionOf();
  assert.notEqual(after, first, 'the new version answers once swapped in');
  assert.equal(after, `orderService@${host.deployment.remote('orderService')!.current!.version}`);

  // Unchanged since: the next check costs two conditional requests answered 304, and nothing is swapped.
  await sleep(1_100);
  const notModifiedBefore = server.notModified;
  assert.equal(await versionOf(), after);
  const until = Date.now() + SWAP_WAIT_MS;
  while (server.notModified < notModifiedBefore + 2 && Date.now() < until) await sleep(50);
  assert.equal(server.notModified, notModifiedBefore + 2, 'remoteEntry.js and mf-manifest.json asked with If-None-Match, answered 304');
  assert.equal(await versionOf(), after);
});
