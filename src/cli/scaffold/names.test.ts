import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NameError, scaffoldNames } from './names.js';

describe('names of a scaffolded remote', () => {
  it('derives the remote name from the folder and the endpoint from the model', () => {
    assert.deepEqual(scaffoldNames('billing-service', undefined, 'lineItem'), {
      remoteName: 'billingService',
      packageName: 'billing-service',
      modelName: 'lineItem',
      ModelName: 'LineItem',
      endpoint: 'line-items',
    });
    assert.equal(scaffoldNames('x', 'shop', 'box').endpoint, 'boxes');
    assert.equal(scaffoldNames('x', 'shop', 'entry').endpoint, 'entries');
    assert.equal(scaffoldNames('x', 'shop').endpoint, 'items');
  });

  it('refuses names that would not build or load, saying which and how to fix it', () => {
    assert.throws(() => scaffoldNames('2fast', undefined), (e: unknown) => e instanceof NameError && /"2fast".*--name/.test(e.message));
    assert.throws(() => scaffoldNames('x', 'my-remote'), (e: unknown) => e instanceof NameError && /"my-remote" \(given with --name\)/.test(e.message));
    assert.throws(() => scaffoldNames('x', 'shop', 'Invoice'), (e: unknown) => e instanceof NameError && /lowercase/.test(e.message));
    assert.throws(() => scaffoldNames('x', 'shop', 'line-item'), NameError);
    assert.throws(() => scaffoldNames('x', 'shop', 'date'), (e: unknown) => e instanceof NameError && /global Date/.test(e.message));
  });
});
