import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReloadLog } from './reload-log.js';
import type { ReloadResult } from './deployment.js';

const result = (remote: string, to: string): ReloadResult => ({ remote, reason: 'manual', outcome: 'reloaded', from: null, to, attempted: to, ms: 3 });

describe('ReloadLog', () => {
  it('lists the newest reloads of each remote first, up to its bound, with the time they finished', () => {
    const log = new ReloadLog(2);
    log.add(result('a', 'v1'), new Date(Date.UTC(2025, 0, 1)));
    log.add(result('b', 'w1'));
    log.add(result('a', 'v2'));
    log.add(result('a', 'v3'));
    assert.deepEqual(log.recent('a').map((r) => r.to), ['v3', 'v2']);
    assert.deepEqual(log.recent('b').map((r) => r.to), ['w1']);
    assert.deepEqual(log.recent('c'), []);
    const first = new ReloadLog();
    first.add(result('a', 'v1'), new Date(Date.UTC(2025, 0, 1)));
    assert.equal(first.recent('a')[0]!.at, '2025-01-01T00:00:00.000Z');
  });
});
