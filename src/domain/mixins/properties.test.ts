import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyMixins } from './mixin.js';
import { freezeProperties, requireProperties, updateProperties, validateProperties } from './properties.js';

describe('property mixins', () => {
  it('requireProperties checks names and rules on create and update', () => {
    const mixins = [requireProperties('customerId', (m) => (m.guest ? ['email'] : []))];
    assert.throws(() => applyMixins(mixins, 'create', {}, {}), /"customerId" is required/);
    assert.throws(() => applyMixins(mixins, 'create', { customerId: 'c', guest: true }, {}), /"email" is required/);
    assert.doesNotThrow(() => applyMixins(mixins, 'create', { customerId: 'c', guest: true, email: 'e@x.io' }, {}));
    assert.throws(() => applyMixins(mixins, 'update', { customerId: '' }, { customerId: '' }, { customerId: 'c' }), /"customerId" is required/);
  });

  it('freezeProperties refuses changes once set, or once a condition held before the change', () => {
    const mixins = [freezeProperties('orderNo', { name: 'items', after: (m) => m.status !== 'pending' })];
    assert.doesNotThrow(() => applyMixins(mixins, 'update', { orderNo: 'A1' }, { orderNo: 'A1' }, {}), 'setting a missing value is allowed');
    assert.throws(() => applyMixins(mixins, 'update', { orderNo: 'B2' }, { orderNo: 'B2' }, { orderNo: 'A1' }), /"orderNo" cannot be changed/);
    assert.doesNotThrow(() => applyMixins(mixins, 'update', { status: 'pending', items: [2] }, { items: [2] }, { status: 'pending', items: [1] }));
    assert.throws(() => applyMixins(mixins, 'update', { status: 'shipped', items: [2] }, { items: [2] }, { status: 'shipped', items: [1] }), /"items" cannot be changed/);
    assert.doesNotThrow(() => applyMixins(mixins, 'create', { orderNo: 'A1' }, { orderNo: 'A1' }), 'create is never frozen');
  });

  it('updateProperties computes on create and when an input changes', () => {
    const total = updateProperties({ on: ['items'], set: 'total', compute: (m) => (m.items as number[]).reduce((a, b) => a + b, 0) });
    assert.equal((applyMixins([total], 'create', { items: [1, 2] }, { items: [1, 2] }) as Record<string, unknown>).total, 3);
    assert.equal((applyMixins([total], 'update', { items: [5], total: 3 }, { items: [5] }, { items: [1, 2], total: 3 }) as Record<string, unknown>).total, 5);
    assert.equal((applyMixins([total], 'update', { items: [1, 2], total: 3, note: 'x' }, { note: 'x' }, {}) as Record<string, unknown>).total, 3, 'unrelated changes leave it alone');
  });

  it('validateProperties checks values, patterns and predicates of present properties', () => {
    const mixins = [
      validateProperties(
        { name: 'status', values: ['pending', 'done'] },
        { name: 'sku', regex: /^[A-Z]+\d+$/ },
        { name: 'qty', isValid: (v) => typeof v === 'number' && v > 0, message: 'qty must be positive' },
      ),
    ];
    assert.doesNotThrow(() => applyMixins(mixins, 'create', { status: 'pending', sku: 'AB12', qty: 1 }, {}));
    assert.doesNotThrow(() => applyMixins(mixins, 'create', {}, {}), 'absent properties are not checked');
    assert.throws(() => applyMixins(mixins, 'create', { status: 'lost' }, {}), /"status" is invalid/);
    assert.throws(() => applyMixins(mixins, 'create', { sku: 'ab' }, {}), /"sku" is invalid/);
    assert.throws(() => applyMixins(mixins, 'update', { qty: 0 }, { qty: 0 }, {}), /qty must be positive/);
  });

  it('composes in order: a computed value is validated by a later mixin', () => {
    const mixins = [
      updateProperties({ on: ['price', 'qty'], set: 'total', compute: (m) => (m.price as number) * (m.qty as number) }),
      validateProperties({ name: 'total', isValid: (v) => (v as number) <= 100, message: 'total over the limit' }),
    ];
    assert.throws(() => applyMixins(mixins, 'create', { price: 60, qty: 2 }, {}), /total over the limit/);
    assert.equal((applyMixins(mixins, 'create', { price: 10, qty: 2 }, {}) as Record<string, unknown>).total, 20);
  });
});
