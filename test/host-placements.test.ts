// One application on three nodes (host processes on 127.0.0.1), one remoteEntries.js with
// placements, events through Kafka (librdkafka's mock cluster unless KAFKA_BROKERS is set):
//   customers — customer               orders — order               catalog — product, tally
// Each node serves its placement and forwards the rest; an order's workflow runs on the orders
// node for requests sent anywhere; its events reach the other nodes; the catalog node stopped and
// restarted catches up on the events it missed.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { freePort } from './support/free-port.js';
import { exampleRemoteDist, request } from './support/host-process.js';
import { localModelsRemote } from './support/fixture-remotes.js';
import { kafkaOrSkip } from './support/kafka-server.js';
import { connect } from './support/ws-client.js';
import { until } from './support/until.js';
import { withHost, type HostSetup } from './support/with-host.js';

const topic = `placements-${randomUUID().slice(0, 8)}`;
const { kafka, unavailable } = await kafkaOrSkip([`${topic}:2`]);

// The tally's factory remembers every order this node heard of (it runs only where tally is placed);
// a new tally shows them: what the node's consumer group received, seen through the API.
const tallies = `[{
  modelName: 'tally', endpoint: 'tallies', datasource: 'memory',
  factory: ({ events }) => {
    const heard = [];
    events.listen('orderCreated', (event) => { heard.push(event.data.id); });
    return (x) => ({ ...x, heard: [...heard] });
  },
}]`;


const NODES = ['customers', 'orders', 'catalog'] as const;
type NodeName = (typeof NODES)[number];

describe('placements: one application on three nodes', { skip: unavailable, timeout: 180_000 }, () => {
  const ports = {} as Record<NodeName, number>;
  const api = (node: NodeName) => `http://127.0.0.1:${ports[node]}/microlib/api/models`;

  const nodeSetup = async (name: NodeName, workDir: string): Promise<HostSetup> => ({
    remotes: [
      { name: 'orderService', kind: 'local', path: exampleRemoteDist },
      await localModelsRemote(workDir, tallies, 'tallies'),
    ],
    placements: {
      customers: { models: ['customer'], nodes: [`http://127.0.0.1:${ports.customers}`] },
      orders: { models: ['order'], nodes: [`http://127.0.0.1:${ports.orders}`] },
      catalog: { models: ['product', 'tally'], nodes: [`http://127.0.0.1:${ports.catalog}`] },
    },
    env: {
      PORT: String(ports[name]),
      HOST_ID: `${name}-host`,
      MICROLIB_PLACEMENT: name,
      MICROLIB_NODE_NAME: `${name}-1`,
      FORWARD_TIMEOUT_MS: '5000',
      KAFKA_BROKERS: kafka!.brokers.join(','),
      KAFKA_TOPIC: topic,
      // No KAFKA_GROUP_ID: each placement is its own consumer group by default.
      KAFKA_FROM_BEGINNING: 'true',
      // The shortest session a stock broker accepts (group.min.session.timeout.ms): the mock rebalances after
      // almost a session timeout. It answers a fetch only after its max wait.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '300',
      KAFKA_FETCH_MAX_WAIT_MS: '100',
    },
  });
  // The first node's setup picks every node's port: each must know the others' before it starts.
  const nodes = {
    customers: withHost(async ({ workDir }) => {
      for (const name of NODES) ports[name] = await freePort();
      return nodeSetup('customers', workDir);
    }),
    orders: withHost(({ workDir }) => nodeSetup('orders', workDir)),
    catalog: withHost(({ workDir }) => nodeSetup('catalog', workDir)),
  };
  // Registered after the nodes' own, so it runs once they have stopped.
  after(() => kafka?.stop());

  it('serves each placement on its own node, and says so in every answer', async () => {
    const customer = await request(`${api('customers')}/customers`, { method: 'POST', body: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' } });
    assert.equal(customer.status, 201, JSON.stringify(customer.body));
    assert.equal(customer.headers.get('x-microlib-node'), 'customers/customers-1');
    const product = await request(`${api('catalog')}/products`, { method: 'POST', body: { sku: 'A1', name: 'Anvil', price: 12.5 } });
    assert.equal(product.status, 201);
    assert.equal(product.headers.get('x-microlib-node'), 'catalog/catalog-1');
    // Errors of the generated API name the node too.
    const missing = await request(`${api('orders')}/orders/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-microlib-node'), 'orders/orders-1');
    const logs = nodes.orders.logs;
    assert.ok(logs.some((l) => l.msg === 'forwarding model to its placement' && l.model === 'customer' && l.placement === 'customers'), 'the orders node forwards customers');
    assert.ok(logs.some((l) => l.msg === 'serving model' && l.model === 'order'));
    assert.ok(!logs.some((l) => l.msg === 'serving model' && l.model === 'customer'), 'and does not serve them itself');
  });

  it('answers a request for a model placed on another node, through that node', async () => {
    const created = await request(`${api('orders')}/customers`, { method: 'POST', body: { firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get('x-microlib-node'), 'customers/customers-1', 'the customers node served it');
    assert.equal(created.headers.get('location'), `/microlib/api/models/customers/${created.body.id}`);
    const id = created.body.id as string;

    const read = await request(`${api('catalog')}/customers/${id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.email, 'grace@example.com');
    assert.equal(read.headers.get('etag'), '"1"');
    assert.equal(read.headers.get('x-microlib-node'), 'customers/customers-1');

    const stale = await request(`${api('orders')}/customers/${id}`, { method: 'PATCH', body: { tier: 'gold' }, headers: { 'if-match': '"7"' } });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error.code, 'MLB_ERR_PRECONDITION_FAILED');
    const patched = await request(`${api('orders')}/customers/${id}`, { method: 'PATCH', body: { tier: 'gold' }, headers: { 'if-match': '"1"' } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.tier, 'gold');
    assert.equal(patched.headers.get('etag'), '"2"');

    const invalid = await request(`${api('catalog')}/customers`, { method: 'POST', body: { firstName: 'No', lastName: 'Mail', email: 'not an email' } });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.code, 'MLB_ERR_VALIDATION');
    assert.equal(invalid.body.error.field, 'email');

    const list = await request(`${api('orders')}/customers?tier=gold&count`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data.map((c: { id: string }) => c.id), [id]);
    assert.equal(list.body.total, 1);

    const removed = await request(`${api('catalog')}/customers/${id}`, { method: 'DELETE', headers: { 'if-match': '"2"' } });
    assert.equal(removed.status, 204);
    assert.equal((await request(`${api('customers')}/customers/${id}`)).status, 404, 'gone on its own node');
  });

  it('runs an order workflow across nodes and shows its events on another node', async () => {
    const customer = await request(`${api('catalog')}/customers`, { method: 'POST', body: { firstName: 'Alan', lastName: 'Turing', email: 'alan@example.com' } });
    assert.equal(customer.status, 201);
    const order = await request(`${api('customers')}/orders`, { method: 'POST', body: { customerId: customer.body.id, items: [{ sku: 'A1', quantity: 2, price: 12.5 }] } });
    assert.equal(order.status, 201, JSON.stringify(order.body));
    assert.equal(order.headers.get('x-microlib-node'), 'orders/orders-1');
    const id = order.body.id as string;

    // The order's relation to its customer is read from the customers node.
    const related = await request(`${api('orders')}/orders/${id}/customer`);
    assert.equal(related.status, 200, JSON.stringify(related.body));
    assert.equal(related.body.email, 'alan@example.com');
    assert.equal(related.headers.get('x-microlib-node'), 'orders/orders-1');
    const viaCatalog = await request(`${api('catalog')}/orders/${id}?relation=customer`);
    assert.equal(viaCatalog.body.id, customer.body.id);

    // The catalog node does not serve orders, but their events reach its stream through Kafka.
    const stream = await connect(`ws://127.0.0.1:${ports.catalog}/microlib/ws/events`);
    try {
      stream.send({ type: 'subscribe', sub: 'done', model: 'order', where: { status: 'completed' } });
      await stream.until(1, 'the subscription');
      assert.equal(stream.messages[0]!.type, 'subscribed', JSON.stringify(stream.messages[0]));

      const submitted = await request(`${api('catalog')}/orders/${id}/commands/submit`, { method: 'POST' });
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      assert.equal(submitted.headers.get('x-microlib-node'), 'orders/orders-1');

      const done = await until(async () => {
        const { body } = await request(`${api('customers')}/orders/${id}`);
        return body.flow && body.flow.status !== 'running' ? body : undefined;
      }, 'the order flow to finish');
      assert.equal(done.status, 'completed', JSON.stringify(done.flow));
      assert.equal(done.flow.status, 'completed');
      assert.ok(done.captureId);

      const events = await until(async () => (stream.messages.some((m) => m.type === 'event') ? stream.messages : undefined), 'the completed order on the catalog stream', 10_000);
      const event = events.find((m) => m.type === 'event')!;
      assert.equal(event.event.eventName, 'orderUpdated');
      assert.equal(event.event.data.id, id);
      assert.equal(event.event.data.record.status, 'completed');
    } finally {
      stream.socket.close();
    }
  });

  it('answers 503 naming the placement while its node is down, and the node catches up on the events it missed', async () => {
    // The catalog node has heard of the orders so far.
    const first = await until(async () => {
      const tally = await request(`${api('orders')}/tallies`, { method: 'POST', body: {} });
      return tally.status === 201 && tally.body.heard.length >= 1 ? tally : undefined;
    }, 'the catalog node to hear of the first order');
    assert.equal(first.headers.get('x-microlib-node'), 'catalog/catalog-1', 'a tally is made on the catalog node');

    await nodes.catalog.stop();
    const down = await request(`${api('orders')}/products`);
    assert.equal(down.status, 503);
    assert.equal(down.body.error.code, 'MLB_ERR_UNAVAILABLE');
    assert.match(down.body.error.message, new RegExp(`placement "catalog" has no reachable node \\(http://127\\.0\\.0\\.1:${ports.catalog} ECONNREFUSED\\)`));
    assert.equal(down.headers.get('x-microlib-node'), 'orders/orders-1', 'the forwarding node answered');

    const customer = await request(`${api('customers')}/customers`, { method: 'POST', body: { firstName: 'Barbara', lastName: 'Liskov', email: 'barbara@example.com' } });
    const missed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const order = await request(`${api('orders')}/orders`, { method: 'POST', body: { customerId: customer.body.id, items: [{ sku: 'A1', quantity: 1 + i, price: 1 }] } });
      assert.equal(order.status, 201);
      missed.push(order.body.id);
    }

    await nodes.catalog.restart();
    // The restarted node's consumer group resumes from its committed offset: the orders created while it was down arrive.
    const tally = await until(async () => {
      const made = await request(`${api('customers')}/tallies`, { method: 'POST', body: {} });
      return made.status === 201 && missed.every((id) => made.body.heard.includes(id)) ? made : undefined;
    }, 'the restarted catalog node to catch up');
    assert.equal(tally.headers.get('x-microlib-node'), 'catalog/catalog-1');
    for (const heard of first.body.heard as string[]) assert.ok(!tally.body.heard.includes(heard), 'what it had processed before the stop is not replayed');
    const back = await request(`${api('orders')}/products?sku=A1`);
    assert.equal(back.status, 200);
    assert.equal(back.body.data[0].name, 'Anvil', 'its data kept across the restart');
  });
});
