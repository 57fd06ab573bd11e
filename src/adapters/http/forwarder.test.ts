// The forwarder and the placement routing in front of it, against real HTTP servers on 127.0.0.1:
// one "front" node that places the model `order` on other nodes, and those nodes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Forwarder, FORWARDED_HEADER, NODE_HEADER } from './forwarder.js';
import { createPlacementRouting } from './placement-routing.js';
import { Catalog } from '../../catalog/catalog.js';
import { LiveCatalog } from '../../catalog/live-catalog.js';
import { sendJson } from './respond.js';

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field
const json = (response: Response): Promise<any> => response.json();

/** A port nothing listens on: bound, then released. */
async function refusedUrl(): Promise<string> {
  const { server, url } = await listen(() => {});
  await close(server);
  return url;
}

/** An origin node that records what reached it and answers like the generated API. */
async function originNode(label: string, seen: Seen[]) {
  return listen((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.headers['if-match'] === '"1"') {
        return sendJson(res, 412, { error: { code: 'MLB_ERR_PRECONDITION_FAILED', message: 'stale', field: 'If-Match' } }, { [NODE_HEADER]: label });
      }
      sendJson(res, req.method === 'POST' ? 201 : 200, { served: label, echo: body }, { [NODE_HEADER]: label, etag: '"2"', 'set-cookie': 'a=1' });
    });
  });
}

describe('forwarding requests to the placement of their model', () => {
  const seen: Seen[] = [];
  const servers: http.Server[] = [];
  let front: string;
  let nodes: string[];
  const catalog = new LiveCatalog();
  let localCalls = 0;

  const place = (name: string, placementNodes: string[]) => {
    catalog.swap(new Catalog(new Map(), { adapters: new Map(), services: new Map() }, new Map([['orders', { modelName: 'order', endpoint: 'orders', remote: 'shop', placement: { name, nodes: placementNodes } }]])));
  };

  before(async () => {
    const a = await originNode('orders/a', seen);
    const b = await originNode('orders/b', seen);
    servers.push(a.server, b.server);
    nodes = [a.url, b.url];
    const routing = createPlacementRouting({
      catalog,
      forwarder: new Forwarder({ self: 'customers/front', timeoutMs: 500 }),
      nodeLabel: 'customers/front',
      handleLocal: async (_req, res) => {
        localCalls++;
        sendJson(res, 200, { local: true });
      },
      onInternalError: (error) => {
        throw error;
      },
    });
    const f = await listen((req, res) => void routing(req, res));
    servers.push(f.server);
    front = f.url;
  });
  after(async () => {
    for (const server of servers) await close(server);
  });

  it('passes method, path, query, headers and body on, and the answer back with the serving node named', async () => {
    place('orders', [nodes[0]!]);
    seen.length = 0;
    const response = await fetch(`${front}/microlib/api/models/orders/42/commands/submit?x=1&y=%20`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken', 'x-custom': 'yes' },
      body: JSON.stringify({ reason: 'test' }),
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get(NODE_HEADER), 'orders/a', 'the origin node names itself, not the forwarding node');
    assert.equal(response.headers.get('etag'), '"2"');
    assert.equal(response.headers.get('set-cookie'), 'a=1');
    assert.deepEqual(await json(response), { served: 'orders/a', echo: '{"reason":"test"}' });
    assert.equal(seen.length, 1);
    const [request] = seen;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.url, '/microlib/api/models/orders/42/commands/submit?x=1&y=%20');
    assert.equal(request!.headers.authorization, 'Bearer t0ken');
    assert.equal(request!.headers['x-custom'], 'yes');
    assert.equal(request!.headers[FORWARDED_HEADER], 'customers/front');
    assert.equal(request!.headers['x-forwarded-for'], '127.0.0.1');
  });

  it('streams a chunked body through', async () => {
    place('orders', [nodes[0]!]);
    seen.length = 0;
    const parts = ['{"items":[', '{"sku":"A1"}', ']}'];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
        controller.close();
      },
    });
    const response = await fetch(`${front}/microlib/api/models/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    assert.equal(response.status, 201);
    assert.equal((await json(response)).echo, parts.join(''));
    assert.equal(seen[0]!.headers['transfer-encoding'], 'chunked');
  });

  it('passes the node error answers through unchanged (If-Match → 412)', async () => {
    place('orders', [nodes[0]!]);
    const response = await fetch(`${front}/microlib/api/models/orders/42`, { method: 'PATCH', headers: { 'content-type': 'application/json', 'if-match': '"1"' }, body: '{}' });
    assert.equal(response.status, 412);
    assert.equal(response.headers.get(NODE_HEADER), 'orders/a');
    assert.equal((await json(response)).error.code, 'MLB_ERR_PRECONDITION_FAILED');
  });

  it('takes the nodes of a placement in turn', async () => {
    place('orders', nodes);
    const served = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${front}/microlib/api/models/orders/${i}`);
      served.push(response.headers.get(NODE_HEADER));
      await response.arrayBuffer();
    }
    assert.deepEqual(served.sort(), ['orders/a', 'orders/a', 'orders/b', 'orders/b']);
  });

  it('skips a node that refuses the connection, body included', async () => {
    place('orders', [await refusedUrl(), nodes[1]!]);
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${front}/microlib/api/models/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"n":${i}}` });
      assert.equal(response.status, 201);
      assert.deepEqual(await json(response), { served: 'orders/b', echo: `{"n":${i}}` });
    }
  });

  it('answers 503 naming the placement when no node is reachable', async () => {
    const down = [await refusedUrl(), await refusedUrl()];
    place('orders', down);
    const response = await fetch(`${front}/microlib/api/models/orders/1`);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get(NODE_HEADER), 'customers/front', 'this node answered');
    const { error } = await json(response);
    assert.equal(error.code, 'MLB_ERR_UNAVAILABLE');
    assert.match(error.message, /placement "orders" has no reachable node/);
    for (const url of down) assert.ok(error.message.includes(`${url} ECONNREFUSED`), error.message);
  });

  it('answers 504 naming the node when it does not answer within the deadline', async () => {
    const hanging = await listen(() => {});
    servers.push(hanging.server);
    place('orders', [hanging.url]);
    const response = await fetch(`${front}/microlib/api/models/orders/1`);
    assert.equal(response.status, 504);
    const { error } = await json(response);
    assert.equal(error.code, 'MLB_ERR_TIMEOUT');
    assert.equal(error.message, `node ${hanging.url} of placement "orders" did not answer within 500 ms`);
  });

  it('never forwards a forwarded request again: 502 saying the definitions disagree', async () => {
    place('orders', [nodes[0]!]);
    seen.length = 0;
    const response = await fetch(`${front}/microlib/api/models/orders/1`, { headers: { [FORWARDED_HEADER]: 'catalog/x' } });
    assert.equal(response.status, 502);
    const { error } = await json(response);
    assert.equal(error.code, 'MLB_ERR_PLACEMENT_MISMATCH');
    assert.match(error.message, /node catalog\/x forwarded a request for model "order" to customers\/front, which places it on "orders": the nodes' placements in remoteEntries\.js disagree/);
    assert.equal(seen.length, 0);
  });

  it('answers other endpoints locally, naming this node', async () => {
    place('orders', [nodes[0]!]);
    const before = localCalls;
    const response = await fetch(`${front}/microlib/api/models/customers/1`);
    assert.deepEqual(await json(response), { local: true });
    assert.equal(response.headers.get(NODE_HEADER), 'customers/front');
    assert.equal(localCalls, before + 1);
    // `orders2` is not `orders`: only the whole first segment decides.
    await (await fetch(`${front}/microlib/api/models/orders2?x=1`)).arrayBuffer();
    assert.equal(localCalls, before + 2);
  });
});
