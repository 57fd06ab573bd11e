/**
 * The folder `microlib bundle` writes, deployed as is: a new process started in
 * it imports `index.mjs` (the bundled host, dist/bundled) and serves the bundled
 * version with the remote's source stopped, in a worker thread and in a child
 * process. The package's unbundled modules are removed from the folder first,
 * so the answer can only come from the bundled host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exampleRemoteDist, repoRoot } from './support/host-process.js';
import { startStaticServer } from './support/static-server.js';

const run = promisify(execFile);
const CLI = path.join(repoRoot, 'dist/src/cli/microlib.js');

/** A cold start in the bundle folder: one HTTP API v2 GET through `index.handler`, printed as JSON. */
const COLD_START = `
const { handler } = await import(new URL('index.mjs', 'file://' + process.cwd() + '/').href);
const event = { version: '2.0', routeKey: '$default', rawPath: '/microlib/api/models/customers', rawQueryString: 'limit=1',
  headers: { host: 'fn.example' }, requestContext: { stage: '$default', requestId: 'cold', http: { method: 'GET', path: '/microlib/api/models/customers', sourceIp: '127.0.0.1' } },
  isBase64Encoded: false };
const result = await handler(event, { awsRequestId: 'cold', getRemainingTimeInMillis: () => 30000 });
process.stdout.write(JSON.stringify({ statusCode: result.statusCode, version: result.headers['x-microlib-version'], body: result.body }) + '\\n');
await handler.stop();
process.exit(0);
`;

test('a bundle folder cold-starts from its bundled host and serves the bundled version with the source stopped (thread and process isolation)', async (t) => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'microlib-bundle-cold-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const server = await startStaticServer(exampleRemoteDist);
  t.after(() => server.close());
  const hostDir = path.join(work, 'host');
  await mkdir(hostDir);
  await writeFile(path.join(hostDir, 'remoteEntries.js'), `export default ${JSON.stringify([{ name: 'orderService', kind: 'http', url: server.url }])};\n`);

  const bundleDir = path.join(work, 'bundle');
  const env = { PATH: process.env['PATH'] ?? '', REMOTE_ENTRIES: 'remoteEntries.js', REMOTE_CACHE_DIR: path.join(work, 'bundler-cache'), DATA_DIR: path.join(work, 'bundler-data'), LOG_LEVEL: 'warn' };
  await run(process.execPath, [CLI, 'bundle', bundleDir], { cwd: hostDir, env });
  const { remotes } = JSON.parse(await readFile(path.join(bundleDir, 'microlib-bundle.json'), 'utf8')) as { remotes: Array<{ version: string }> };
  const version = remotes[0]!.version;
  assert.match(await readFile(path.join(bundleDir, 'index.mjs'), 'utf8'), /from '\.\/node_modules\/microlib\/dist\/bundled\/src\/function\/serverless\.js'/);

  await server.close();
  const requestsBefore = server.requests.length;
  // Only the bundled host is left to answer.
  await rm(path.join(bundleDir, 'node_modules', 'microlib', 'dist', 'src'), { recursive: true });

  const script = path.join(work, 'cold-start.mjs');
  await writeFile(script, COLD_START);
  for (const isolation of ['thread', 'process']) {
    const state = path.join(work, `state-${isolation}`);
    const { stdout } = await run(process.execPath, [script], {
      cwd: bundleDir,
      timeout: 60_000,
      env: { PATH: process.env['PATH'] ?? '', REMOTE_ENTRIES: 'remoteEntries.js', DATA_DIR: path.join(state, 'data'), REMOTE_CACHE_DIR: path.join(state, 'cache'), DATASOURCE_ADAPTER: 'memory', REMOTE_ISOLATION: isolation, LOG_LEVEL: 'warn' },
    });
    const answer = JSON.parse(stdout.trim().split('\n').at(-1)!) as { statusCode: number; version: string; body: string };
    assert.equal(answer.statusCode, 200, `${isolation}: ${answer.body} ${stdout}`);
    assert.equal(answer.version, `orderService@${version}`, isolation);
    assert.ok(Array.isArray(JSON.parse(answer.body).data ?? JSON.parse(answer.body)), `${isolation}: a list answers`);
  }
  assert.equal(server.requests.length, requestsBefore, 'no source was asked');
});
