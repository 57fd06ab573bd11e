// The WebSocket stream on its own (a node:http server on port 0): a subscription answered only once the
// broker says it is settled (a cluster's other workers forward its events), and subscriptions that leave
// the broker with their connection.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import WebSocket from 'ws';
import { EventBroker, makeEvent } from '../../domain/events/index.js';
import { EVENTS_WS_PATH, EventStreamServer } from './event-stream-server.js';

const options = { knownModel: () => true, logger: pino({ level: 'silent' }), maxBufferedBytes: 1 << 20, maxSubscriptions: 10, maxMessageBytes: 65_536, heartbeatMs: 30_000 };

async function listen(stream: EventStreamServer): Promise<Server> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => stream.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function client(server: Server) {
  const socket = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}${EVENTS_WS_PATH}`);
  const messages: Array<Record<string, unknown>> = [];
  socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
  return { socket, messages };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('WebSocket event stream server', () => {
  const broker = new EventBroker();
  let release: () => void = () => undefined;
  let settled: Promise<void> = Promise.resolve();
  const stream = new EventStreamServer({ ...options, broker, subscriptionsSettled: () => settled });
  let server: Server;
  before(async () => (server = await listen(stream)));
  after(async () => {
    await stream.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers subscribed once the subscription is settled; its events and later answers follow it, in order', async () => {
    settled = new Promise<void>((resolve) => (release = resolve));
    const c = await client(server);
    c.socket.send(JSON.stringify({ type: 'subscribe', sub: 's', model: 'thing', events: ['created'] }));
    c.socket.send(JSON.stringify({ type: 'ping' }));
    await until(() => broker.hasSubscribers('thingCreated'), 'the subscription in the broker');
    await broker.publish(makeEvent('thingCreated', { modelName: 'thing', data: { id: 'early' } }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(c.messages.length, 0, 'nothing is answered before the subscription is settled');
    release();
    await until(() => c.messages.length === 3, 'subscribed, the event and pong');
    assert.deepEqual(c.messages.map((m) => m.type), ['subscribed', 'event', 'pong']);
    c.socket.close();
  });

  it("removes a closed connection's subscriptions from the broker", async () => {
    settled = Promise.resolve();
    const c = await client(server);
    c.socket.send(JSON.stringify({ type: 'subscribe', sub: 'gone', model: 'widget' }));
    await until(() => c.messages.length === 1, 'subscribed');
    assert.equal(broker.hasSubscribers('widgetCreated'), true);
    c.socket.close();
    await until(() => !broker.hasSubscribers('widgetCreated'), 'the subscription to leave the broker');
  });
});
