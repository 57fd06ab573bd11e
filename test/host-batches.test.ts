// Batches on the generated API: POST with an array creates, PATCH with an array
// patches, DELETE with ?ids= or an array deletes. Each item succeeds or fails on its
// own, with the status and error it would have had alone, and the answer lists every
// item's outcome in order (201/200 when all succeeded, else 207).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { localModelsRemote } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';
import { startTokenIssuer, type TokenIssuer } from './support/token-issuer.js';
import type { DomainEvent } from '../src/domain/events/index.js';

const API = '/microlib/api/models';

// `item` refuses the name "forbidden" in validate and refuses deleting a record named "keep".
const models = `[
  { modelName: 'item', endpoint: 'items', datasource: 'file',
    factory: () => (x) => ({ ...x }),
    fields: { name: { type: 'string', required: true, maxLength: 20 }, qty: { type: 'integer', minimum: 0 }, secret: { type: 'string', sensitive: true } },
    validate: (record) => { if (record.name === 'forbidden') throw new Error('name "forbidden" is refused'); },
    onDelete: (record) => { if (record.name === 'keep') throw new Error('this one stays'); } },
  { modelName: 'note', endpoint: 'notes', datasource: 'memory', factory: () => (x) => ({ ...x }),
    access: { read: [], create: [], update: [], delete: [], owner: true } },
]`;

interface Result {
  index: number;
  status: number;
  id?: string;
  record?: Record<string, unknown> & { id: string; revision: number };
  error?: { code: string; message: string; field?: string };
}
interface BatchAnswer {
  results: Result[];
  succeeded: number;
  failed: number;
}

/** The status, code and field of each result: what a client branches on. */
const outline = (results: Result[]) => results.map((r) => [r.index, r.status, r.error?.code ?? null, r.error?.field ?? null]);

describe('batches on the generated API', () => {
  let running: InProcessHost;
  let workDir: string;
  const events: DomainEvent[] = [];
  const send = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    // node's client sends no Content-Length for a DELETE body of its own accord.
    const text = body === undefined ? undefined : JSON.stringify(body);
    const sent = text === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
    const answer = await running.inject({ method, url, headers: sent, ...(text === undefined ? {} : { body: text }) });
    return { status: answer.status, headers: answer.headers, body: answer.body === '' ? undefined : (answer.json() as Record<string, any>) };
  };
  const stored = async (endpoint = 'items') => ((await send('GET', `${API}/${endpoint}?limit=100&count`)).body as { data: Array<Record<string, any>>; total: number });

  before(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'microlib-batches-'));
    running = await startInProcessHost({
      remotes: [await localModelsRemote(workDir, models)],
      env: { BATCH_MAX_ITEMS: '8', ENCRYPTION_PWD: 'a long enough test password' },
    });
    running.host.events.subscribe('item*', (event) => void events.push(event));
  });
  after(async () => {
    await running?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('creates every valid item of an array and answers each item in order, with 207 when some fail', async () => {
    events.length = 0;
    const answer = await send('POST', `${API}/items`, [
      { name: 'one', qty: 1 },
      { name: 5 },
      { qty: 2 },
      'not an object',
      { id: 'fixed', name: 'two', secret: 's3cret' },
      { id: 'fixed', name: 'again' },
      { name: 'forbidden' },
      { name: 'three', id: 'bad id' },
    ]);
    assert.equal(answer.status, 207);
    const { results, succeeded, failed } = answer.body as BatchAnswer;
    assert.deepEqual(outline(results), [
      [0, 201, null, null],
      [1, 400, 'MLB_ERR_VALIDATION', 'name'],
      [2, 400, 'MLB_ERR_VALIDATION', 'name'],
      [3, 400, 'MLB_ERR_VALIDATION', null],
      [4, 201, null, null],
      [5, 409, 'MLB_ERR_CONFLICT', 'id'],
      [6, 400, 'MLB_ERR_VALIDATION', null],
      [7, 400, 'MLB_ERR_VALIDATION', 'id'],
    ]);
    assert.deepEqual([succeeded, failed], [2, 6]);
    assert.match(results[5]!.error!.message, /item 4 of this batch/);
    assert.match(results[6]!.error!.message, /"forbidden" is refused/);
    const [first, fixed] = [results[0]!.record!, results[4]!.record!];
    assert.equal(first.name, 'one');
    assert.equal(first.revision, 1);
    assert.equal(fixed.id, 'fixed');
    assert.notEqual(fixed.secret, 's3cret', 'a sensitive field is stored and answered encrypted, as on a single create');

    // Exactly the created items are stored, as answered, in the order of the batch.
    const { data, total } = await stored();
    assert.equal(total, 2);
    assert.deepEqual(data, [first, fixed]);
    assert.deepEqual((await send('GET', `${API}/items/fixed`)).body, fixed);
    // One event per created item, nothing for the refused ones.
    assert.deepEqual(
      events.map((e) => [e.eventName, (e.data as { id: string }).id]),
      [
        ['itemCreated', first.id],
        ['itemCreated', 'fixed'],
      ],
    );
  });

  it('answers 201 when every item is created', async () => {
    const answer = await send('POST', `${API}/items`, [{ name: 'a1' }, { name: 'a2', qty: 3 }]);
    assert.equal(answer.status, 201);
    const body = answer.body as BatchAnswer;
    assert.deepEqual(outline(body.results), [
      [0, 201, null, null],
      [1, 201, null, null],
    ]);
    assert.deepEqual([body.succeeded, body.failed], [2, 0]);
    assert.equal(answer.headers.location, undefined, 'no Location for many records');
    for (const result of body.results) assert.deepEqual((await send('GET', `${API}/items/${result.record!.id}`)).body, result.record);
  });

  it('refuses a batch over BATCH_MAX_ITEMS (413 naming the limit) or an empty one (400), storing nothing', async () => {
    const before = (await stored()).total;
    const over = await send('POST', `${API}/items`, Array.from({ length: 9 }, (_, i) => ({ name: `n${i}` })));
    assert.equal(over.status, 413);
    assert.equal(over.body!.error.code, 'MLB_ERR_PAYLOAD_TOO_LARGE');
    assert.match(over.body!.error.message, /at most 8 items \(BATCH_MAX_ITEMS\); this one has 9/);
    const empty = await send('POST', `${API}/items`, []);
    assert.equal(empty.status, 400);
    assert.equal(empty.body!.error.code, 'MLB_ERR_VALIDATION');
    const patchOver = await send('PATCH', `${API}/items`, Array.from({ length: 9 }, (_, i) => ({ id: `x${i}`, qty: 1 })));
    assert.equal(patchOver.status, 413);
    const deleteOver = await send('DELETE', `${API}/items?ids=${Array.from({ length: 9 }, (_, i) => `x${i}`).join(',')}`);
    assert.equal(deleteOver.status, 413);
    assert.equal((await stored()).total, before);
  });

  it('patches each item with its own If-Match: a stale one fails alone with 412', async () => {
    const created = ((await send('POST', `${API}/items`, [{ name: 'pa' }, { name: 'pb' }, { name: 'pc' }, { name: 'pd' }])).body as BatchAnswer).results.map((r) => r.record!);
    const [a, b, c, d] = created as [Result['record'] & object, Result['record'] & object, Result['record'] & object, Result['record'] & object];
    // b moves on to revision 2, so an item expecting revision 1 of it is stale.
    assert.equal((await send('PATCH', `${API}/items/${b.id}`, { qty: 1 })).status, 200);
    events.length = 0;
    const answer = await send('PATCH', `${API}/items`, [
      { id: a.id, qty: 5, ifMatch: 1 },
      { id: b.id, qty: 6, ifMatch: '"1"' },
      { id: 'missing', qty: 1 },
      { id: c.id, qty: -1 },
      { id: a.id, qty: 9 },
      { qty: 1 },
      { id: d.id, name: 'renamed', ifMatch: 'W/"1"' },
      { id: c.id, ifMatch: 'soon' },
    ]);
    assert.equal(answer.status, 207);
    const { results } = answer.body as BatchAnswer;
    assert.deepEqual(outline(results), [
      [0, 200, null, null],
      [1, 412, 'MLB_ERR_PRECONDITION_FAILED', 'If-Match'],
      [2, 404, 'MLB_ERR_NOT_FOUND', null],
      [3, 400, 'MLB_ERR_VALIDATION', 'qty'],
      [4, 400, 'MLB_ERR_VALIDATION', 'id'],
      [5, 400, 'MLB_ERR_VALIDATION', 'id'],
      [6, 200, null, null],
      [7, 400, 'MLB_ERR_VALIDATION', 'ifMatch'],
    ]);
    assert.deepEqual(
      results.map((r) => r.id),
      [a.id, b.id, 'missing', c.id, a.id, undefined, d.id, c.id],
      'each result names the record its item named',
    );
    assert.match(results[1]!.error!.message, /current revision 2/);
    assert.deepEqual([results[0]!.record!.qty, results[0]!.record!.revision], [5, 2]);
    assert.deepEqual([results[6]!.record!.name, results[6]!.record!.revision], ['renamed', 2]);
    // Stored: the two patched items changed, the others as they were.
    assert.deepEqual((await send('GET', `${API}/items/${a.id}`)).body, results[0]!.record);
    assert.equal((await send('GET', `${API}/items/${b.id}`)).body!.qty, 1);
    assert.deepEqual((await send('GET', `${API}/items/${c.id}`)).body, c);
    assert.deepEqual(
      events.map((e) => [e.eventName, (e.data as { id: string }).id]),
      [
        ['itemUpdated', a.id],
        ['itemUpdated', d.id],
      ],
    );

    const all = await send('PATCH', `${API}/items`, [{ id: c.id, qty: 7 }]);
    assert.equal(all.status, 200, 'every item patched: 200');
    assert.equal(((all.body as BatchAnswer).results[0]!.record!).qty, 7);
  });

  it('deletes by ?ids= or by a body of { id, ifMatch }, each item alone', async () => {
    const created = ((await send('POST', `${API}/items`, [{ name: 'da' }, { name: 'db' }, { name: 'dc' }, { name: 'keep' }])).body as BatchAnswer).results.map((r) => r.record!.id);
    const [a, b, c, keep] = created as [string, string, string, string];
    events.length = 0;
    const byQuery = await send('DELETE', `${API}/items?ids=${a},missing,${keep}`);
    assert.equal(byQuery.status, 207, JSON.stringify(byQuery.body));
    assert.deepEqual(outline((byQuery.body as BatchAnswer).results), [
      [0, 204, null, null],
      [1, 404, 'MLB_ERR_NOT_FOUND', null],
      [2, 409, 'MLB_ERR_CONFLICT', null],
    ]);
    assert.deepEqual((byQuery.body as BatchAnswer).results[0], { index: 0, status: 204, id: a });
    assert.equal((await send('GET', `${API}/items/${a}`)).status, 404);
    assert.equal((await send('GET', `${API}/items/${keep}`)).status, 200, 'the model refused that delete');

    const byBody = await send('DELETE', `${API}/items`, [{ id: b, ifMatch: 2 }, { id: c, ifMatch: 1 }, { id: b, extra: true }]);
    assert.equal(byBody.status, 207);
    assert.deepEqual(outline((byBody.body as BatchAnswer).results), [
      [0, 412, 'MLB_ERR_PRECONDITION_FAILED', 'If-Match'],
      [1, 204, null, null],
      [2, 400, 'MLB_ERR_VALIDATION', 'extra'],
    ]);
    assert.equal((await send('GET', `${API}/items/${b}`)).status, 200);
    assert.equal((await send('GET', `${API}/items/${c}`)).status, 404);
    assert.deepEqual(
      events.map((e) => [e.eventName, (e.data as { id: string }).id]),
      [
        ['itemDeleted', a],
        ['itemDeleted', c],
      ],
    );

    const allGone = await send('DELETE', `${API}/items?ids=${b}`);
    assert.equal(allGone.status, 200, 'every item deleted: 200');
    for (const [query, body, code] of [
      ['', undefined, 'MLB_ERR_VALIDATION'],
      ['?ids=', undefined, 'MLB_ERR_BAD_QUERY'],
      ['?ids=a,,b', undefined, 'MLB_ERR_BAD_QUERY'],
      ['?ids=a&ids=b', undefined, 'MLB_ERR_BAD_QUERY'],
      ['?other=1', undefined, 'MLB_ERR_BAD_QUERY'],
      [`?ids=${keep}`, [{ id: keep }], 'MLB_ERR_BAD_QUERY'],
      ['', { id: keep }, 'MLB_ERR_BAD_JSON'],
    ] as const) {
      const refused = await send('DELETE', `${API}/items${query}`, body);
      assert.equal(refused.status, 400, `${query} ${JSON.stringify(body)}`);
      assert.equal(refused.body!.error.code, code, `${query} ${JSON.stringify(body)}`);
    }
    assert.equal((await send('GET', `${API}/items/${keep}`)).status, 200);
  });

  it('lists PATCH and DELETE among the methods of a collection', async () => {
    const answer = await send('PUT', `${API}/items`, {});
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.allow, 'GET, HEAD, POST, PATCH, DELETE');
  });
});

describe('batches and the owner rule', () => {
  let running: InProcessHost;
  let workDir: string;
  let issuer: TokenIssuer;
  before(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'microlib-batches-auth-'));
    issuer = await startTokenIssuer(workDir);
    running = await startInProcessHost({ remotes: [await localModelsRemote(workDir, models)], env: { AUTH_ENABLED: 'true', AUTH_KEY_SET: issuer.keySetPath, ENCRYPTION_PWD: 'a long enough test password' } });
  });
  after(async () => {
    await running?.stop();
    await issuer?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('makes the caller the owner of each created record, and lets no one else patch or delete them', async () => {
    const ada = await issuer.headers({ sub: 'ada' });
    const bob = await issuer.headers({ sub: 'bob' });
    const send = async (method: string, url: string, headers: Record<string, string>, body?: unknown) => {
      const answer = await running.inject({ method, url, headers, ...(body === undefined ? {} : { body }) });
      return { status: answer.status, body: answer.json() as BatchAnswer & { error?: { code: string } } };
    };
    const created = await send('POST', `${API}/notes`, ada, [{ text: 'a' }, { text: 'b' }]);
    assert.equal(created.status, 201);
    const ids = created.body.results.map((r) => r.record!.id);
    assert.deepEqual(
      created.body.results.map((r) => r.record!.owner),
      ['ada', 'ada'],
    );
    const patched = await send('PATCH', `${API}/notes`, bob, [{ id: ids[0], text: 'mine now' }]);
    assert.deepEqual(outline(patched.body.results), [[0, 404, 'MLB_ERR_NOT_FOUND', null]]);
    const deleted = await send('DELETE', `${API}/notes?ids=${ids.join(',')}`, bob);
    assert.deepEqual(outline(deleted.body.results), [
      [0, 404, 'MLB_ERR_NOT_FOUND', null],
      [1, 404, 'MLB_ERR_NOT_FOUND', null],
    ]);
    const own = await send('PATCH', `${API}/notes`, ada, [{ id: ids[0], text: 'edited' }]);
    assert.equal(own.status, 200);
    assert.equal(own.body.results[0]!.record!.text, 'edited');
    const anonymous = await running.inject({ method: 'POST', url: `${API}/notes`, body: [{ text: 'x' }] });
    assert.equal(anonymous.status, 401, 'a batch needs what a single write needs');
  });
});
