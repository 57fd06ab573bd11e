import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crudEventName, type CrudOperation } from './crud-event-name.js';

describe('crudEventName', () => {
  it('appends the camel-case past tense to the model name as written', () => {
    assert.equal(crudEventName('order', 'create'), 'orderCreated');
    assert.equal(crudEventName('order', 'update'), 'orderUpdated');
    assert.equal(crudEventName('order', 'delete'), 'orderDeleted');
    assert.equal(crudEventName('Customer', 'create'), 'CustomerCreated');
  });

  it('rejects an empty model name or unknown operation', () => {
    assert.throws(() => crudEventName('', 'create'), TypeError);
    assert.throws(() => crudEventName('order', 'read' as CrudOperation), TypeError);
    assert.throws(() => crudEventName('order', 'toString' as CrudOperation), TypeError);
  });
});
