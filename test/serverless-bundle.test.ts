/**
 * `microlib bundle <dir>`: a function started in the folder it writes serves the
 * bundled versions with every source unreachable (the remote's HTTP server is
 * stopped before the cold start), and bad arguments get a clear error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { createLambdaHandler } from '../src/serverless/index.js';
import { writeBundle, BundleError } from '../src/serverless/bundle.js';
import { exampleRemoteDist, repoRoot } from './support/host-process.js';
import { startStaticServer } from './support/static-server.js';
import { eventFor } from './support/aws-events.js';

const run = promisify(execFile);
const CLI = path.join(repoRoot, 'dist/src/cli/microlib.js');

/** A GET as an HTTP API (payload 2.0) sends it. */
const v2Get = (path: string) => eventFor('http-v2', { path });

test('a function started from a bundle serves the bundled version with its source unreachable', async (t) => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'microlib-bundle-test-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const server = await startStaticServer(exampleRemoteDist);
  t.after(() => server.close());
  const hostDir = path.join(work, 'host');
  await rm(hostDir, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(hostDir));
  await writeFile(path.join(hostDir, 'remoteEntries.js'), `export default ${JSON.stringify([{ name: 'orderService', kind: 'http', url: server.url }])};\n`);

  const bundleDir = path.join(work, 'bundle');
  const manifest = await writeBundle(bundleDir, { cwd: hostDir, env: { REMOTE_ENTRIES: 'remoteEntries.js', REMOTE_CACHE_DIR: path.join(work, 'bundler-cache'), DATA_DIR: path.join(work, 'bundler-data') }, withModules: false });
  assert.equal(manifest.remotes.length, 1);
  const version = manifest.remotes[0]!.version;
  assert.deepEqual(JSON.parse(await readFile(path.join(bundleDir, 'microlib-bundle.json'), 'utf8')).remotes[0].version, version);

  // The network is gone: the server is stopped, its port refuses.
  await server.close();
  const requestsBefore = server.requests.length;
  const handler = createLambdaHandler({
    cwd: bundleDir,
    env: { REMOTE_ENTRIES: 'remoteEntries.js', DATA_DIR: path.join(work, 'fn-data'), REMOTE_CACHE_DIR: path.join(work, 'fn-cache'), DATASOURCE_ADAPTER: 'memory', REMOTE_ISOLATION: 'thread', POLL_INTERVAL_MS: '0' },
    logger: pino({ level: 'silent' }),
  });
  t.after(() => handler.stop());
  const result = (await handler(v2Get('/microlib/api/models/customers'), { awsRequestId: 'a', getRemainingTimeInMillis: () => 30_000 })) as { statusCode: number; headers: Record<string, string> };
  assert.equal(result.statusCode, 200);
  assert.equal(result.headers['x-microlib-version'], `orderService@${version}`);
  const host = await handler.host();
  const remote = host.deployment.remote('orderService')!;
  assert.equal(remote.current?.version, version);
  assert.equal(remote.current?.fromCacheFallback, false, 'loaded as the bundled version, not as a fallback after a failed request');
  assert.equal(server.requests.length, requestsBefore);
});

test('microlib bundle: a missing folder argument, a file and a non-empty folder are refused clearly', async (t) => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'microlib-bundle-args-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const missing = await run(process.execPath, [CLI, 'bundle'], { cwd: work }).then(() => assert.fail('must exit non-zero'), (error: { code: number; stderr: string }) => error);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /microlib bundle: missing <dir>/);
  const file = path.join(work, 'file.txt');
  await writeFile(file, 'x');
  const onFile = await run(process.execPath, [CLI, 'bundle', file], { cwd: work }).then(() => assert.fail('must exit non-zero'), (error: { code: number; stderr: string }) => error);
  assert.equal(onFile.code, 1);
  assert.match(onFile.stderr, /microlib bundle: .*file\.txt exists and is not a folder/);
  await assert.rejects(writeBundle(work, { cwd: work, env: {} }), (error: Error) => error instanceof BundleError && /is not empty and holds no microlib-bundle\.json/.test(error.message));
});
