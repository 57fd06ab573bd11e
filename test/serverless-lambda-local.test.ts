// The Lambda handler under lambda-local (an AWS Lambda emulator from npm): the
// function module loaded as a deployed one is (an ES module at a path, configured
// by environment variables), invoked with API Gateway v1 and v2 events, and its
// context's getRemainingTimeInMillis driving the 504 before lambda-local's timeout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import lambdaLocal from 'lambda-local';
import { exampleRemoteDist } from './support/host-process.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { functionEnv, type FunctionEnv } from './support/function-env.js';
import { serverlessImport } from './support/functions-framework.js';
import { bodyBytes, eventFor, type ClientRequest, type EventShape, type Result } from './support/aws-events.js';

const CUSTOMERS = '/microlib/api/models/customers';

interface ApiError {
  error: { code: string; message: string; field?: string };
}

describe('the Lambda handler under lambda-local', () => {
  let fn: FunctionEnv;
  let modulePath: string;

  before(async () => {
    fn = await functionEnv([]);
    // A model whose create waits as long as the body asks: a request that outlives the function.
    const slow = await localModelsRemote(fn.dir, `[{ modelName: 'job', endpoint: 'jobs', datasource: 'memory', factory: () => async (x) => { await new Promise((r) => setTimeout(r, x.waitMs)); return { ...x }; } }]`, 'slow');
    await writeFile(path.join(fn.dir, 'remoteEntries.js'), `export default ${JSON.stringify([{ name: 'orderService', kind: 'local', path: exampleRemoteDist }, slow])};\n`);
    modulePath = path.join(fn.dir, 'index.mjs');
    await writeFile(modulePath, `import { createLambdaHandler } from ${serverlessImport()};\nexport const handler = createLambdaHandler();\n`);
    // lambda-local takes a winston-like logger (it checks for `transports`); this one keeps quiet.
    lambdaLocal.setLogger({ transports: [], log() {} });
  });
  after(async () => {
    // The module lambda-local imported is this process's: stop its host so the test can end.
    const loaded = (await import(`file://${modulePath}`)) as { handler: { stop(): Promise<void> } };
    await loaded.handler.stop();
    await fn?.remove();
  });

  const invoke = async (shape: EventShape, request: ClientRequest, timeoutMs = 10_000): Promise<Result> =>
    (await lambdaLocal.execute({
      event: eventFor(shape, request),
      lambdaPath: modulePath,
      esm: true,
      timeoutMs,
      // Below 3, lambda-local mutes this process's stdout during each invocation (and the test runner's report with it).
      verboseLevel: 3,
      // Absolute paths: lambda-local runs the function in this process, in its working directory.
      environment: { ...fn.env, REMOTE_ENTRIES: path.join(fn.dir, 'remoteEntries.js'), DATASOURCE_ADAPTER: 'memory', LOG_LEVEL: 'error' },
    })) as Result;
  const json = <T>(result: Result) => JSON.parse(bodyBytes(result).toString('utf8')) as T;

  for (const shape of ['rest', 'http-v2'] as const) {
    it(`${shape}: a CRUD round trip and a 404`, async () => {
      const email = `octavia.${shape}@example.com`;
      const created = await invoke(shape, { method: 'POST', path: CUSTOMERS, headers: [['content-type', 'application/json']], body: JSON.stringify({ firstName: 'Octavia', lastName: 'Butler', email }) });
      assert.equal(created.statusCode, 201, created.body);
      const stored = json<{ id: string; revision: number }>(created);

      const read = await invoke(shape, { path: `${CUSTOMERS}/${stored.id}` });
      assert.equal(read.statusCode, 200);
      assert.deepEqual(json(read), stored);

      const listed = await invoke(shape, { path: CUSTOMERS, query: [['email', email]] });
      assert.deepEqual(json<{ data: Array<{ id: string }> }>(listed).data.map((item) => item.id), [stored.id]);

      const patched = await invoke(shape, { method: 'PATCH', path: `${CUSTOMERS}/${stored.id}`, headers: [['content-type', 'application/json'], ['if-match', `"${stored.revision}"`]], body: '{"tier":"gold"}', plainBody: true });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(json<{ tier: string }>(patched).tier, 'gold');

      const removed = await invoke(shape, { method: 'DELETE', path: `${CUSTOMERS}/${stored.id}` });
      assert.equal(removed.statusCode, 204);
      const gone = await invoke(shape, { path: `${CUSTOMERS}/${stored.id}` });
      assert.equal(gone.statusCode, 404);
      assert.equal(json<ApiError>(gone).error.code, 'MLB_ERR_NOT_FOUND');
    });
  }

  it('answers 504 before lambda-local\'s own timeout when a request outlives the function', async () => {
    const started = performance.now();
    const late = await invoke('http-v2', { method: 'POST', path: '/microlib/api/models/jobs', headers: [['content-type', 'application/json']], body: '{"waitMs":3000}', plainBody: true }, 1_500);
    const elapsed = performance.now() - started;
    assert.equal(late.statusCode, 504, late.body);
    assert.equal(json<ApiError>(late).error.code, 'MLB_ERR_TIMEOUT');
    assert.ok(elapsed < 1_500, `answered after ${Math.round(elapsed)} ms, before the function's 1.5 s were up`);
  });
});
