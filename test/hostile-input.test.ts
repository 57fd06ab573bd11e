// Hostile input against the generated REST API of a real host child process:
// several hundred malformed or malicious requests (from a seeded PRNG, so every run
// sends the same ones) interleaved with valid writes. Every hostile request must get
// a 4xx JSON error (a batch of hostile items: 207 with a 4xx error for every item),
// the host must stay up, and the data afterwards must be exactly what the valid writes made.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { localModelsRemote } from './support/fixture-remotes.js';
import { withHost } from './support/with-host.js';

const BODY_LIMIT = 65_536;
/** BATCH_MAX_ITEMS of the host under test. */
const BATCH_MAX = 20;
const REQUEST_TIMEOUT_MS = 10_000;
const PREFIX = '/microlib/api/models';
/** How long the raw client waits for a refusal by headers alone before it sends a body over the limit. */
const EARLY_REFUSAL_WINDOW_MS = 100;
/** The raw client's pause after each 16 KiB of a large body, so an early answer is read before the host's reset. */
const BODY_CHUNK_PAUSE_MS = 1;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// `widgets` declares fields of each kind; `bags` declares none, so any top-level key reaches the model.
const models = `[
  { modelName: 'widget', endpoint: 'widgets', datasource: 'memory', factory: () => (x) => ({ ...x }),
    fields: {
      name: { type: 'string', required: true, maxLength: 40 },
      qty: { type: 'integer', minimum: 0, maximum: 1000 },
      active: { type: 'boolean' },
      dims: { type: 'object', properties: { w: { type: 'number' }, h: { type: 'number' } } },
      parts: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string', required: true }, n: { type: 'integer' } } } },
      color: { type: 'string', enum: ['red', 'green', 'blue'] },
      due: { type: 'date' },
    } },
  { modelName: 'bag', endpoint: 'bags', datasource: 'memory', factory: () => (x) => ({ ...x }) },
]`;

/** mulberry32: a small seeded PRNG, so the generated cases are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One request over a fresh socket, bytes exactly as given (fetch would normalise
 * paths, reject bad bytes and fix content-length). The body is written in chunks and
 * writing stops once an answer arrives, so a refused large body does not turn into a
 * reset that loses the answer. Rejects on timeout: a hang is a failure.
 */
function raw(port: number, head: string | Buffer, body: Buffer = Buffer.alloc(0), noBody = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      const answer = parseAnswer(Buffer.concat(received), noBody);
      if (!answer && !error && !socket.destroyed) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (answer) resolve(answer);
      else reject(error ?? new Error(`connection closed without an answer (${received.length} chunks)`));
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      finish();
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error('connection closed without an answer')));
    socket.on('connect', async () => {
      socket.write(head);
      if (body.length === 0) return;
      // Both waits below are a client's deliberate pacing, not polls for something the test
      // expects: the host may answer or not, and the body goes out either way.
      // Like a client sending `Expect: 100-continue`, give the host a window to refuse by the
      // headers alone before sending a body over the limit.
      for (let waited = 0; body.length > BODY_LIMIT && waited < EARLY_REFUSAL_WINDOW_MS && received.length === 0; waited += 5) await pause(5);
      // Bounded: at most body.length / 16 KiB writes, each followed by a pause so an answer is read before a reset.
      for (let at = 0; at < body.length && received.length === 0 && !socket.destroyed; at += 16_384) {
        socket.write(body.subarray(at, at + 16_384));
        if (body.length > 16_384) await pause(BODY_CHUNK_PAUSE_MS);
      }
    });
  });
}

/** A complete HTTP/1.1 answer in `bytes`, or undefined while it is still arriving. */
function parseAnswer(bytes: Buffer, noBody: boolean): RawAnswer | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  // An answer to HEAD announces a length but carries no body.
  const length = noBody || headers['content-length'] === undefined ? 0 : Number(headers['content-length']);
  const rest = bytes.subarray(end + 4);
  if (rest.length < length) return undefined;
  return { status, headers, body: rest.subarray(0, length).toString('utf8') };
}

interface HostileCase {
  category: string;
  label: string;
  method: string;
  /** Raw request target, sent as is. */
  target: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send as `transfer-encoding: chunked` without content-length. */
  chunked?: boolean;
  /** A raw head replacing the generated one (for requests node:http's parser refuses). */
  rawHead?: Buffer;
  /** A batch of this many items, each hostile: the answer is 207 with a 4xx error for every item (none stored). */
  refusedItems?: number;
}

function buildHead(c: HostileCase, body: Buffer): Buffer {
  const headers: Record<string, string> = { host: '127.0.0.1', connection: 'close', ...c.headers };
  if (c.chunked) headers['transfer-encoding'] = 'chunked';
  else if (body.length > 0 && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
  const lines = [`${c.method} ${c.target} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

function chunkedBody(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += 8_192) {
    const piece = body.subarray(at, at + 8_192);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const JSON_TYPE = { 'content-type': 'application/json' };

function deepObject(levels: number, key: string): string {
  return `${`{"${key}":`.repeat(levels)}1${'}'.repeat(levels)}`;
}

function deepArray(levels: number): string {
  return `${'['.repeat(levels)}1${']'.repeat(levels)}`;
}

/** The widget body a valid create sends. */
function validWidget(rand: () => number, n: number): Record<string, unknown> {
  const body: Record<string, unknown> = { name: `w${n}-${Math.floor(rand() * 1e6)}` };
  if (rand() < 0.7) body.qty = Math.floor(rand() * 1001);
  if (rand() < 0.5) body.active = rand() < 0.5;
  if (rand() < 0.5) body.dims = { w: Math.round(rand() * 100) / 4, h: Math.floor(rand() * 50) };
  if (rand() < 0.4) body.parts = [{ sku: `s${n}`, n: Math.floor(rand() * 9) }, { sku: 'x' }];
  if (rand() < 0.6) body.color = ['red', 'green', 'blue'][Math.floor(rand() * 3)];
  if (rand() < 0.4) body.due = new Date(Date.UTC(2020, 0, 1) + Math.floor(rand() * 1e11)).toISOString();
  return body;
}

/** Every hostile request; `id` is a widget that exists, `bagId` a bag that exists. */
function hostileCases(rand: () => number, id: string, bagId: string): HostileCase[] {
  const cases: HostileCase[] = [];
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const widgets = `${PREFIX}/widgets`;
  const item = `${widgets}/${id}`;
  const json = (category: string, label: string, method: string, target: string, body: unknown) =>
    cases.push({ category, label, method, target, headers: JSON_TYPE, body: typeof body === 'string' ? body : JSON.stringify(body) });

  // Wrong types: each field gets each wrong value, on create and on patch.
  const wrong: Record<string, unknown[]> = {
    name: [1, true, null, {}, ['a'], 'x'.repeat(41)],
    qty: ['1', 1.5, -1, 1001, true, null, {}, [1], 1e300],
    active: ['true', 0, 1, null, {}, []],
    dims: ['x', [], 1, null, true, { w: 'a' }, { h: [] }],
    parts: [{}, 'x', [1], [{}], [{ sku: 1 }], [{ sku: 'a', n: 'b' }], [null], null],
    color: ['purple', 1, null, ['red'], 'RED', ''],
    due: ['yesterday', 123, '2024-13-45T00:00:00Z', '', null, {}, '2024-01-01'],
  };
  for (const [field, values] of Object.entries(wrong)) {
    for (const value of values) {
      json('wrong-type', `create ${field}=${JSON.stringify(value).slice(0, 30)}`, 'POST', widgets, { name: 'ok', [field]: value });
      json('wrong-type', `patch ${field}=${JSON.stringify(value).slice(0, 30)}`, 'PATCH', item, { [field]: value });
    }
  }

  // Missing required fields and fields the host owns.
  for (let i = 0; i < 12; i++) {
    const body = validWidget(rand, i);
    delete body.name;
    json('missing-required', `create without name #${i}`, 'POST', widgets, body);
  }
  json('missing-required', 'part without sku', 'POST', widgets, { name: 'a', parts: [{ n: 1 }] });
  for (const host of ['createdAt', 'updatedAt', 'revision', 'flow']) {
    json('unknown-field', `create ${host}`, 'POST', widgets, { name: 'a', [host]: 1 });
    json('unknown-field', `patch ${host}`, 'PATCH', item, { [host]: 1 });
  }
  json('unknown-field', 'patch id', 'PATCH', item, { id: 'other' });
  for (const bad of ['../x', '', 'a b', 'x'.repeat(65), 5, null, 'a\u0000b', '__proto__', 'constructor', 'prototype']) json('unknown-field', `create id=${JSON.stringify(bad).slice(0, 20)}`, 'POST', widgets, { name: 'a', id: bad });
  for (let i = 0; i < 15; i++) {
    const key = `extra${Math.floor(rand() * 1e6)}`;
    json('unknown-field', `create ${key}`, 'POST', widgets, { name: 'a', [key]: rand() });
    json('unknown-field', `patch ${key}`, 'PATCH', item, { [key]: 'x' });
  }

  // Huge strings under the body limit, and bodies over it (declared and chunked).
  for (const size of [41, 1_000, 30_000, 60_000]) {
    json('huge-string', `name of ${size}`, 'POST', widgets, { name: 'n'.repeat(size) });
    json('huge-string', `patch name of ${size}`, 'PATCH', item, { name: 'é'.repeat(size) });
  }
  for (const size of [BODY_LIMIT + 1, BODY_LIMIT * 4, BODY_LIMIT * 32]) {
    const big = JSON.stringify({ name: 'a', dims: { w: 1, pad: 'p'.repeat(size) } });
    cases.push({ category: 'huge-body', label: `declared ${size}`, method: 'POST', target: widgets, headers: JSON_TYPE, body: big });
    cases.push({ category: 'huge-body', label: `chunked ${size}`, method: 'POST', target: widgets, headers: JSON_TYPE, body: big, chunked: true });
    cases.push({ category: 'huge-body', label: `patch ${size}`, method: 'PATCH', target: item, headers: JSON_TYPE, body: big, chunked: true });
  }
  cases.push({ category: 'huge-body', label: 'lying content-length', method: 'POST', target: widgets, headers: { ...JSON_TYPE, 'content-length': String(BODY_LIMIT * 100) }, body: '{"name":"a"}' });

  // Deep nesting: in a field that takes any keys, in arrays, and at the top.
  for (const levels of [65, 100, 1_000, 10_000]) {
    json('deep-nesting', `dims object ${levels}`, 'POST', widgets, `{"name":"a","dims":${deepObject(levels, 'w')}}`);
    json('deep-nesting', `dims array ${levels}`, 'POST', widgets, `{"name":"a","dims":{"x":${deepArray(levels)}}}`);
    json('deep-nesting', `patch dims ${levels}`, 'PATCH', item, `{"dims":${deepObject(levels, 'h')}}`);
    json('deep-nesting', `bag ${levels}`, 'POST', `${PREFIX}/bags`, `{"x":${deepObject(levels, 'y')}}`);
    json('deep-nesting', `top array ${levels}`, 'POST', widgets, deepArray(levels));
    json('deep-nesting', `unclosed ${levels}`, 'POST', widgets, '{"a":'.repeat(levels));
  }

  // Prototype pollution: literal and \u-escaped keys, top level and nested, both models.
  const pollutions = [
    '{"__proto__":{"polluted":"yes"}}',
    '{"constructor":{"prototype":{"polluted":"yes"}}}',
    '{"prototype":{"polluted":"yes"}}',
    '{"\\u005f_proto__":{"polluted":"yes"}}',
    '{"__pro\\u0074o__":{"polluted":"yes"}}',
    '{"\\u0063onstructor":{"prototype":{"polluted":"yes"}}}',
    '{"constructor":{"\\u0070rototype":{"polluted":"yes"}}}',
    '{"__proto__" :{"polluted":"yes"}}',
    '{"__proto__"\n:\t{"polluted":"yes"}}',
  ];
  for (const p of pollutions) {
    const inner = p.slice(1, -1);
    json('prototype-pollution', `top ${p}`, 'POST', widgets, `{"name":"a",${inner}}`);
    json('prototype-pollution', `patch top ${p}`, 'PATCH', item, `{${inner}}`);
    json('prototype-pollution', `dims ${p}`, 'POST', widgets, `{"name":"a","dims":{${inner}}}`);
    json('prototype-pollution', `patch dims ${p}`, 'PATCH', item, `{"dims":{"w":1,${inner}}}`);
    json('prototype-pollution', `parts ${p}`, 'POST', widgets, `{"name":"a","parts":[{"sku":"s",${inner}}]}`);
    json('prototype-pollution', `bag ${p}`, 'POST', `${PREFIX}/bags`, `{"x":1,${inner}}`);
    json('prototype-pollution', `patch bag ${p}`, 'PATCH', `${PREFIX}/bags/${bagId}`, `{${inner}}`);
    json('prototype-pollution', `bag nested ${p}`, 'POST', `${PREFIX}/bags`, `{"x":{"y":[${p}]}}`);
  }

  // Operator injection and unknown keys in list queries, on both models. (The operators a list takes,
  // e.g. qty[$gt]=1 or $or[0][name]=a, answer 200: see 'answers the query operators it documents'.)
  const nestedOr = `${'$or[0]'.repeat(20)}[name]=a`;
  const injections = [
    'qty[$where]=1', 'name.$ne=', '$where=1', '$where=sleep(1000)', 'name[]=a', 'qty[$in][]=1', 'qty[$in][0]=1',
    '__proto__[polluted]=1', '__proto__=x', 'constructor=x', 'constructor[prototype][polluted]=1', 'prototype=x',
    'name[$regex]=.*', 'name[$regex]=%5E(a%2B)%2B%24', 'name[$options]=i', 'name[$expr]=1', 'name[$elemMatch][x]=1', 'name[$eq]=a',
    nestedOr, '$or[0][$or][0][name]=a', '$or[10][name]=a', '$or[0][$where]=1', '$or=a', '$or[0]=a', '$and[0][name]=a', '$nor[0][name]=a',
    `name[$in]=${Array.from({ length: 1_000 }, (_, i) => `v${i}`).join(',')}`, `name[$nin]=${'x,'.repeat(150)}x`,
    'name[$in]=a%5Cb', 'name[$exists]=maybe', 'name[$exists]=', 'name[$prefix]=', 'name[$prefix]=a%00', 'name[$gt]=1&name[$gt]=2',
    Array.from({ length: 51 }, (_, i) => `f${i}[$ne]=1`).join('&'),
    'dims.w=1', 'dims=1', 'parts=x', 'flow=x', 'nope=1', 'qty=abc', 'qty=1.5',
    'active=yes', 'due=%00', 'qty=', 'qty=Infinity', 'qty=0x10', 'active=TRUE',
  ];
  for (const q of injections) {
    cases.push({ category: 'query-injection', label: q.slice(0, 60), method: 'GET', target: `${widgets}?${q}` });
    // A model without declared fields filters on any plain name, so only operators and prototype names are hostile there.
    if (/[[\]$]|__proto__|constructor|prototype/.test(q)) cases.push({ category: 'query-injection', label: `bags ${q.slice(0, 60)}`, method: pick(['GET', 'HEAD']), target: `${PREFIX}/bags?${q}` });
  }
  // Operators refused by a declared field's type: hostile on widgets only (bags compare any value as text).
  for (const q of [
    'qty[$gt]=abc', 'qty[$gt]=1.5', 'qty[$lt]=0x10', 'active[$gt]=true', 'active[$in]=yes', 'qty[$prefix]=1', 'dims[$gt]=1', 'parts[$in]=x',
    'due[$gt]=yesterday', 'due[$lt]=2024-13-45', 'due[$prefix]=2024', 'color[$in]=red,purple', 'color[$ne]=RED', '$or[0][qty][$gt]=x', 'nope[$exists]=true',
  ]) {
    cases.push({ category: 'query-injection', label: q, method: 'GET', target: `${widgets}?${q}` });
  }
  for (const q of ['__proto__=x', 'constructor=x', 'prototype=1', 'sort=__proto__', 'sort=constructor', 'x[$gt]=1']) {
    cases.push({ category: 'query-injection', label: `relation ${q}`, method: 'GET', target: `${item}/__proto__?${q}` });
  }

  // Bad paging: limit, offset, cursor, sort, count.
  const paging = [
    'limit=0', 'limit=-1', 'limit=abc', 'limit=1e999', 'limit=1.5', 'limit=99999999999999999999', 'limit=', 'limit=%20', 'limit=1001',
    'offset=-1', 'offset=x', 'offset=1.5', 'offset=1e400', 'offset=', 'offset=9007199254740993',
    'cursor=', 'cursor=garbage', 'cursor=%7B%7D', 'cursor=eyJ4IjoxfQ', `cursor=${'A'.repeat(4_000)}`, 'cursor=abc&offset=1',
    'sort=nope', 'sort=-', 'sort=', 'sort=dims', 'sort=parts', 'sort=name,,qty', 'sort=--name', 'sort=flow', `sort=${'name,'.repeat(500)}x`,
    'count=maybe', 'count=1', 'count=yes',
  ];
  for (const q of paging) cases.push({ category: 'bad-paging', label: q.slice(0, 40), method: 'GET', target: `${widgets}?${q}` });

  // Duplicate query keys.
  for (const q of ['limit=1&limit=2', 'name=a&name=b', 'offset=0&offset=0', 'sort=name&sort=qty', 'count&count', 'qty=1&qty=1']) {
    cases.push({ category: 'duplicate-query', label: q, method: 'GET', target: `${widgets}?${q}` });
  }

  // Path traversal, NUL and very long ids, for each item method.
  const ids = [
    '..%2F..%2Fetc%2Fpasswd', '..%2f..%2f..%2fetc%2fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%00', 'a%00b', `${id}%00`,
    '%2F', '..', '.', 'x'.repeat(5_000), '%E2%80%AE', '%C0%AE%C0%AE%2F', encodeURIComponent('<script>alert(1)</script>'),
    '%FF%FE', '__proto__', 'constructor', 'prototype', 'hasOwnProperty',
  ];
  for (const bad of ids) {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const body = method === 'PATCH' ? JSON.stringify({ qty: 1 }) : undefined;
      cases.push({ category: 'bad-id', label: `${method} ${bad.slice(0, 30)}`, method, target: `${widgets}/${bad}`, ...(body ? { headers: JSON_TYPE, body } : {}) });
    }
  }
  for (const name of ['__proto__', 'constructor', 'toString', 'nope']) {
    cases.push({ category: 'bad-id', label: `command ${name}`, method: 'POST', target: `${item}/commands/${name}` });
    cases.push({ category: 'bad-id', label: `patch command ${name}`, method: 'PATCH', target: `${item}/${name}`, headers: JSON_TYPE, body: '{}' });
    cases.push({ category: 'bad-id', label: `port ${name}`, method: 'POST', target: `${item}/ports/${name}`, headers: JSON_TYPE, body: '{}' });
    cases.push({ category: 'bad-id', label: `relation ${name}`, method: 'GET', target: `${item}/${name}` });
    cases.push({ category: 'bad-id', label: `?relation=${name}`, method: 'GET', target: `${item}?relation=${name}` });
  }
  cases.push({ category: 'bad-id', label: 'too many segments', method: 'GET', target: `${item}/a/b/c` });
  cases.push({ category: 'bad-id', label: 'unknown endpoint', method: 'GET', target: `${PREFIX}/..%2Fadmin` });
  cases.push({ category: 'bad-id', label: 'empty endpoint', method: 'GET', target: `${PREFIX}/` });

  // Bad percent-encoding in paths and queries; invalid UTF-8 in bodies and URLs.
  for (const seg of ['%', '%Z', '%ZZ', '%E0%A4%A', '%C3', '%80', '%ED%A0%80', 'a%2']) {
    cases.push({ category: 'bad-encoding', label: `GET id ${seg}`, method: 'GET', target: `${widgets}/${seg}` });
    cases.push({ category: 'bad-encoding', label: `PATCH id ${seg}`, method: 'PATCH', target: `${widgets}/${seg}`, headers: JSON_TYPE, body: '{"qty":1}' });
    cases.push({ category: 'bad-encoding', label: `query ${seg}`, method: 'GET', target: `${widgets}?name${seg}=1` });
  }
  // Percent-encoded bytes that are not UTF-8 in a query value: never read as U+FFFD and answered 200.
  for (const value of ['%ff', '%C3', '%ED%A0%80', '%C0%AF', 'a%FE%FFb', '%E2%82']) {
    cases.push({ category: 'bad-encoding', label: `query value ${value}`, method: 'GET', target: `${widgets}?name=${value}` });
    cases.push({ category: 'bad-encoding', label: `bags query value ${value}`, method: 'GET', target: `${PREFIX}/bags?label=${value}` });
  }
  const badUtf8 = [
    Buffer.from([0xff]), Buffer.from([0xfe, 0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]),
    Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0xe2, 0x82]),
  ];
  for (const bytes of badUtf8) {
    const hex = bytes.toString('hex');
    const wrap = (a: string, b: string) => Buffer.concat([Buffer.from(a), bytes, Buffer.from(b)]);
    cases.push({ category: 'bad-encoding', label: `body value ${hex}`, method: 'POST', target: widgets, headers: JSON_TYPE, body: wrap('{"name":"a', '"}') });
    cases.push({ category: 'bad-encoding', label: `body key ${hex}`, method: 'POST', target: `${PREFIX}/bags`, headers: JSON_TYPE, body: wrap('{"k', '":1}') });
    cases.push({ category: 'bad-encoding', label: `patch value ${hex}`, method: 'PATCH', target: item, headers: JSON_TYPE, body: wrap('{"name":"', '"}') });
    // node's parser refuses these bytes in a URL before the host sees the request.
    cases.push({ category: 'transport', label: `url id ${hex}`, method: 'GET', target: `${widgets}/${bytes.toString('latin1')}` });
    cases.push({ category: 'transport', label: `url query ${hex}`, method: 'GET', target: `${widgets}?name=${bytes.toString('latin1')}` });
  }
  cases.push({ category: 'bad-encoding', label: 'utf-16 body', method: 'POST', target: widgets, headers: JSON_TYPE, body: Buffer.from('{"name":"a"}', 'utf16le') });
  cases.push({ category: 'bad-encoding', label: 'lone surrogate escape', method: 'POST', target: `${PREFIX}/bags`, headers: JSON_TYPE, body: '{"x":"\\ud800"}' });

  // Wrong and missing content types.
  for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'json', 'application/xml', '', 'application/json5', 'text/json']) {
    const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type };
    cases.push({ category: 'content-type', label: `POST ${type}`, method: 'POST', target: widgets, headers, body: '{"name":"a"}' });
    cases.push({ category: 'content-type', label: `PATCH ${type}`, method: 'PATCH', target: item, headers, body: '{"qty":2}' });
  }
  cases.push({ category: 'content-type', label: 'form body', method: 'POST', target: widgets, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=a&__proto__[polluted]=1' });

  // JSON that is not an object, or not JSON.
  // (An array of objects on POST is a batch: see the batch cases below.)
  json('non-object-json', 'PATCH "[{\\"name\\":\\"a\\"}]"', 'PATCH', item, '[{"name":"a"}]');
  for (const text of ['[]', '1', '-0', '"str"', 'null', 'true', '', '   ', '{', '{"name":}', '{} x', '{"name":"a"}{"name":"b"}', '\uFEFF{"name":"a"}', "{'name':'a'}", '{"name":"a",}', 'NaN', '{"qty":NaN}', '{"qty":01}', '/*x*/{}']) {
    json('non-object-json', `POST ${JSON.stringify(text)}`, 'POST', widgets, text);
    json('non-object-json', `PATCH ${JSON.stringify(text)}`, 'PATCH', item, text);
  }

  // Batches whose every item is hostile: each item refused alone (207), nothing stored.
  const batch = (label: string, method: string, target: string, items: unknown[]) =>
    cases.push({ category: 'batch', label, method, target, headers: JSON_TYPE, body: JSON.stringify(items), refusedItems: items.length });
  for (const [field, values] of Object.entries(wrong)) {
    batch(`create ${field} wrong`, 'POST', widgets, values.map((value) => ({ name: 'ok', [field]: value })));
    batch(`patch ${field} wrong`, 'PATCH', widgets, values.map((value) => ({ id, [field]: value })));
  }
  batch('create without name', 'POST', widgets, Array.from({ length: 6 }, (_, i) => { const body = validWidget(rand, i); delete body.name; return body; }));
  batch('create host fields', 'POST', widgets, ['createdAt', 'updatedAt', 'revision', 'flow'].map((host) => ({ name: 'a', [host]: 1 })));
  batch('create bad ids', 'POST', widgets, ['../x', '', 'a b', 'x'.repeat(65), 5, null, '__proto__', 'constructor'].map((bad) => ({ name: 'a', id: bad })));
  batch('create non-objects', 'POST', widgets, [1, 'x', null, true, [], [{ name: 'a' }], -0]);
  batch('create non-objects on bags', 'POST', `${PREFIX}/bags`, [1, 'x', null, false, [], [{ x: 1 }]]);
  batch('create unknown fields', 'POST', widgets, Array.from({ length: 5 }, () => ({ name: 'a', [`extra${Math.floor(rand() * 1e6)}`]: 1 })));
  batch('patch bad items', 'PATCH', widgets, [{ qty: 1 }, { id: 5, qty: 1 }, { id: `nope${Math.floor(rand() * 1e6)}`, qty: 1 }, { id, qty: 1, ifMatch: 999 }, { id: '../x', qty: 1 }, 'x', null, [id]]);
  batch('patch bad ifMatch', 'PATCH', widgets, ['x', -1, 1.5, '"abc"', 'W/', {}, [1], true, `"${'9'.repeat(30)}"`].map((ifMatch) => ({ id, qty: 1, ifMatch })));
  batch('patch host fields', 'PATCH', widgets, ['createdAt', 'updatedAt', 'revision', 'flow'].map((host) => ({ id, [host]: 1 })));
  batch('patch prototype names', 'PATCH', `${PREFIX}/bags`, ['__proto__', 'constructor', 'prototype', 'x y'].map((bad) => ({ id: bad, x: 1 })));
  batch('delete bad items', 'DELETE', widgets, [{ id: `nope${Math.floor(rand() * 1e6)}` }, { id, ifMatch: 999 }, { id, extra: 1 }, {}, 'x', { id: 5 }, null, { id: '../x' }, { id, ifMatch: 'x' }]);
  for (const ids of ['nope1,nope2', '..%2Fx,__proto__,constructor', `%00,${'z'.repeat(70)}`, 'a%20b,a/b']) {
    cases.push({ category: 'batch', label: `delete ?ids=${ids.slice(0, 30)}`, method: 'DELETE', target: `${widgets}?ids=${ids}`, refusedItems: decodeURIComponent(ids).split(',').length });
  }
  // Whole batches refused: too many items, empty, wrong shape, hostile as a whole.
  const many = (n: number, make: (i: number) => unknown) => JSON.stringify(Array.from({ length: n }, (_, i) => make(i)));
  json('batch', `create ${BATCH_MAX + 1} items`, 'POST', widgets, many(BATCH_MAX + 1, (i) => ({ name: `over${i}` })));
  json('batch', `create ${BATCH_MAX * 50} items`, 'POST', widgets, many(BATCH_MAX * 50, () => ({})));
  json('batch', `patch ${BATCH_MAX + 1} items`, 'PATCH', widgets, many(BATCH_MAX + 1, () => ({ id, qty: 1 })));
  json('batch', `delete ${BATCH_MAX + 1} items`, 'DELETE', widgets, many(BATCH_MAX + 1, () => ({ id })));
  cases.push({ category: 'batch', label: `delete ?ids= ${BATCH_MAX + 1}`, method: 'DELETE', target: `${widgets}?ids=${Array.from({ length: BATCH_MAX + 1 }, () => id).join(',')}` });
  for (const method of ['PATCH', 'DELETE']) {
    for (const text of ['[]', '{}', '{"id":"x"}', '1', 'null', '"x"', '[1,', deepArray(100)]) json('batch', `${method} collection ${text.slice(0, 20)}`, method, widgets, text);
  }
  for (const query of ['', '?ids=', '?ids=a,,b', '?ids=a&ids=b', '?id=a', '?ids=a&limit=1']) cases.push({ category: 'batch', label: `delete ${query || 'nothing'}`, method: 'DELETE', target: `${widgets}${query}` });
  cases.push({ category: 'batch', label: 'delete ids and body', method: 'DELETE', target: `${widgets}?ids=nope`, headers: JSON_TYPE, body: '[{"id":"nope"}]' });
  json('batch', 'create polluted item', 'POST', widgets, '[{"name":"a"},{"name":"b","__proto__":{"polluted":"yes"}}]');
  json('batch', 'patch polluted item', 'PATCH', widgets, `[{"id":"${id}","constructor":{"prototype":{"polluted":"yes"}}}]`);
  json('batch', 'create deep item', 'POST', widgets, `[{"name":"a"},{"name":"b","dims":${deepObject(70, 'w')}}]`);
  const bigItems = JSON.stringify(Array.from({ length: 3 }, () => ({ name: 'a', dims: { pad: 'p'.repeat(BODY_LIMIT / 2) } })));
  cases.push({ category: 'batch', label: 'create batch over the body limit', method: 'POST', target: widgets, headers: JSON_TYPE, body: bigItems, chunked: true });

  // Methods the route does not allow.
  for (const method of ['PUT', 'OPTIONS', 'TRACE']) cases.push({ category: 'method', label: `${method} collection`, method, target: widgets });
  for (const method of ['PUT', 'POST', 'OPTIONS', 'TRACE']) cases.push({ category: 'method', label: `${method} item`, method, target: item, headers: JSON_TYPE, body: '{}' });
  cases.push({ category: 'method', label: 'GET command', method: 'GET', target: `${item}/commands/x` });
  cases.push({ category: 'method', label: 'PUT port', method: 'PUT', target: `${item}/ports/x` });

  // Preconditions that are not ETags.
  for (const value of ['3', 'abc', '"x"', `"${'9'.repeat(30)}"`, 'W/', '"1", "2"']) {
    cases.push({ category: 'bad-header', label: `If-Match ${value.slice(0, 20)}`, method: 'PATCH', target: item, headers: { ...JSON_TYPE, 'if-match': value }, body: '{"qty":3}' });
    cases.push({ category: 'bad-header', label: `DELETE If-Match ${value.slice(0, 20)}`, method: 'DELETE', target: item, headers: { 'if-match': value } });
  }

  // Long URLs and headers the host still parses (under node's 16 KiB header limit).
  cases.push({ category: 'long-url', label: 'long query 12k', method: 'GET', target: `${widgets}?name=${'a'.repeat(12_000)}&nope=1` });
  cases.push({ category: 'long-url', label: 'many params', method: 'GET', target: `${widgets}?${Array.from({ length: 1_500 }, (_, i) => `p${i}=1`).join('&')}` });
  cases.push({ category: 'long-url', label: 'long id 12k', method: 'DELETE', target: `${widgets}/${'z'.repeat(12_000)}` });
  cases.push({ category: 'long-header', label: 'long If-Match 10k', method: 'PATCH', target: item, headers: { ...JSON_TYPE, 'if-match': `"${'1'.repeat(10_000)}"` }, body: '{}' });
  cases.push({ category: 'long-header', label: 'long content-type', method: 'POST', target: widgets, headers: { 'content-type': `text/${'x'.repeat(10_000)}` }, body: '{}' });

  // Requests node's HTTP parser refuses before the host sees them: the host must still answer with a JSON 4xx.
  cases.push({ category: 'transport', label: 'URL over 16 KiB', method: 'GET', target: `${widgets}?name=${'a'.repeat(20_000)}` });
  cases.push({ category: 'transport', label: 'header over 16 KiB', method: 'GET', target: widgets, headers: { 'x-big': 'b'.repeat(20_000) } });
  cases.push({ category: 'transport', label: 'unknown method', method: 'BREW', target: widgets });
  cases.push({ category: 'transport', label: 'CONNECT', method: 'CONNECT', target: '', rawHead: Buffer.from('CONNECT 127.0.0.1:22 HTTP/1.1\r\nhost: 127.0.0.1:22\r\n\r\n') });
  cases.push({ category: 'transport', label: 'CONNECT to the API', method: 'CONNECT', target: '', rawHead: Buffer.from(`CONNECT ${widgets} HTTP/1.1\r\nhost: x\r\n\r\n`) });
  cases.push({ category: 'transport', label: 'space in path', method: 'GET', target: '', rawHead: Buffer.from(`GET ${widgets}/a b HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`) });
  cases.push({ category: 'transport', label: 'NUL in path', method: 'GET', target: '', rawHead: Buffer.from(`GET ${widgets}/a\0b HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`, 'latin1') });
  cases.push({ category: 'transport', label: 'bad header line', method: 'GET', target: '', rawHead: Buffer.from(`GET ${widgets} HTTP/1.1\r\nhost: x\r\nno colon here\r\n\r\n`) });
  cases.push({ category: 'transport', label: 'bad chunk size', method: 'POST', target: '', rawHead: Buffer.from(`POST ${widgets} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`) });
  cases.push({ category: 'transport', label: 'both length and chunked', method: 'POST', target: '', rawHead: Buffer.from(`POST ${widgets} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`) });
  return cases;
}

describe('hostile input to the generated API', () => {
  const host = withHost(async ({ workDir }) => ({
    remotes: [await localModelsRemote(workDir, models)],
    env: { BODY_LIMIT_BYTES: String(BODY_LIMIT), MAX_PAGE_SIZE: '1000', BATCH_MAX_ITEMS: String(BATCH_MAX) },
  }));

  it('answers every hostile request with a JSON 4xx, stays up, and keeps exactly the valid writes', { timeout: 300_000 }, async (t) => {
    const rand = prng(0x5eed1234);
    const widgets = `${host.url}${PREFIX}/widgets`;
    const bags = `${host.url}${PREFIX}/bags`;
    // What the valid writes left, by id: the host's own answers.
    const expected = new Map<string, Record<string, unknown>>();
    const expectedBags = new Map<string, Record<string, unknown>>();
    let validCount = 0;

    const validWrite = async () => {
      validCount++;
      const ids = [...expected.keys()];
      if (ids.length > 0 && rand() < 0.4) {
        const id = ids[Math.floor(rand() * ids.length)]!;
        const patch = validWidget(rand, validCount);
        const answer = await host.request(`${widgets}/${id}`, { method: 'PATCH', body: patch });
        assert.equal(answer.status, 200, `valid patch: ${JSON.stringify(answer.body)}`);
        assert.deepEqual(pick(answer.body, Object.keys(patch)), patch);
        expected.set(id, answer.body);
      } else if (rand() < 0.15) {
        // A valid batch: every widget created, as a single create would.
        const bodies = Array.from({ length: 2 + Math.floor(rand() * 3) }, (_, i) => validWidget(rand, validCount * 10 + i));
        const answer = await host.request(widgets, { method: 'POST', body: bodies });
        assert.equal(answer.status, 201, `valid batch: ${JSON.stringify(answer.body)}`);
        for (const [i, result] of (answer.body.results as Array<{ status: number; record: Record<string, unknown> & { id: string } }>).entries()) {
          assert.equal(result.status, 201);
          assert.deepEqual(pick(result.record, Object.keys(bodies[i]!)), bodies[i]);
          expected.set(result.record.id, result.record);
        }
      } else if (rand() < 0.8) {
        const body = validWidget(rand, validCount);
        const answer = await host.request(widgets, { method: 'POST', body });
        assert.equal(answer.status, 201, `valid create: ${JSON.stringify(answer.body)}`);
        assert.deepEqual(pick(answer.body, Object.keys(body)), body);
        expected.set(answer.body.id, answer.body);
      } else {
        const body = { label: `bag${validCount}`, nested: { n: validCount, list: [1, 'two', { three: 3 }] } };
        const answer = await host.request(bags, { method: 'POST', body });
        assert.equal(answer.status, 201, `valid bag: ${JSON.stringify(answer.body)}`);
        expectedBags.set(answer.body.id, answer.body);
      }
    };

    for (let i = 0; i < 3; i++) await validWrite();
    const seedBag = await host.request(bags, { method: 'POST', body: { label: 'seed' } });
    expectedBags.set(seedBag.body.id, seedBag.body);
    const anchor = [...expected.keys()][0]!;
    const cases = hostileCases(rand, anchor, seedBag.body.id);
    // Shuffle (Fisher-Yates, seeded) so hostile kinds and valid writes interleave.
    for (let i = cases.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [cases[i], cases[j]] = [cases[j]!, cases[i]!];
    }
    assert.ok(cases.length >= 500, `only ${cases.length} hostile cases`);

    const failures: string[] = [];
    const byCategory = new Map<string, number>();
    for (const c of cases) {
      byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + 1);
      if (rand() < 0.25) await validWrite();
      const body = c.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body);
      const sent = c.chunked ? chunkedBody(body) : body;
      let answer: RawAnswer;
      try {
        answer = await raw(host.port, c.rawHead ?? buildHead(c, body), c.rawHead ? undefined : sent, c.method === 'HEAD');
      } catch (error) {
        failures.push(`[${c.category}] ${c.label}: ${(error as Error).message}`);
        continue;
      }
      const problem = judge(c, answer);
      if (problem) failures.push(`[${c.category}] ${c.label}: ${problem}`);
    }

    // The suite's tally, in the test output: what was tried and how much of it was refused as it should be.
    t.diagnostic(`hostile requests tried: ${cases.length}, refused correctly: ${cases.length - failures.length} (${[...byCategory].map(([k, v]) => `${k}: ${v}`).join(', ')})`);
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} hostile requests were mishandled (${[...byCategory].map(([k, v]) => `${k}: ${v}`).join(', ')}; ${validCount} valid writes)`);

    // The host is up, and new records are plain: nothing reached a shared prototype.
    assert.equal((await host.request(`${host.url}/microlib/health`)).status, 200);
    const fresh = await host.request(bags, { method: 'POST', body: { label: 'after' } });
    assert.equal(fresh.status, 201);
    assert.deepEqual(Object.keys(fresh.body).sort(), ['createdAt', 'id', 'label', 'revision', 'updatedAt']);
    expectedBags.set(fresh.body.id, fresh.body);
    const freshWidget = await host.request(widgets, { method: 'POST', body: { name: 'after' } });
    assert.equal(freshWidget.status, 201, JSON.stringify(freshWidget.body));
    assert.equal(freshWidget.body.polluted, undefined);
    expected.set(freshWidget.body.id, freshWidget.body);

    // Stored data is exactly what the valid writes made.
    for (const [url, want] of [[widgets, expected], [bags, expectedBags]] as const) {
      const list = await host.request(`${url}?limit=1000&count`);
      assert.equal(list.status, 200);
      assert.equal(list.body.total, want.size, `${url}: ${list.body.total} stored, ${want.size} written`);
      const got = new Map<string, unknown>((list.body.data as Array<{ id: string }>).map((r) => [r.id, r]));
      assert.deepEqual(got, want);
      assert.ok(!JSON.stringify(list.body).includes('polluted'), 'a hostile key was stored');
    }

    // The operators a list takes answer 200 with exactly the records they describe.
    const widgetsNow = [...expected.values()] as Widget[];
    for (const [query, matches] of VALID_OPERATOR_QUERIES) {
      const list = await host.request(`${widgets}?${query}&limit=1000&count`);
      assert.equal(list.status, 200, `${query}: ${JSON.stringify(list.body)}`);
      assert.deepEqual((list.body.data as Widget[]).map((w) => w.id), widgetsNow.filter(matches).map((w) => w.id), query);
    }
    for (const query of ['qty[$gt]=1', 'name[$ne]=x', '$or[0][name]=a', 'label[$prefix]=bag']) {
      assert.equal((await host.request(`${bags}?${query}`)).status, 200, `bags ${query}`);
    }
  });
});

/** Widgets as the valid writes left them: what an operator query must list. */
type Widget = { id: string; qty?: number; active?: boolean; dims?: unknown; color?: string; due?: string; name: string };

/**
 * Queries with the operators a list takes, and the widgets each must list (in creation order):
 * valid, so 200, and the same records a plain reading of the operator gives.
 */
const VALID_OPERATOR_QUERIES: Array<[query: string, matches: (w: Widget) => boolean]> = [
  ['qty[$gt]=500', (w) => typeof w.qty === 'number' && w.qty > 500],
  ['qty[$gte]=100&qty[$lt]=300', (w) => typeof w.qty === 'number' && w.qty >= 100 && w.qty < 300],
  ['qty[$in]=1,2,3&qty[$in]=999', (w) => [1, 2, 3, 999].includes(w.qty as number)],
  ['qty[$exists]=false', (w) => w.qty === undefined],
  ['name[$gt]=w5', (w) => w.name > 'w5'],
  ['name[$ne]=x', () => true],
  ['name[$prefix]=w1', (w) => w.name.startsWith('w1')],
  ['active[$ne]=true', (w) => w.active !== true],
  ['color[$nin]=red,green', (w) => w.color !== 'red' && w.color !== 'green'],
  ['dims[$exists]=true', (w) => w.dims !== undefined],
  ['due[$lt]=2021-06-01T00:00:00%2B02:00', (w) => w.due !== undefined && Date.parse(w.due) < Date.parse('2021-06-01T00:00:00+02:00')],
  ['$or[0][name]=after&$or[1][qty][$lte]=10&$or[1][active]=false', (w) => w.name === 'after' || (typeof w.qty === 'number' && w.qty <= 10 && w.active === false)],
];

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}

/** Why an answer to a hostile request is wrong, or undefined when it is right. */
function judge(c: HostileCase, answer: RawAnswer): string | undefined {
  const excerpt = answer.body.slice(0, 160);
  if (c.refusedItems !== undefined) return judgeRefusedBatch(c.refusedItems, answer, excerpt);
  if (answer.status < 400 || answer.status > 499) return `status ${answer.status}: ${excerpt}`;
  if (c.method === 'HEAD') return undefined;
  if (!/^application\/json\b/.test(answer.headers['content-type'] ?? '')) return `status ${answer.status} with content-type ${answer.headers['content-type'] ?? 'none'}: ${excerpt}`;
  let parsed: { error?: { code?: unknown; message?: unknown } };
  try {
    parsed = JSON.parse(answer.body) as typeof parsed;
  } catch {
    return `status ${answer.status}, body is not JSON: ${excerpt}`;
  }
  if (typeof parsed.error?.code !== 'string' || typeof parsed.error.message !== 'string') return `status ${answer.status}, no { error: { code, message } }: ${excerpt}`;
  return undefined;
}

/** A batch of hostile items: 207, one result per item in order, each a 4xx JSON error, none stored. */
function judgeRefusedBatch(items: number, answer: RawAnswer, excerpt: string): string | undefined {
  if (answer.status !== 207) return `status ${answer.status} for a batch of hostile items: ${excerpt}`;
  let parsed: { results?: Array<{ index?: unknown; status?: unknown; error?: { code?: unknown; message?: unknown } }>; succeeded?: unknown; failed?: unknown };
  try {
    parsed = JSON.parse(answer.body) as typeof parsed;
  } catch {
    return `status 207, body is not JSON: ${excerpt}`;
  }
  const results = parsed.results ?? [];
  if (results.length !== items || parsed.succeeded !== 0 || parsed.failed !== items) return `${results.length} results, ${String(parsed.succeeded)} succeeded, for ${items} hostile items: ${excerpt}`;
  for (const [i, result] of results.entries()) {
    const status = Number(result.status);
    if (result.index !== i || status < 400 || status > 499) return `item ${i} answered ${String(result.status)} at index ${String(result.index)}: ${excerpt}`;
    if (typeof result.error?.code !== 'string' || typeof result.error.message !== 'string') return `item ${i} has no { error: { code, message } }: ${excerpt}`;
  }
  return undefined;
}
