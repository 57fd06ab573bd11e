// The host as an AWS Lambda function (microlib/serverless): every front door's
// event through one handler over the example remote, answered as AWS documents
// (status, headers, body, base64 both ways), started once per instance, a 504
// before the function's time runs out, and the file datasource refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { decode } from '@msgpack/msgpack';
import { createLambdaHandler, FileDatasourceInFunctionError, UnsupportedEventError, type LambdaHandler } from '../src/serverless/index.js';
import { exampleRemoteDist } from './support/host-process.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { functionEnv, type FunctionEnv } from './support/function-env.js';
import { ALL_SHAPES, bodyBytes, eventFor, headerOf, lambdaContext, type ClientRequest, type EventShape, type Result } from './support/aws-events.js';

const CUSTOMERS = '/microlib/api/models/customers';
const exampleRemote = { name: 'orderService', kind: 'local', path: exampleRemoteDist };

interface ApiError {
  error: { code: string; message: string; field?: string };
}

describe('the Lambda handler over the example remote', () => {
  let fn: FunctionEnv;
  let handler: LambdaHandler;
  const invoke = async (shape: EventShape, request: ClientRequest, remainingMs?: number) => (await handler(eventFor(shape, request), lambdaContext(remainingMs))) as Result;
  const json = <T>(result: Result) => JSON.parse(bodyBytes(result).toString('utf8')) as T;

  before(async () => {
    fn = await functionEnv([exampleRemote], { DATASOURCE_ADAPTER: 'memory' });
    handler = createLambdaHandler({ env: fn.env, cwd: fn.dir, logger: fn.logger });
  });
  after(async () => {
    await handler?.stop();
    await fn?.remove();
  });

  it('starts one host for concurrent first invocations, binds no port, and warns that memory is not durable', async () => {
    const answers = await Promise.all(ALL_SHAPES.map((shape) => invoke(shape, { path: '/microlib/ready' })));
    assert.deepEqual(answers.map((result) => result.statusCode), ALL_SHAPES.map(() => 200));
    assert.equal(fn.logs.filter((line) => line['msg'] === 'function instance ready').length, 1, 'one start');
    const host = await handler.host();
    assert.equal(await handler.host(), host, 'the same host for every invocation');
    assert.equal(host.server.listening, false, 'a function listens on no port');
    assert.ok(fn.logs.some((line) => line['level'] === 40 && /memory in a function/.test(String(line['msg']))), 'memory warned about');
  });

  for (const shape of ALL_SHAPES) {
    it(`${shape}: creates from a base64 body, lists with a query, answers 404 and a 400 naming the field, and a binary answer base64-encoded`, async () => {
      const lastName = `Le Guin & ${shape}`;
      const record = { firstName: 'Ursula', lastName, email: `ursula.${shape}@example.com` };
      const created = await invoke(shape, { method: 'POST', path: CUSTOMERS, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify(record)) });
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(created.isBase64Encoded, false);
      assert.match(headerOf(shape, created, 'content-type') ?? '', /^application\/json/);
      const stored = json<{ id: string; lastName: string; revision: number }>(created);
      assert.equal(stored.lastName, lastName);
      assert.equal(headerOf(shape, created, 'location'), `${CUSTOMERS}/${stored.id}`);
      assert.match(headerOf(shape, created, 'x-microlib-version') ?? '', /^orderService@/);
      if (shape.startsWith('alb')) assert.equal(created.statusDescription, '201 Created');
      else assert.equal(created.statusDescription, undefined);

      // The filter value has a space and an ampersand: decoded by API Gateway, raw from an ALB; either way the host sees the client's.
      const listed = await invoke(shape, { path: CUSTOMERS, query: [['lastName', lastName], ['limit', '5']] });
      assert.equal(listed.statusCode, 200, listed.body);
      const page = json<{ data: Array<{ id: string }>; limit: number }>(listed);
      assert.deepEqual(page.data.map((item) => item.id), [stored.id]);
      assert.equal(page.limit, 5);

      const missing = await invoke(shape, { path: `${CUSTOMERS}/no-such-id` });
      assert.equal(missing.statusCode, 404);
      assert.equal(json<ApiError>(missing).error.code, 'MLB_ERR_NOT_FOUND');
      if (shape.startsWith('alb')) assert.equal(missing.statusDescription, '404 Not Found');

      const bad = await invoke(shape, { method: 'POST', path: CUSTOMERS, headers: [['content-type', 'application/json']], body: JSON.stringify({ ...record, email: 'not an address' }), plainBody: true });
      assert.equal(bad.statusCode, 400, bad.body);
      const error = json<ApiError>(bad).error;
      assert.equal(error.code, 'MLB_ERR_VALIDATION');
      assert.equal(error.field, 'email');
      assert.match(error.message, /email/);

      const packed = await invoke(shape, { path: `${CUSTOMERS}/${stored.id}`, headers: [['accept', 'application/msgpack']] });
      assert.equal(packed.statusCode, 200);
      assert.equal(headerOf(shape, packed, 'content-type'), 'application/msgpack');
      assert.equal(packed.isBase64Encoded, true, 'a binary answer travels base64-encoded');
      assert.deepEqual(decode(bodyBytes(packed)), JSON.parse(JSON.stringify(stored)));
    });
  }

  it('hands the caller\'s cookies to the host as one Cookie line, and returns every Set-Cookie in each front door\'s own field', async (t) => {
    // No answer of the example remote sets a cookie: the host's answers here get two added on the way out.
    const host = await handler.host();
    const original = host.inject;
    const cookiesSeen: Array<string | undefined> = [];
    host.inject = async (request) => {
      if (typeof request !== 'string') cookiesSeen.push(request.headers?.['cookie']);
      const answer = await original(request);
      return { ...answer, headers: { ...answer.headers, 'set-cookie': ['session=abc; Path=/; HttpOnly', 'theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT'] } };
    };
    t.after(() => (host.inject = original));
    const both = ['session=abc; Path=/; HttpOnly', 'theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT'];
    for (const shape of ALL_SHAPES) {
      const answer = await invoke(shape, { path: '/microlib/ready', headers: [['cookie', 'a=1'], ['cookie', 'b=2']] });
      assert.equal(answer.statusCode, 200, shape);
      // A single-value ALB passes the last Cookie line only.
      assert.equal(cookiesSeen.pop(), shape === 'alb-single' ? 'b=2' : 'a=1; b=2', shape);
      if (shape === 'http-v2' || shape === 'function-url') {
        assert.deepEqual(answer.cookies, both, shape);
        assert.equal(answer.headers?.['set-cookie'], undefined, shape);
      } else if (shape === 'alb-single') {
        assert.equal(answer.headers?.['set-cookie'], both[1], 'one value per header: the last');
      } else {
        assert.deepEqual(answer.multiValueHeaders?.['set-cookie'], both, shape);
      }
    }
    assert.equal(fn.logs.filter((line) => /several Set-Cookie headers/.test(String(line['msg']))).length, 1, 'the dropped cookie is warned about once');
  });

  it('answers 504 a margin before the function\'s time runs out when the host has not answered, and abandons the request', async (t) => {
    const host = await handler.host();
    const original = host.inject;
    let abandoned: unknown;
    host.inject = (request) =>
      new Promise((_resolve, reject) => {
        const signal = typeof request === 'string' ? undefined : request.signal;
        signal?.addEventListener('abort', () => reject((abandoned = signal.reason)));
      });
    t.after(() => (host.inject = original));
    const started = performance.now();
    const late = await invoke('http-v2', { path: CUSTOMERS }, 600);
    const elapsed = performance.now() - started;
    assert.equal(late.statusCode, 504);
    assert.equal(json<ApiError>(late).error.code, 'MLB_ERR_TIMEOUT');
    assert.ok(elapsed >= 300 && elapsed < 600, `answered after ${Math.round(elapsed)} ms: past remaining - 250 ms, before the end`);
    assert.ok(abandoned instanceof Error && abandoned.name === 'RemainingTimeExceeded', 'the in-process request was told to give up');
    // The host's own inject gives up on an aborted signal, and answers the next request as ever.
    await assert.rejects(original({ url: '/microlib/ready', signal: AbortSignal.abort(new Error('given up')) }), /given up/);
    assert.equal((await original('/microlib/ready')).status, 200);
  });

  it('answers 504 MLB_ERR_TIMEOUT at once when the function has no time left, without running the request', async () => {
    const email = 'late@example.com';
    for (const shape of ALL_SHAPES) {
      const late = await invoke(shape, { method: 'POST', path: CUSTOMERS, headers: [['content-type', 'application/json']], body: JSON.stringify({ firstName: 'Late', lastName: 'Comer', email }) }, 200);
      assert.equal(late.statusCode, 504, shape);
      const error = json<ApiError>(late).error;
      assert.equal(error.code, 'MLB_ERR_TIMEOUT');
      assert.match(error.message, /remaining time/);
      assert.ok(headerOf(shape, late, 'x-request-id'), `${shape}: the 504 names a request id`);
      if (shape.startsWith('alb')) assert.equal(late.statusDescription, '504 Gateway Timeout');
    }
    const listed = await invoke('rest', { path: CUSTOMERS, query: [['email', email]] });
    assert.deepEqual(json<{ data: unknown[] }>(listed).data, [], 'the abandoned create never ran');
    assert.ok(fn.logs.some((line) => line['msg'] === "request abandoned: the function's remaining time ran out; answered 504"));
  });

  it('says so, once, when a flow is still running after the invocation answered (a function instance is frozen between invocations)', async () => {
    const warning = (line: Record<string, unknown>) => /flows are still running after the invocation answered/.test(String(line['msg']));
    assert.equal(fn.logs.filter(warning).length, 0, 'no flow ran yet');
    const post = async (path: string, body?: unknown) => json<{ id: string; flow?: { status: string } }>(await invoke('http-v2', { method: 'POST', path, headers: [['content-type', 'application/json']], ...(body === undefined ? {} : { body: JSON.stringify(body), plainBody: true }) }));
    const customer = await post(CUSTOMERS, { firstName: 'Flo', lastName: 'W', email: 'flo@example.com' });
    const order = await post('/microlib/api/models/orders', { customerId: customer.id, items: [{ sku: 'A1', quantity: 1, price: 5 }] });
    const submitted = await post(`/microlib/api/models/orders/${order.id}/commands/submit`);
    assert.equal(submitted.flow?.status, 'running', 'answered after the first step; the flow goes on');
    const line = fn.logs.find(warning);
    assert.ok(line && Number(line['runningFlows']) >= 1, 'the instance warns that the flow goes on only while it serves');
    await invoke('http-v2', { path: '/microlib/ready' });
    assert.equal(fn.logs.filter(warning).length, 1, 'once per instance');
  });

  it('fails an invocation whose event is no HTTP request nor a known trigger, naming what it expected', async () => {
    await assert.rejects(handler({ Records: [{ eventSource: 'aws:s3', s3: {} }] }, lambdaContext()), (error: Error) => {
      assert.ok(error instanceof UnsupportedEventError);
      assert.match(error.message, /expected an API Gateway REST .* got an object with Records/);
      return true;
    });
  });
});

it('ships a ready-made handler module for a function configured by its environment alone', async () => {
  // Importing it starts nothing: the host starts on the first invocation.
  const { handler } = await import('../src/serverless/lambda.js');
  assert.equal(typeof handler, 'function');
  assert.equal(typeof handler.host, 'function');
});

describe('datasources in a function', () => {
  it('refuses to start with the file datasource (the default), saying why, on every invocation', async () => {
    const fn = await functionEnv([exampleRemote]);
    const handler = createLambdaHandler({ env: fn.env, cwd: fn.dir, logger: fn.logger });
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        await assert.rejects(handler(eventFor('http-v2', { path: '/microlib/ready' }), lambdaContext()), (error: Error) => {
          assert.ok(error instanceof FileDatasourceInFunctionError, String(error));
          assert.match(error.message, /DATASOURCE_ADAPTER is "file".*not durable.*DATASOURCE_ADAPTER=mongodb/);
          return true;
        });
      }
      assert.equal(fn.logs.filter((line) => /failed to start/.test(String(line['msg']))).length, 2, 'each refusal is logged');
    } finally {
      await handler.stop();
      await fn.remove();
    }
  });

  it('refuses a model whose spec names the file datasource, and serves the others', async () => {
    const fn = await functionEnv([]);
    const spec = (name: string, datasource: string) => `{ modelName: '${name}', endpoint: '${name}s', datasource: '${datasource}', factory: () => (x) => ({ ...x }) }`;
    const durable = await localModelsRemote(fn.dir, `[${spec('ledger', 'file')}]`, 'durable');
    const scratch = await localModelsRemote(fn.dir, `[${spec('note', 'memory')}]`, 'scratch');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(fn.dir, 'remoteEntries.js'), `export default ${JSON.stringify([durable, scratch])};\n`);
    const handler = createLambdaHandler({ env: { ...fn.env, DATASOURCE_ADAPTER: 'memory' }, cwd: fn.dir, logger: fn.logger });
    try {
      const note = (await handler(eventFor('function-url', { method: 'POST', path: '/microlib/api/models/notes', headers: [['content-type', 'application/json']], body: '{"text":"hi"}' }), lambdaContext())) as Result;
      assert.equal(note.statusCode, 201, note.body);
      const ledger = (await handler(eventFor('function-url', { path: '/microlib/api/models/ledgers' }), lambdaContext())) as Result;
      assert.equal(ledger.statusCode, 404, 'the model on the file datasource is not served');
      const ready = (await handler(eventFor('function-url', { path: '/microlib/ready' }), lambdaContext())) as Result;
      assert.equal(ready.statusCode, 503);
      assert.match(bodyBytes(ready).toString(), /durable.*model \\"ledger\\" names the file datasource.*not durable/);
    } finally {
      await handler.stop();
      await fn.remove();
    }
  });
});
