/**
 * The batch cases of the datasource conformance suite: storing many records in
 * one call (`createMany`, or the loop of `create` the host uses for a
 * datasource without it), each record succeeding or failing on its own.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { CreateOutcome } from '../domain/datasource.js';
import { createEach } from '../domain/batch-writes.js';
import { MicrolibError } from '../domain/errors.js';
import type { StoredRecord } from '../domain/model-spec.js';
import { ids, listQuery, makeRecord, type WithDatasource } from './datasource-fixtures.js';

function stored(outcome: CreateOutcome | undefined): StoredRecord {
  assert.equal(outcome?.status, 'fulfilled', `expected a stored record, got ${outcome?.status === 'rejected' ? String(outcome.reason) : 'nothing'}`);
  return (outcome as PromiseFulfilledResult<StoredRecord>).value;
}

function conflict(outcome: CreateOutcome | undefined): void {
  assert.equal(outcome?.status, 'rejected', 'expected a refused record');
  const reason = (outcome as PromiseRejectedResult).reason as unknown;
  assert.ok(reason instanceof MicrolibError, `expected a MicrolibError, got ${String(reason)}`);
  assert.equal(reason.code, 'MLB_ERR_CONFLICT');
}

/** Registers the batch cases, each on a datasource `withDatasource` opens. */
export function batchConformance(withDatasource: WithDatasource): void {
  it('stores every record of a batch and answers each, in order', () =>
    withDatasource(async (ds) => {
      const records = Array.from({ length: 25 }, (_, i) => makeRecord(`b${String(24 - i).padStart(2, '0')}`, { n: i, tags: ['x', i] }));
      const outcomes = await createEach(ds, records);
      assert.equal(outcomes.length, records.length);
      outcomes.forEach((outcome, i) => assert.deepEqual(stored(outcome), records[i]));
      for (const record of records) assert.deepEqual(await ds.get(record.id), record);
      // Creation order is the order of the batch.
      assert.deepEqual(ids((await ds.list(listQuery({ count: true }))).records), ids(records));
    }));

  it('refuses only the records whose id is taken, by a stored record or an earlier one of the batch', () =>
    withDatasource(async (ds) => {
      await ds.create(makeRecord('taken', { v: 'old' }));
      const outcomes = await createEach(ds, [makeRecord('a', { v: 1 }), makeRecord('taken', { v: 'new' }), makeRecord('b', { v: 2 }), makeRecord('a', { v: 3 })]);
      assert.deepEqual(stored(outcomes[0]), makeRecord('a', { v: 1 }));
      conflict(outcomes[1]);
      assert.deepEqual(stored(outcomes[2]), makeRecord('b', { v: 2 }));
      conflict(outcomes[3]);
      assert.equal((await ds.get('taken'))?.['v'], 'old');
      assert.equal((await ds.get('a'))?.['v'], 1);
      assert.equal((await ds.list(listQuery({ count: true }))).total, 3);
    }));

  it('keeps its own copies of a batch', () =>
    withDatasource(async (ds) => {
      const input = makeRecord('c', { list: [1] });
      const [outcome] = await createEach(ds, [input]);
      (input['list'] as number[]).push(2);
      (stored(outcome)['list'] as number[]).push(3);
      assert.deepEqual((await ds.get('c'))?.['list'], [1]);
    }));

  it('stores nothing of a batch after close', () =>
    withDatasource(async (ds) => {
      await ds.close();
      const outcomes = await createEach(ds, [makeRecord('late1'), makeRecord('late2')]);
      assert.deepEqual(
        outcomes.map((outcome) => outcome.status),
        ['rejected', 'rejected'],
      );
    }));
}
