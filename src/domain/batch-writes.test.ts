import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Datasource } from './datasource.js';
import { createEach, settleBounded } from './batch-writes.js';
import { MicrolibError } from './errors.js';
import { makeRecord } from '../testing/index.js';

describe('settleBounded', () => {
  it('keeps at most `limit` tasks in flight and answers every outcome at its index', async () => {
    let inFlight = 0;
    let most = 0;
    const outcomes = await settleBounded(
      Array.from({ length: 100 }, (_, i) => i),
      8,
      async (n) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, n % 3));
        inFlight--;
        if (n % 10 === 0) throw new Error(`refused ${n}`);
        return n * 2;
      },
    );
    assert.equal(most, 8);
    assert.equal(outcomes.length, 100);
    outcomes.forEach((outcome, n) => {
      if (n % 10 === 0) assert.deepEqual([outcome.status, (outcome as PromiseRejectedResult).reason.message], ['rejected', `refused ${n}`]);
      else assert.deepEqual(outcome, { status: 'fulfilled', value: n * 2 });
    });
  });
});

describe('createEach', () => {
  const created: string[] = [];
  const loopOnly = {
    kind: 'loop',
    create: async (record: { id: string }) => {
      created.push(record.id);
      if (record.id === 'bad') throw new MicrolibError('MLB_ERR_CONFLICT', 'taken');
      return record;
    },
  } as unknown as Datasource;

  it('creates each record through `create` when the datasource has no createMany', async () => {
    const outcomes = await createEach(loopOnly, [makeRecord('a'), makeRecord('bad'), makeRecord('c')]);
    assert.deepEqual(created, ['a', 'bad', 'c']);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });

  it('fails every record with the reason of a createMany that rejects as a whole', async () => {
    const down = new MicrolibError('MLB_ERR_UNAVAILABLE', 'down');
    const broken = { kind: 'broken', createMany: () => Promise.reject(down) } as unknown as Datasource;
    assert.deepEqual(await createEach(broken, [makeRecord('a'), makeRecord('b')]), [
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
    assert.deepEqual(await createEach(broken, []), []);
  });
});
