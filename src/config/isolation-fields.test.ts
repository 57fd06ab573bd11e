import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readIsolationFields } from './isolation-fields.js';

describe('isolation keys of a remoteEntries.js entry', () => {
  const read = (raw: Record<string, unknown>) => readIsolationFields(raw, 'entry 0 (orders)', '/srv/app');

  it('reads each key, resolving paths against the folder of remoteEntries.js', () => {
    assert.deepEqual(read({ isolation: 'process', workers: 2, callTimeoutMs: 250, memoryMb: 64, maxQueue: 10, env: ['ORDERS_*', 'TZ'], allowRead: ['shared'], allowWrite: ['/tmp/log'] }), {
      isolation: 'process',
      workers: 2,
      callTimeoutMs: 250,
      memoryMb: 64,
      maxQueue: 10,
      env: ['ORDERS_*', 'TZ'],
      allowRead: ['/srv/app/shared'],
      allowWrite: ['/tmp/log'],
    });
    assert.deepEqual(read({}), {}, 'absent keys take the host defaults');
  });

  it('refuses a bad value, naming the entry and the key', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ isolation: 'vm' }, /entry 0 \(orders\): "isolation" must be one of thread, process, none/],
      [{ workers: 0 }, /"workers" must be a whole number from 1 to 64/],
      [{ callTimeoutMs: 1.5 }, /"callTimeoutMs" must be a whole number/],
      [{ memoryMb: 8 }, /"memoryMb" must be a whole number from 16/],
      [{ env: 'ORDERS_*' }, /"env" must be an array of variable names/],
      [{ env: ['ORDERS-*'] }, /"env" must be an array of variable names/],
      [{ allowWrite: [''] }, /"allowWrite" must be an array of paths/],
    ];
    for (const [raw, message] of cases) assert.throws(() => read(raw), message, JSON.stringify(raw));
  });
});
