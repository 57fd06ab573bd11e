import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordMethods, StoredRecord } from 'microlib';
import { __ModelName__, close } from '../src/models/__modelName__.js';

/** A record as the host stores it. */
const stored = (fields: Record<string, string | number>): StoredRecord & RecordMethods => ({ id: 'a1', createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z', revision: 1, ...fields });

describe('the __modelName__ model', () => {
  it('has a model name and an endpoint the host accepts', () => {
    assert.match(__ModelName__.modelName, /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/);
    assert.match(__ModelName__.endpoint, /^[a-z0-9][a-z0-9_-]{0,63}$/);
  });

  it('makes a new record from the body, with its title trimmed', async () => {
    const create = __ModelName__.factory({});
    assert.deepEqual(await create({ title: '  first  ', quantity: 2, status: 'open' }), { title: 'first', quantity: 2, status: 'open' });
  });

  it('closes an open record, and leaves a closed one as it is', () => {
    assert.deepEqual(close(stored({ title: 'first', status: 'open' })), { status: 'closed' });
    assert.equal(close(stored({ title: 'first', status: 'closed' })), undefined);
    assert.equal(__ModelName__.commands?.close?.command, close);
  });
});
