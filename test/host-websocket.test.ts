// The WebSocket event stream for clients, against a host child process: subscriptions,
// filters, order of events, bad messages, and a slow client dropped instead of buffered.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import WebSocket from 'ws';
import { encode } from '@msgpack/msgpack';
import { connect } from './support/ws-client.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { withHost } from './support/with-host.js';

const models = `[
  { modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) },
  { modelName: 'ledger', endpoint: 'ledgers', datasource: 'memory', fields: { amount: { type: 'bigint' }, note: { type: 'string' } }, factory: () => (x) => ({ ...x }) },
]`;

describe('WebSocket event stream', () => {
  const host = withHost(async ({ workDir }) => ({ remotes: [await localModelsRemote(workDir, models)], env: { WS_MAX_BUFFERED_BYTES: '65536' } }));
  const api = '/microlib/api/models/things';
  const eventStream = () => connect(`ws://127.0.0.1:${host.port}/microlib/ws/events`);

  it('streams created, updated and deleted events in order, filtered by id or field values', async () => {
    const client = await eventStream();
    client.send({ type: 'subscribe', sub: 'all', model: 'thing' });
    client.send({ type: 'subscribe', sub: 'red', model: 'thing', where: { color: 'red' } });
    await client.until(2, 'subscribed');
    assert.deepEqual(client.messages.map((m) => [m.type, m.sub]), [['subscribed', 'all'], ['subscribed', 'red']]);

    const blue = (await host.request(api, { method: 'POST', body: { color: 'blue' } })).body;
    const red = (await host.request(api, { method: 'POST', body: { color: 'red' } })).body;
    client.send({ type: 'subscribe', sub: 'one', model: 'thing', id: blue.id, events: ['updated', 'deleted'] });
    await client.until(6, 'creates and the third subscription');
    await host.request(`${api}/${blue.id}`, { method: 'PATCH', body: { color: 'green' } });
    await host.request(`${api}/${red.id}`, { method: 'PATCH', body: { size: 3 } });
    await host.request(`${api}/${blue.id}`, { method: 'DELETE' });
    const all = await client.until(12, 'every event');
    const events = all.filter((m) => m.type === 'event').map((m) => `${m.sub}:${m.event.eventName}:${m.event.data.id === blue.id ? 'blue' : 'red'}`);
    assert.deepEqual(events, [
      'all:thingCreated:blue',
      'all:thingCreated:red',
      'red:thingCreated:red',
      'all:thingUpdated:blue',
      'one:thingUpdated:blue',
      'all:thingUpdated:red',
      'red:thingUpdated:red',
      'all:thingDeleted:blue',
      'one:thingDeleted:blue',
    ]);
    const updated = all.find((m) => m.type === 'event' && m.sub === 'one' && m.event.eventName === 'thingUpdated')!;
    assert.equal(updated.event.data.record.color, 'green', 'events carry the record as stored');
    assert.deepEqual(updated.event.data.changes, { color: 'green' });

    client.send({ type: 'unsubscribe', sub: 'all' });
    await client.until(13, 'unsubscribed');
    await host.request(api, { method: 'POST', body: { color: 'red' } });
    const after = await client.until(14, 'the red create');
    assert.deepEqual(after.slice(12).map((m) => [m.type, m.sub]), [['unsubscribed', 'all'], ['event', 'red']]);
    client.socket.close();
  });

  it('answers bad messages with an error naming the field, and keeps the connection', async () => {
    const client = await eventStream();
    client.send('not json');
    client.send({ type: 'subscribe', sub: 'x', model: 'nope' });
    client.send({ type: 'subscribe', model: 'thing' });
    client.send({ type: 'subscribe', sub: 'x', model: 'thing', events: ['exploded'] });
    client.send({ type: 'subscribe', sub: 'x', model: 'thing', where: { color: { $ne: 'red' } } });
    client.send({ type: 'ping' });
    const messages = await client.until(6, 'six answers');
    assert.deepEqual(messages.map((m) => [m.type, m.field ?? null]), [
      ['error', null],
      ['error', 'model'],
      ['error', 'sub'],
      ['error', 'events'],
      ['error', 'where.color'],
      ['pong', null],
    ]);
    assert.match(messages[1]!.message, /no model "nope"/);
    client.socket.close();
  });

  it('drops a client that does not read, instead of buffering its events without bound', async () => {
    const slow = await eventStream();
    slow.send({ type: 'subscribe', sub: 'all', model: 'thing' });
    await slow.until(1, 'subscribed');
    const closed = new Promise<number>((resolve) => slow.socket.once('close', (code) => resolve(code)));
    // Stop reading: the kernel buffers fill, then the host's send buffer grows.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const payload = 'x'.repeat(4_096);
    let writes = 0;
    const deadline = Date.now() + 30_000;
    while (!host.logs.some((l) => l.msg === 'slow WebSocket client dropped') && writes < 20_000 && Date.now() < deadline) {
      await Promise.all(Array.from({ length: 20 }, () => host.request(api, { method: 'POST', body: { payload } })));
      writes += 20;
    }
    const drop = host.logs.find((l) => l.msg === 'slow WebSocket client dropped');
    assert.ok(drop, `the slow client was not dropped after ${writes} writes`);
    assert.ok((drop.bufferedBytes as number) <= 65_536 + 16_384, `dropped with ${String(drop.bufferedBytes)} bytes buffered`);
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    assert.ok([1013, 1006].includes(await closed));
    assert.equal((await host.request('/microlib/health')).status, 200);
    // Others are unaffected.
    const fresh = await eventStream();
    fresh.send({ type: 'subscribe', sub: 's', model: 'thing' });
    await fresh.until(1, 'subscribed');
    fresh.socket.close();
  });

  it('sends MessagePack binary frames to a client that asks, with bigint fields as 64-bit integers', async () => {
    const byQuery = await connect(`ws://127.0.0.1:${host.port}/microlib/ws/events?format=msgpack`);
    const byProtocol = await connect(`ws://127.0.0.1:${host.port}/microlib/ws/events`, undefined, ['microlib.msgpack']);
    assert.equal(byProtocol.socket.protocol, 'microlib.msgpack');
    // A MessagePack frame from the client, and a JSON text one: both are read.
    byQuery.socket.send(encode({ type: 'subscribe', sub: 'l', model: 'ledger' }));
    byProtocol.send({ type: 'subscribe', sub: 'l', model: 'ledger', events: ['created'] });
    await byQuery.until(1, 'subscribed by a binary frame');
    await byProtocol.until(1, 'subscribed by a text frame');
    const created = await host.request('/microlib/api/models/ledgers', { method: 'POST', body: { amount: '-9223372036854775808', note: 'min' } });
    assert.equal(created.status, 201);
    for (const client of [byQuery, byProtocol]) {
      const [subscribed, event] = await client.until(2, 'the created event');
      assert.deepEqual(client.binary, [true, true], 'binary frames only');
      assert.equal(subscribed!.type, 'subscribed');
      assert.equal(event!.event.eventName, 'ledgerCreated');
      assert.equal(event!.event.data.record.amount, -(2n ** 63n), 'an int64, exactly');
      assert.equal(event!.event.data.record.note, 'min');
    }
    // Bad frames get an error naming the problem, and the connection stays.
    byQuery.socket.send(Buffer.from([0x81, 0xa1, 0x61, 0xc4, 0x01, 0x00]));
    byQuery.socket.send(encode([1, 2]));
    const [binaryData, notMap] = (await byQuery.until(4, 'two errors')).slice(2);
    assert.equal(binaryData!.type, 'error');
    assert.match(binaryData!.message, /binary data/);
    assert.match(notMap!.message, /MessagePack map/);
    byQuery.socket.close();
    byProtocol.socket.close();

    // JSON stays the default, and refuses binary frames.
    const plain = await eventStream();
    plain.socket.send(encode({ type: 'ping' }));
    const [refused] = await plain.until(1, 'an error');
    assert.deepEqual(plain.binary, [false]);
    assert.match(refused!.message, /send JSON text frames/);
    plain.socket.close();

    const unknown = new WebSocket(`ws://127.0.0.1:${host.port}/microlib/ws/events?format=xml`);
    const status = await new Promise<number>((resolve) => unknown.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)).once('error', () => resolve(-1)));
    assert.equal(status, 400);
  });

  it('answers an upgrade on an unknown path with 404', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${host.port}/microlib/ws/nope`);
    const status = await new Promise<number>((resolve) => socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)).once('error', () => resolve(-1)));
    assert.equal(status, 404);
  });
});
