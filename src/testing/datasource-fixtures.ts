/**
 * Records, queries and assertions for datasource tests: what the conformance
 * suite builds its cases from, exported (through `microlib/testing`) for a
 * datasource's own extra cases.
 */
import assert from 'node:assert/strict';
import type { Datasource, ListQuery } from '../domain/datasource.js';
import { MicrolibError, type ErrorCode } from '../domain/errors.js';
import type { Json, StoredRecord } from '../domain/model-spec.js';

/** Builds a record with the host-managed fields filled in. */
export function makeRecord(id: string, fields: Record<string, Json> = {}, revision = 1): StoredRecord {
  const time = new Date(Date.UTC(2025, 0, 1, 0, 0, 0, revision)).toISOString();
  return { id, createdAt: time, updatedAt: time, revision, ...fields };
}

/** Five records with ties, nulls, missing fields and a nested object: the list cases' data, fresh each call. */
export function samplePeople(): StoredRecord[] {
  return [
    makeRecord('p3', { name: 'Cleo', age: 30, city: 'Oslo', vip: true }),
    makeRecord('p1', { name: 'Abe', age: 41, city: 'Rome', vip: false }),
    makeRecord('p5', { name: 'Eve', age: 30, city: 'Oslo', vip: false, nick: null }),
    makeRecord('p2', { name: 'Bob', age: 25, city: 'Rome', vip: true, nick: 'bobby' }),
    makeRecord('p4', { name: 'Dan', age: 30, vip: false, address: { street: 'Main', no: 1 } }),
  ];
}

/** A list query with defaults for everything not given. */
export function listQuery(query: Partial<ListQuery> = {}): ListQuery {
  return { filter: {}, sort: [], limit: 100, offset: 0, count: false, ...query };
}

/** Asserts that `promise` rejects with a MicrolibError of `code` (and `field`, when given). */
export async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof MicrolibError, `expected a MicrolibError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (field !== undefined) assert.equal(error.field, field);
    return true;
  });
}

/** Runs `body` against a freshly opened datasource, always closing and cleaning up after. */
export type WithDatasource = (body: (ds: Datasource) => Promise<void>) => Promise<void>;

/** The ids of `records`, in order. */
export const ids = (records: readonly StoredRecord[]) => records.map((record) => record.id);

/** Creates records one after the other, so creation order is their order here. */
export async function seed(ds: Datasource, records: readonly StoredRecord[]): Promise<void> {
  for (const record of records) await ds.create(record);
}
