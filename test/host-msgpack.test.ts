// Content negotiation on the generated API: MessagePack bodies and answers beside JSON,
// Accept with q-values and 406, hostile MessagePack bodies refused with the host still up,
// and bigint / decimal / date fields kept exactly through both formats on memory and file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decode, encode, ExtData } from '@msgpack/msgpack';
import { localModelsRemote } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';

const ledgerFields = `{
  name: { type: 'string' },
  amount: { type: 'bigint' },
  price: { type: 'decimal' },
  due: { type: 'date' },
}`;
// Both run in a worker thread (the default isolation): `doubled` comes back from there as a BigInt.
const models = `[
  { modelName: 'ledger', endpoint: 'ledgers', datasource: 'memory', fields: { ...${ledgerFields}, doubled: { type: 'bigint' } },
    factory: () => (x) => ({ ...x, ...(x.name === 'double' ? { doubled: BigInt(x.amount) * 2n } : {}) }) },
  { modelName: 'fileLedger', endpoint: 'file-ledgers', datasource: 'file', fields: ${ledgerFields}, factory: () => (x) => ({ ...x }) },
  { modelName: 'note', endpoint: 'notes', datasource: 'memory', factory: () => (x) => ({ ...x }) },
]`;

const MSGPACK = 'application/msgpack';
const unpack = (raw: Buffer) => decode(raw, { useBigInt64: true }) as any;
const pack = (value: unknown) => Buffer.from(encode(value, { useBigInt64: true }));

describe('MessagePack on the generated API', () => {
  let running: InProcessHost;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-msgpack-'));
    running = await startInProcessHost({ remotes: [await localModelsRemote(dir, models)], env: { BODY_LIMIT_BYTES: '4096' } });
  });
  after(async () => {
    await running?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const api = '/microlib/api/models';
  const post = (endpoint: string, body: Buffer, headers: Record<string, string> = {}) =>
    running.inject({ method: 'POST', url: `${api}/${endpoint}`, headers: { 'content-type': MSGPACK, accept: MSGPACK, ...headers }, body });

  it('creates, reads and lists records in MessagePack, with the same ETag and version headers as JSON', async () => {
    const created = await post('notes', pack({ title: 'binary', tags: ['a', 'b'], n: 1.5 }));
    assert.equal(created.status, 201, created.body);
    assert.equal(created.headers['content-type'], MSGPACK);
    const record = unpack(created.raw);
    assert.equal(record.title, 'binary');
    assert.deepEqual(record.tags, ['a', 'b']);
    assert.equal(created.headers.etag, `"${record.revision}"`);
    assert.equal(created.headers.location, `${api}/notes/${record.id}`);

    const read = await running.inject({ url: `${api}/notes/${record.id}`, headers: { accept: MSGPACK } });
    assert.equal(read.status, 200);
    assert.deepEqual(unpack(read.raw), record);
    const asJson = await running.inject(`${api}/notes/${record.id}`);
    assert.equal(asJson.headers['content-type'], 'application/json; charset=utf-8', 'no Accept: JSON, as before');
    assert.deepEqual(asJson.json(), record);
    for (const name of ['etag', 'x-microlib-version']) assert.equal(read.headers[name], asJson.headers[name], name);
    assert.equal(read.headers.vary, 'accept', 'caches keep the two formats apart');

    const list = await running.inject({ url: `${api}/notes?count`, headers: { accept: 'application/x-msgpack' } });
    assert.equal(list.status, 200);
    const page = unpack(list.raw);
    assert.equal(page.total, 1);
    assert.deepEqual(page.data, [record]);

    const patched = await running.inject({ method: 'PATCH', url: `${api}/notes/${record.id}`, headers: { 'content-type': 'application/vnd.msgpack', accept: MSGPACK, 'if-match': `"${record.revision}"` }, body: pack({ title: 'changed' }) });
    assert.equal(patched.status, 200, patched.body);
    assert.equal(unpack(patched.raw).title, 'changed');
  });

  it('answers as Accept asks: q-values, JSON for */* and on a tie, and 406 (in JSON) before doing anything', async () => {
    const created = await post('notes', pack({ title: 'negotiated' }), { accept: 'application/json;q=0.5, application/msgpack' });
    assert.equal(created.headers['content-type'], MSGPACK);
    const id = unpack(created.raw).id;
    const cases: Array<[string, string]> = [
      ['*/*', 'application/json; charset=utf-8'],
      ['application/msgpack, application/json', 'application/json; charset=utf-8'],
      ['application/msgpack, */*;q=0.1', MSGPACK],
      ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'application/json; charset=utf-8'],
    ];
    for (const [accept, type] of cases) {
      const read = await running.inject({ url: `${api}/notes/${id}`, headers: { accept } });
      assert.equal(read.headers['content-type'], type, accept);
    }
    const before = (await running.inject(`${api}/notes?count`)).json<{ total: number }>().total;
    const refused = await running.inject({ method: 'POST', url: `${api}/notes`, headers: { accept: 'text/html, application/msgpack;q=0' }, body: { title: 'never' } });
    assert.equal(refused.status, 406);
    const error = refused.json<{ error: { code: string; message: string; field: string } }>().error;
    assert.equal(error.code, 'MLB_ERR_NOT_ACCEPTABLE');
    assert.match(error.message, /application\/json, application\/msgpack/);
    assert.equal((await running.inject(`${api}/notes?count`)).json<{ total: number }>().total, before, 'nothing was created');
  });

  it('takes batch creates, patches and deletes in MessagePack and answers them in the negotiated format', async () => {
    const max = 2n ** 63n - 1n;
    const created = await post('ledgers', pack([{ name: 'one', amount: max }, { name: 'two', amount: 7n, due: new Date(Date.UTC(2024, 0, 2)) }]));
    assert.equal(created.status, 201, created.body);
    assert.equal(created.headers['content-type'], MSGPACK);
    assert.equal(created.headers.vary, 'accept');
    const batch = unpack(created.raw);
    assert.equal(batch.succeeded, 2);
    assert.deepEqual(batch.results.map((r: any) => [r.index, r.status, r.record.name]), [[0, 201, 'one'], [1, 201, 'two']]);
    assert.equal(batch.results[0].record.amount, max, 'a bigint field comes back as a 64-bit integer');
    const [one, two] = batch.results.map((r: any) => r.record);

    const patchedAsJson = await running.inject({
      method: 'PATCH',
      url: `${api}/ledgers`,
      headers: { 'content-type': MSGPACK, accept: 'application/json' },
      body: pack([{ id: one.id, ifMatch: one.revision, name: 'uno' }, { id: two.id, ifMatch: 99, name: 'stale' }]),
    });
    assert.equal(patchedAsJson.status, 207, patchedAsJson.body);
    const patched = patchedAsJson.json<any>();
    assert.deepEqual(patched.results.map((r: any) => [r.index, r.status, r.id]), [[0, 200, one.id], [1, 412, two.id]]);
    assert.equal(patched.results[0].record.amount, max.toString(), 'JSON carries a bigint field as its text');

    const deletions = pack([{ id: one.id }, { id: two.id }]);
    // Node frames a DELETE body only with a length given.
    const deleted = await running.inject({ method: 'DELETE', url: `${api}/ledgers`, headers: { 'content-type': MSGPACK, accept: MSGPACK, 'content-length': String(deletions.length) }, body: deletions });
    assert.equal(deleted.status, 200, deleted.body);
    assert.deepEqual(unpack(deleted.raw).results.map((r: any) => [r.status, r.id]), [[204, one.id], [204, two.id]]);

    const notAnArray = await running.inject({ method: 'PATCH', url: `${api}/ledgers`, headers: { 'content-type': MSGPACK, accept: MSGPACK }, body: pack({ id: one.id }) });
    assert.equal(notAnArray.status, 400);
    assert.match(unpack(notAnArray.raw).error.message, /must be a MessagePack array/);
  });

  it('answers errors in the negotiated format', async () => {
    const missing = await running.inject({ url: `${api}/notes/nope`, headers: { accept: MSGPACK } });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['content-type'], MSGPACK);
    assert.equal(unpack(missing.raw).error.code, 'MLB_ERR_NOT_FOUND');
    const badType = await running.inject({ method: 'POST', url: `${api}/notes`, headers: { 'content-type': 'application/cbor' }, body: 'x' });
    assert.equal(badType.status, 415);
    assert.match(badType.json<{ error: { message: string } }>().error.message, /application\/json or application\/msgpack/);
  });

  it('refuses hostile MessagePack bodies with a 4xx naming the problem, and stays up', async () => {
    const deep = Buffer.concat([Buffer.from([0x81, 0xa1, 0x61]), Buffer.alloc(200, 0x91), Buffer.from([0xc0])]);
    const lying = Buffer.from([0x81, 0xa1, 0x61, 0xdd, 0xff, 0xff, 0xff, 0xff]);
    const cases: Array<[string, Buffer, number, string, RegExp]> = [
      ['deep nesting', deep, 400, 'MLB_ERR_BAD_JSON', /deeper than 64/],
      ['a __proto__ key', pack(JSON.parse('{"__proto__": {"admin": true}}')), 400, 'MLB_ERR_VALIDATION', /__proto__/],
      ['a constructor key', pack({ a: { constructor: { prototype: 1 } } }), 400, 'MLB_ERR_VALIDATION', /constructor/],
      ['binary data', pack({ title: new Uint8Array(16) }), 400, 'MLB_ERR_BAD_JSON', /binary data .* at "title"/],
      ['an extension type', pack({ title: new ExtData(42, new Uint8Array(4)) }), 400, 'MLB_ERR_BAD_JSON', /extension type 42/],
      ['a timestamp in a free-form model', pack({ when: new Date() }), 400, 'MLB_ERR_VALIDATION', /only a date field/],
      ['a 64-bit integer in a free-form model', pack({ n: 2n ** 62n }), 400, 'MLB_ERR_VALIDATION', /only a bigint field/],
      ['a map announcing 4 billion items', lying, 400, 'MLB_ERR_BAD_JSON', /announces 4294967295 items/],
      ['a string at the top', pack('text'), 400, 'MLB_ERR_BAD_JSON', /must be a MessagePack map \(an object\) or an array of them/],
      ['a 64-bit integer in a batch item', pack([{ title: 'ok' }, { n: 2n ** 62n }]), 400, 'MLB_ERR_VALIDATION', /"\[1\]\.n" holds a 64-bit integer/],
      ['garbage', Buffer.from('{"title":"json"}'), 400, 'MLB_ERR_BAD_JSON', /MessagePack/],
      ['a body over BODY_LIMIT_BYTES', pack({ title: 'x'.repeat(5000) }), 413, 'MLB_ERR_PAYLOAD_TOO_LARGE', /exceeds 4096 bytes/],
    ];
    for (const [what, body, status, code, message] of cases) {
      const answer = await post('notes', body, { accept: 'application/json' });
      assert.equal(answer.status, status, `${what}: ${answer.body}`);
      const error = answer.json<{ error: { code: string; message: string } }>().error;
      assert.equal(error.code, code, what);
      assert.match(error.message, message, what);
    }
    const still = await post('notes', pack({ title: 'still up' }));
    assert.equal(still.status, 201);
  });

  for (const endpoint of ['ledgers', 'file-ledgers']) {
    it(`keeps bigint, decimal and date values exact through JSON and MessagePack (${endpoint})`, async () => {
      const max = 2n ** 63n - 1n;
      // In MessagePack: an int64, a decimal string, a timestamp.
      const viaPack = await post(endpoint, pack({ name: 'packed', amount: max, price: '0.10000000000000000001', due: new Date(Date.UTC(2024, 4, 1, 12)) }));
      assert.equal(viaPack.status, 201, viaPack.body);
      const packed = unpack(viaPack.raw);
      assert.equal(packed.amount, max, 'an int64 back in MessagePack');
      assert.equal(typeof packed.amount, 'bigint');
      assert.equal(packed.price, '0.10000000000000000001');
      assert.equal(packed.due, '2024-05-01T12:00:00.000Z', 'a timestamp is stored (and sent) as its ISO text');
      const json = (await running.inject(`${api}/${endpoint}/${packed.id}`)).json<Record<string, unknown>>();
      assert.equal(json.amount, '9223372036854775807', 'the same value as a string in JSON');
      assert.equal(json.price, '0.10000000000000000001');

      // In JSON: a string beyond 2^53, which a JSON number would round.
      const viaJson = await running.inject({ method: 'POST', url: `${api}/${endpoint}`, body: { name: 'json', amount: '-9007199254740993', price: '-12.50', due: '2024-05-01T14:00:00+02:00' } });
      assert.equal(viaJson.status, 201, viaJson.body);
      const id = viaJson.json<{ id: string }>().id;
      const read = unpack((await running.inject({ url: `${api}/${endpoint}/${id}`, headers: { accept: MSGPACK } })).raw);
      assert.equal(read.amount, -9007199254740993n);
      assert.equal(read.price, '-12.50', 'a decimal keeps its scale');
      assert.equal(read.due, '2024-05-01T14:00:00+02:00', 'a date string is kept as written');

      // The same value filters the same way in both spellings.
      const found = await running.inject({ url: `${api}/${endpoint}?amount[$in]=-9007199254740993,1`, headers: { accept: MSGPACK } });
      assert.deepEqual(unpack(found.raw).data.map((r: { id: string }) => r.id), [id]);
      const sorted = await running.inject(`${api}/${endpoint}?sort=amount`);
      assert.equal(sorted.status, 400, 'text does not sort by value');

      // Values a bigint or decimal field cannot hold are refused, naming the field.
      for (const [body, field] of [
        [{ amount: 9007199254740993 }, 'amount'],
        [{ amount: '9223372036854775808' }, 'amount'],
        [{ price: 0.1 }, 'price'],
        [{ price: '1e5' }, 'price'],
      ] as const) {
        const bad = await running.inject({ method: 'POST', url: `${api}/${endpoint}`, body });
        assert.equal(bad.status, 400, JSON.stringify(body));
        assert.equal(bad.json<{ error: { field: string } }>().error.field, field);
      }
      const tooBig = await post(endpoint, pack({ amount: 2n ** 63n }));
      assert.equal(tooBig.status, 400, 'a uint64 beyond int64');
      assert.equal(unpack(tooBig.raw).error.field, 'amount');
    });
  }

  it('stores the canonical text on the file datasource', async () => {
    const created = await post('file-ledgers', pack({ name: 'on disk', amount: 2n ** 62n, price: '3.14' }));
    assert.equal(created.status, 201, created.body);
    const dataDir = running.dataDir;
    const files = await readdir(dataDir, { recursive: true });
    const texts = await Promise.all(files.filter((f) => f.endsWith('.jsonl') || f.endsWith('.log') || f.endsWith('.ndjson')).map((f) => readFile(path.join(dataDir, f), 'utf8')));
    assert.ok(texts.some((text) => text.includes('"amount":"4611686018427387904"') && text.includes('"price":"3.14"')), `no canonical record in ${files.join(', ')}`);
  });

  it("stores a BigInt model code returns from a worker thread as a bigint field's text", async () => {
    const created = await running.inject({ method: 'POST', url: `${api}/ledgers`, body: { name: 'double', amount: '1234567890123456789' } });
    assert.equal(created.status, 201, created.body);
    assert.equal(created.json<{ doubled: string }>().doubled, '2469135780246913578', 'crossed the thread boundary as a BigInt, stored as its text');
    const overflow = await running.inject({ method: 'POST', url: `${api}/ledgers`, body: { name: 'double', amount: '4611686018427387904' } });
    assert.equal(overflow.status, 400, 'twice that is beyond 64 bits');
    assert.equal(overflow.json<{ error: { field: string } }>().error.field, 'doubled');
  });

  it('lists application/msgpack in the OpenAPI document', async () => {
    const document = (await running.inject('/microlib/api/openapi.json')).json<any>();
    const create = document.paths[`${api}/ledgers`].post;
    assert.deepEqual(Object.keys(create.requestBody.content), ['application/json', MSGPACK]);
    assert.deepEqual(Object.keys(create.responses['201'].content), ['application/json', MSGPACK]);
    assert.ok(create.responses['406'], 'every route may answer 406');
    assert.equal(document.components.schemas.LedgerCreate.properties.amount.type, 'string');
    assert.equal(document.components.schemas.LedgerCreate.properties.amount.format, 'int64');
  });
});
