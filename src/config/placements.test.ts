import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from './env-reader.js';
import { normalisePlacements, selectPlacement } from './placements.js';
import { RemoteEntriesError } from './remote-entries.js';

const definition = {
  customers: { models: ['customer'], nodes: ['http://127.0.0.1:8071/'] },
  orders: { models: ['order'], nodes: ['http://127.0.0.1:8072', 'https://orders-2.example.com:8443'] },
};

describe('placements of remoteEntries.js', () => {
  it('reads placements, keeping each node origin without a trailing slash', () => {
    const placements = normalisePlacements(definition);
    assert.deepEqual([...placements.keys()], ['customers', 'orders']);
    assert.deepEqual(placements.get('customers'), { name: 'customers', models: ['customer'], nodes: ['http://127.0.0.1:8071'] });
    assert.deepEqual(placements.get('orders')!.nodes, ['http://127.0.0.1:8072', 'https://orders-2.example.com:8443']);
  });

  it('is empty when the file exports none', () => {
    assert.equal(normalisePlacements(undefined).size, 0);
  });

  it('refuses bad definitions, naming the placement and the problem', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[], /placements: must be an object/],
      ['orders', /placements: must be an object/],
      [{ 'two words': { models: ['a'], nodes: ['http://a:1'] } }, /placements\.two words: the placement name/],
      [{ orders: ['order'] }, /placements\.orders: must be an object \{ models/],
      [{ orders: { models: ['order'], nodes: ['http://a:1'], replicas: 2 } }, /placements\.orders: unknown key "replicas"/],
      [{ orders: { nodes: ['http://a:1'] } }, /placements\.orders\.models: must be a non-empty array/],
      [{ orders: { models: [], nodes: ['http://a:1'] } }, /placements\.orders\.models: must be a non-empty array/],
      [{ orders: { models: [42], nodes: ['http://a:1'] } }, /placements\.orders\.models: 42 is not a model name/],
      [{ orders: { models: ['order'] } }, /placements\.orders\.nodes: must be a non-empty array of node URLs/],
      [{ orders: { models: ['order'], nodes: [] } }, /placements\.orders\.nodes: must be a non-empty array of node URLs/],
      [{ orders: { models: ['order'], nodes: ['not a url'] } }, /placements\.orders\.nodes\[0\]: not a URL: "not a url"/],
      [{ orders: { models: ['order'], nodes: ['ftp://a:1'] } }, /nodes\[0\]: must be an http:\/\/ or https:\/\/ URL/],
      [{ orders: { models: ['order'], nodes: ['http://a:1', 'http://a:2/microlib/api'] } }, /nodes\[1\]: must be the node's origin only/],
      [{ orders: { models: ['order'], nodes: [8072] } }, /nodes\[0\]: must be a URL string/],
      [
        { a: { models: ['order'], nodes: ['http://a:1'] }, b: { models: ['customer', 'order'], nodes: ['http://b:1'] } },
        /placements\.b\.models: model "order" is also in placement "a"/,
      ],
    ];
    for (const [raw, message] of cases) {
      assert.throws(() => normalisePlacements(raw), (error: unknown) => error instanceof RemoteEntriesError && message.test(error.message), JSON.stringify(raw));
    }
  });
});

describe('choosing this node placement', () => {
  const placements = normalisePlacements(definition);

  it('serves its own models and those of no placement, and sends the others elsewhere', () => {
    const node = selectPlacement(placements, 'orders', 'node-2');
    assert.equal(node.label, 'orders/node-2');
    assert.equal(node.elsewhere('order'), undefined);
    assert.equal(node.elsewhere('product'), undefined, 'a model of no placement runs everywhere');
    assert.equal(node.elsewhere('customer')?.name, 'customers');
    assert.equal(node.isPlaced('customer'), true);
    assert.equal(node.isPlaced('product'), false);
  });

  it('serves every model without MICROLIB_PLACEMENT', () => {
    const node = selectPlacement(placements, undefined, 'solo');
    assert.equal(node.label, 'solo');
    assert.equal(node.elsewhere('customer'), undefined);
    assert.equal(node.elsewhere('order'), undefined);
  });

  it('refuses an unknown placement name, listing the known ones', () => {
    assert.throws(
      () => selectPlacement(placements, 'billing', 'n'),
      (error: unknown) => error instanceof ConfigError && error.message === 'MICROLIB_PLACEMENT: unknown placement "billing"; remoteEntries.js defines "customers", "orders"',
    );
    assert.throws(() => selectPlacement(new Map(), 'orders', 'n'), /MICROLIB_PLACEMENT: "orders" is set but remoteEntries.js exports no placements/);
  });
});
