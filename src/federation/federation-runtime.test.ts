import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FederationRuntime } from './federation-runtime.js';

const exampleDist = path.resolve(fileURLToPath(import.meta.url), '../../../../examples/order-service/dist');
const exposes = ['./models', './adapters', './services'];

type Spec = { modelName: string; factory: (deps: object) => (input: Record<string, unknown>) => Record<string, unknown> };
const specsOf = (modules: ReadonlyMap<string, unknown>) => Object.values(modules.get('./models') as Record<string, Spec>);

describe('FederationRuntime', () => {
  it('loads two versions side by side and disposing the old one leaves the new one working', async () => {
    const runtime = new FederationRuntime();
    const first = await runtime.load('orders__v1', exampleDist, exposes, []);
    const second = await runtime.load('orders__v2', exampleDist, exposes, []);
    assert.notEqual(first.modules.get('./models'), second.modules.get('./models'), 'each version has its own module instances');
    first.dispose();
    const order = specsOf(second.modules).find((s) => s.modelName === 'order')!;
    const created = order.factory({})({ customerId: 'c', items: [{ sku: 'a', quantity: 2, price: 3 }] });
    assert.equal(created.total, 6);
    const third = await runtime.load('orders__v3', exampleDist, exposes, []);
    assert.equal(specsOf(third.modules).length, 3, 'a version loaded after a dispose still loads');
    second.dispose();
    third.dispose();
  });

  it('skips a missing optional expose and fails on a missing required one', async () => {
    const runtime = new FederationRuntime();
    const loaded = await runtime.load('orders__opt', exampleDist, ['./models', './metrics'], ['./metrics']);
    assert.deepEqual([...loaded.modules.keys()], ['./models']);
    loaded.dispose();
    await assert.rejects(runtime.load('orders__req', exampleDist, ['./models', './metrics'], []), /loading \.\/metrics failed/);
  });
});
