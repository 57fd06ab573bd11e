// What a spec's validate and onUpdate receive, and what is stored from their answers,
// under the original MicroLib's semantics (the default) and the host's merged ones.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Model } from './model.js';
import { MicrolibError } from './errors.js';
import type { ModelSpecification, StoredRecord } from './model-spec.js';

type Fields = Record<string, unknown>;
const NOW = '2024-01-01T00:00:00.000Z';
const LATER = '2024-01-02T00:00:00.000Z';

/** Stand-in for a real hash: what matters is that it is not the plaintext. */
const hash = (plaintext: unknown) => `hashed:${String(plaintext).split('').reverse().join('')}`;

function modelOf(spec: Partial<ModelSpecification>): Model {
  return new Model({ modelName: 'order', endpoint: 'orders', factory: () => (input) => ({ ...input }), ...spec }, { remote: 'shop', version: 'v1' });
}

async function created(model: Model, body: Fields): Promise<StoredRecord> {
  return model.createRecord(body, 'o1', NOW);
}

const refusedWith = (pattern: RegExp) => (error: unknown) => error instanceof MicrolibError && error.code === 'MLB_ERR_VALIDATION' && pattern.test(error.message);

/** The guards an original author writes: they need the record before the update and the patch alone. */
function originalGuards(model: Fields, changes: Fields): Fields {
  if (model.status === 'shipped' && changes.status === 'pending') throw new Error('a shipped order cannot go back to pending');
  if (changes.customerId !== undefined && changes.customerId !== model.customerId) throw new Error('customerId may not change');
  return { ...model, ...changes };
}

describe('original semantics (the default)', () => {
  it('validate sees the record before the update and the patch alone; its answer is the next record', async () => {
    const seen: Array<[Fields, Fields, unknown]> = [];
    const model = modelOf({
      validate: (record, changes, event) => {
        seen.push([{ ...record }, { ...changes }, event]);
        return originalGuards(record, changes);
      },
    });
    const shipped = await created(model, { customerId: 'c1', status: 'shipped' });
    await assert.rejects(model.updateRecord(shipped, { status: 'pending' }, LATER), refusedWith(/a shipped order cannot go back to pending/));
    await assert.rejects(model.updateRecord(shipped, { customerId: 'c2' }, LATER), refusedWith(/customerId may not change/));
    const delivered = await model.updateRecord(shipped, { status: 'delivered', customerId: 'c1' }, LATER);
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.revision, 2);
    assert.equal(delivered.updatedAt, LATER);
    const [before, changes, event] = seen.at(-1)!;
    assert.equal(before.status, 'shipped', 'the record as stored before this update');
    assert.deepEqual(changes, { status: 'delivered', customerId: 'c1' });
    assert.equal(event, 1, "the original's event mask: 1 is an update");
    const silent = modelOf({ validate: () => undefined });
    const approved = await silent.updateRecord(await created(silent, { customerId: 'c1', status: 'pending' }), { status: 'approved' }, LATER);
    assert.deepEqual([approved.customerId, approved.status], ['c1', 'approved'], 'a validate that returns nothing stores the patch merged into the record');
  });

  it('onUpdate sees the record before the update too; validate then sees what the update changes so far', async () => {
    let validated: Fields = {};
    const model = modelOf({
      onUpdate: (record, changes) => {
        if (record.status === 'shipped' && changes.status === 'pending') throw new Error('not back to pending');
        return { ...record, ...changes, touched: true };
      },
      validate: (record, changes) => {
        validated = { ...changes };
        return { ...record, ...changes };
      },
    });
    const shipped = await created(model, { status: 'shipped' });
    await assert.rejects(model.updateRecord(shipped, { status: 'pending' }, LATER), refusedWith(/not back to pending/));
    const next = await model.updateRecord(shipped, { status: 'delivered' }, LATER);
    assert.deepEqual(validated, { status: 'delivered', touched: true }, "onUpdate's own change reaches validate with the patch");
    assert.equal(next.touched, true, 'and so is kept by a validate that merges the changes');
  });

  it('on create validate gets the factory result and no changes, so a hashed value stays hashed', async () => {
    const calls: Array<[Fields, Fields, unknown]> = [];
    const model = modelOf({
      factory: () => (input) => ({ email: input.email, password: hash(input.password) }),
      validate: (record, changes, event) => {
        calls.push([record, changes, event]);
        return { ...record, ...changes };
      },
    });
    const record = await created(model, { email: 'ada@example.com', password: 'secret' });
    assert.equal(record.password, hash('secret'), 'never the plaintext');
    assert.deepEqual(calls[0]!.slice(1), [{}, 2], "the original's create: no changes, event mask 2");
  });

  it('a command or port result is validated against the record before it', async () => {
    const model = modelOf({ validate: originalGuards });
    const shipped = await created(model, { customerId: 'c1', status: 'shipped' });
    await assert.rejects(model.applyChanges(shipped, { status: 'pending' }, LATER), refusedWith(/cannot go back to pending/));
    const next = await model.applyChanges(shipped, { status: 'delivered', id: 'forged' }, LATER);
    assert.deepEqual([next.id, next.status, next.revision], ['o1', 'delivered', 2], "host fields stay the host's");
  });

  it('hooks cannot change the stored record they are shown', async () => {
    const model = modelOf({
      validate: (record, changes) => {
        try {
          if (changes.note) record.status = 'tampered';
        } catch {
          // frozen, as the original's models are
        }
        return { ...record, ...changes };
      },
    });
    const stored = await created(model, { status: 'pending' });
    const next = await model.updateRecord(stored, { note: 'x' }, LATER);
    assert.equal(stored.status, 'pending');
    assert.equal(next.status, 'pending');
  });
});

describe("the host's merged semantics (hookSemantics: 'merged')", () => {
  it('validate sees the record as it will be and the patch; nothing returned keeps it', async () => {
    const seen: Fields[] = [];
    const model = modelOf({
      hookSemantics: 'merged',
      factory: () => (input) => ({ ...input, password: hash(input.password) }),
      validate: (record, changes) => {
        seen.push({ ...record });
        if (Array.isArray(record.items) && record.items.length === 0) throw new Error('an order needs at least one item');
        return 'items' in changes ? { ...record, ...changes, count: (record.items as unknown[]).length } : undefined;
      },
    });
    const stored = await created(model, { items: [1, 2], password: 'secret' });
    assert.equal(stored.count, 2, 'on create the changes are the fields the factory set');
    assert.equal(stored.password, hash('secret'), 'so merging them cannot put the request body back over the factory result');
    const next = await model.updateRecord(stored, { items: [1, 2, 3] }, LATER);
    assert.deepEqual(seen.at(-1)!.items, [1, 2, 3], 'the merged record');
    assert.equal(next.count, 3);
    await assert.rejects(model.updateRecord(next, { items: [] }, LATER), refusedWith(/at least one item/));
    const noted = await model.updateRecord(next, { note: 'x' }, LATER);
    assert.deepEqual([noted.note, noted.count], ['x', 3], 'nothing returned keeps the merged record');
  });
});
