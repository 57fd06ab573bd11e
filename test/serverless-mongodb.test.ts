// In a function, the MongoDB client is made once per instance and its connections
// are reused by every invocation: the host starts once, and its datasources (and
// the driver's pool they share) stay open between invocations.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createLambdaHandler, type LambdaHandler } from '../src/serverless/index.js';
import { mongoClientStats } from '../src/adapters/persistence/mongodb/mongodb-client-pool.js';
import { mongoUrlForTests, type MongoForTests } from './support/mongo-server.js';
import { exampleRemoteDist } from './support/host-process.js';
import { functionEnv, type FunctionEnv } from './support/function-env.js';
import { eventFor, lambdaContext, type Result } from './support/aws-events.js';

/** A loopback relay in front of MongoDB that counts the connections made through it. */
async function countingRelay(target: URL): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    connections++;
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    url: `mongodb://127.0.0.1:${(relay.address() as net.AddressInfo).port}/?directConnection=true`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

let mongo: MongoForTests;
let relay: Awaited<ReturnType<typeof countingRelay>>;
let fn: FunctionEnv;
let handler: LambdaHandler;

before(async () => {
  mongo = await mongoUrlForTests();
  relay = await countingRelay(new URL(mongo.url));
  fn = await functionEnv([{ name: 'orderService', kind: 'local', path: exampleRemoteDist }], {
    DATASOURCE_ADAPTER: 'mongodb',
    MONGODB_URL: relay.url,
    MONGODB_DATABASE: `function_${process.pid}_${Date.now()}`,
  });
  handler = createLambdaHandler({ env: fn.env, cwd: fn.dir, logger: fn.logger });
});
after(async () => {
  await handler?.stop();
  await relay?.close();
  await mongo?.stop();
  await fn?.remove();
});

it('makes one MongoDB client per instance and reuses its connections across invocations', async () => {
  const create = async (n: number) => {
    const body = JSON.stringify({ firstName: 'Invocation', lastName: `N${n}`, email: `n${n}@example.com` });
    const result = (await handler(eventFor('http-v2', { method: 'POST', path: '/microlib/api/models/customers', headers: [['content-type', 'application/json']], body }), lambdaContext())) as Result;
    assert.equal(result.statusCode, 201, result.body);
  };
  await create(0);
  await create(1);
  const clients = mongoClientStats().clients;
  const warm = relay.connections();
  assert.equal(clients, 1, 'one driver client for every model on that URL');
  for (let n = 2; n < 12; n++) await create(n);
  assert.equal(mongoClientStats().clients, 1, 'still the same single client');
  assert.equal(relay.connections(), warm, `no new connection after the first invocations (${warm} made while warming)`);
  const listed = (await handler(eventFor('http-v2', { path: '/microlib/api/models/customers', query: [['count', 'true'], ['firstName', 'Invocation']] }), lambdaContext())) as Result;
  assert.equal((JSON.parse(listed.body) as { total: number }).total, 12);
});
