// How each AWS front door's event becomes the client's request, and the host's
// answer the front door's result, as AWS documents the payloads: pure mapping,
// no host (test/serverless-lambda.test.ts runs the same events through one).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectEvent, UnsupportedEventError } from '../src/serverless/aws/events.js';
import { toInjectRequest } from '../src/serverless/aws/request.js';
import { isText, toLambdaResult, type Answer } from '../src/serverless/aws/response.js';
import { ALL_SHAPES, eventFor, type EventShape } from './support/aws-events.js';

const request = (shape: EventShape, client: Parameters<typeof eventFor>[1], basePath?: string) => toInjectRequest(detectEvent(eventFor(shape, client)), { basePath, invocationId: 'inv-1' });

const answer = (headers: Answer['headers'], raw: Buffer | string = '', status = 200): Answer => ({ status, headers, raw: Buffer.from(raw) });

describe('AWS events → the client\'s request', () => {
  it('tells the front door from the event', () => {
    assert.deepEqual(
      ALL_SHAPES.map((shape) => {
        const http = detectEvent(eventFor(shape, { path: '/x' }));
        return [shape, http.kind, http.kind === 'alb' ? http.multiValue : undefined];
      }),
      [
        ['rest', 'apigateway-v1', undefined],
        ['http-v1', 'apigateway-v1', undefined],
        ['http-v2', 'apigateway-v2', undefined],
        ['function-url', 'apigateway-v2', undefined],
        ['alb-single', 'alb', false],
        ['alb-multi', 'alb', true],
      ],
    );
  });

  it('refuses an event that is no HTTP request, naming the shapes it expected and the keys it got', () => {
    for (const event of [{ Records: [{ eventSource: 'aws:sqs' }] }, null, 'GET /', {}]) {
      assert.throws(() => detectEvent(event), (error: Error) => {
        assert.ok(error instanceof UnsupportedEventError);
        assert.match(error.message, /API Gateway REST .*httpMethod, path.*version '2\.0', rawPath.*requestContext\.elb/);
        return true;
      });
    }
    assert.throws(() => detectEvent({ Records: [] }), /got an object with Records/);
  });

  it('rebuilds path and query on every front door: decoded values encoded again, repeats kept, stages taken off', () => {
    const query: Array<[string, string]> = [['lastName', 'Le Guin & Co'], ['tag', 'a'], ['tag', 'ü=1']];
    for (const shape of ALL_SHAPES) {
      const mapped = request(shape, { path: '/microlib/api/models/customers', query });
      assert.equal(mapped.method, 'GET', shape);
      // An ALB without multi-value headers passes the last value of a repeated parameter only.
      const tags = shape === 'alb-single' ? 'tag=%C3%BC%3D1' : 'tag=a&tag=%C3%BC%3D1';
      assert.equal(mapped.url, `/microlib/api/models/customers?lastName=Le%20Guin%20%26%20Co&${tags}`, shape);
    }
  });

  it('takes off a custom domain\'s base path mapping when told, and only as a whole segment', () => {
    assert.equal(request('rest', { path: '/v1/microlib/ready' }, '/v1').url, '/microlib/ready');
    assert.equal(request('rest', { path: '/v1' }, 'v1/').url, '/');
    assert.equal(request('rest', { path: '/v10/microlib/ready' }, '/v1').url, '/v10/microlib/ready');
  });

  it('keeps repeated headers, joins cookies into one Cookie line (v2 `cookies` too), and drops the gateway\'s framing', () => {
    const headers: Array<[string, string]> = [
      ['accept', 'application/json'],
      ['accept', 'text/plain'],
      ['cookie', 'a=1; b=2'],
      ['content-length', '999'],
      ['connection', 'keep-alive'],
    ];
    for (const shape of ALL_SHAPES) {
      const mapped = request(shape, { method: 'POST', path: '/p', headers, body: 'hi' });
      // Single-value ALBs pass the last line; HTTP API 2.0 joins repeats with a bare comma; the others list them.
      const expectedAccept = shape === 'alb-single' ? 'text/plain' : shape === 'http-v2' || shape === 'function-url' ? 'application/json,text/plain' : 'application/json, text/plain';
      assert.equal(mapped.headers['accept'], expectedAccept, shape);
      assert.equal(mapped.headers['cookie'], 'a=1; b=2', shape);
      assert.equal(mapped.headers['content-length'], undefined, shape);
      assert.equal(mapped.headers['connection'], undefined, shape);
    }
  });

  it('decodes base64 bodies to their bytes and passes text bodies as they are', () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    for (const shape of ALL_SHAPES) {
      assert.deepEqual(request(shape, { method: 'PUT', path: '/p', body: bytes }).body, bytes, shape);
      assert.equal(request(shape, { method: 'PUT', path: '/p', body: '{"a":1}', plainBody: true }).body, '{"a":1}', shape);
      assert.equal(request(shape, { path: '/p' }).body, undefined, shape);
    }
  });

  it('ends X-Forwarded-For with the address the front door saw, and names the request by the gateway\'s id', () => {
    const rest = request('rest', { path: '/p', headers: [['x-forwarded-for', '10.0.0.1']], sourceIp: '203.0.113.9' });
    assert.equal(rest.headers['x-forwarded-for'], '203.0.113.9, 10.0.0.1, 203.0.113.9');
    assert.equal(rest.headers['x-request-id'], 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
    // HTTP API ids carry '=' (not a plain token): the invocation's id instead.
    assert.equal(request('http-v2', { path: '/p' }).headers['x-request-id'], 'inv-1');
    assert.equal(request('alb-multi', { path: '/p', headers: [['x-request-id', 'mine']] }).headers['x-request-id'], 'mine');
  });
});

describe('the host\'s answer → the front door\'s result', () => {
  const json = answer({ 'content-type': 'application/json; charset=utf-8', 'set-cookie': ['s=1; Path=/', 'theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT'], vary: 'accept', connection: 'keep-alive', 'transfer-encoding': 'chunked' }, '{"ok":true}', 201);

  it('REST / payload 1.0: headers, and multiValueHeaders with every Set-Cookie', () => {
    assert.deepEqual(toLambdaResult(detectEvent(eventFor('rest', { path: '/' })), json), {
      statusCode: 201,
      headers: { 'content-type': 'application/json; charset=utf-8', vary: 'accept' },
      multiValueHeaders: {
        'content-type': ['application/json; charset=utf-8'],
        'set-cookie': ['s=1; Path=/', 'theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT'],
        vary: ['accept'],
      },
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
  });

  it('HTTP API 2.0 and function URLs: Set-Cookie lines as `cookies`', () => {
    for (const shape of ['http-v2', 'function-url'] as const) {
      assert.deepEqual(toLambdaResult(detectEvent(eventFor(shape, { path: '/' })), json), {
        statusCode: 201,
        headers: { 'content-type': 'application/json; charset=utf-8', vary: 'accept' },
        cookies: ['s=1; Path=/', 'theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT'],
        body: '{"ok":true}',
        isBase64Encoded: false,
      });
    }
    const plain = toLambdaResult(detectEvent(eventFor('http-v2', { path: '/' })), answer({ 'content-type': 'text/plain' }, 'x'));
    assert.equal('cookies' in plain, false, 'no cookies field when the answer sets none');
  });

  it('ALB: a status description, and headers in the style of the event', () => {
    assert.deepEqual(toLambdaResult(detectEvent(eventFor('alb-multi', { path: '/' })), json), {
      statusCode: 201,
      statusDescription: '201 Created',
      multiValueHeaders: {
        'content-type': ['application/json; charset=utf-8'],
        'set-cookie': ['s=1; Path=/', 'theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT'],
        vary: ['accept'],
      },
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
    const dropped: number[] = [];
    assert.deepEqual(
      toLambdaResult(detectEvent(eventFor('alb-single', { path: '/' })), json, (_kept, count) => dropped.push(count)),
      {
        statusCode: 201,
        statusDescription: '201 Created',
        headers: { 'content-type': 'application/json; charset=utf-8', vary: 'accept', 'set-cookie': 'theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT' },
        body: '{"ok":true}',
        isBase64Encoded: false,
      },
    );
    assert.deepEqual(dropped, [1], 'a dropped Set-Cookie is reported');
    assert.equal((toLambdaResult(detectEvent(eventFor('alb-single', { path: '/' })), answer({}, '', 404)) as { statusDescription: string }).statusDescription, '404 Not Found');
  });

  it('base64-encodes every body that is not text, and an empty body is an empty string', () => {
    const bytes = Buffer.from([0x82, 0xa2, 0x69, 0x64, 0xff, 0x00]);
    for (const shape of ALL_SHAPES) {
      const http = detectEvent(eventFor(shape, { path: '/' }));
      const binary = toLambdaResult(http, answer({ 'content-type': 'application/msgpack' }, bytes));
      assert.equal(binary.isBase64Encoded, true, shape);
      assert.deepEqual(Buffer.from(binary.body, 'base64'), bytes, shape);
      const gzipped = toLambdaResult(http, answer({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, bytes));
      assert.equal(gzipped.isBase64Encoded, true, `${shape}: a compressed body is bytes`);
      assert.deepEqual(toLambdaResult(http, answer({}, '', 204)).body, '', shape);
    }
    assert.deepEqual(
      ['text/html; charset=utf-8', 'application/json', 'application/problem+json', 'image/svg+xml', 'application/javascript', 'application/octet-stream', 'image/png', undefined].map((type) => isText(type)),
      [true, true, true, true, true, false, false, false],
    );
  });
});
