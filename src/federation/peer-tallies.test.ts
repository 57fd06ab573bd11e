// The other workers' share of a rollout step's window: their latest reports less what they had
// reported when the window opened; a worker first heard of since counts in full, and so does one
// whose counts went down (it started the canary afresh); another canary's reports never count.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VersionTally, type TallySnapshot } from '../domain/resilience/version-tally.js';
import { PeerTallies } from './peer-tallies.js';

/** A snapshot of `ok` successes and `failed` 500s, each 1 ms. */
function tally(ok: number, failed: number): TallySnapshot {
  const t = new VersionTally();
  for (let i = 0; i < ok; i++) t.record(200, 1, false);
  for (let i = 0; i < failed; i++) t.record(500, 1, false);
  return t.snapshot();
}
const report = (version: string, stable: [number, number], canary: [number, number]) => ({ remote: 'kit', version, stable: tally(...stable), canary: tally(...canary) });

describe('peer tallies', () => {
  it('counts nothing before any worker reports', () => {
    assert.equal(new PeerTallies().since('kit', 'v2', {}), undefined);
  });

  it('adds each worker\'s counts since the window opened', () => {
    const peers = new PeerTallies();
    const window = {};
    peers.record(11, [report('v2', [10, 0], [5, 1])]);
    assert.deepEqual(peers.since('kit', 'v2', window)?.canary.requests, 0, 'what came before the window is its baseline');
    peers.record(11, [report('v2', [30, 0], [15, 4])]);
    peers.record(12, [report('v2', [7, 0], [3, 3])]);
    const share = peers.since('kit', 'v2', window)!;
    assert.equal(share.stable.requests, 20 + 7);
    assert.equal(share.canary.requests, 19 - 6 + 6);
    assert.equal(share.canary.serverErrors, 4 - 1 + 3);
    assert.equal(share.canary.latency.reduce((a, b) => a + b, 0), 19);

    const next = {};
    assert.equal(peers.since('kit', 'v2', next)?.canary.requests, 0, 'a new window opens new baselines');
    peers.record(12, [report('v2', [1, 0], [1, 0])]);
    assert.equal(peers.since('kit', 'v2', next)?.canary.requests, 1, 'a worker whose counts went down started afresh: all of it is new');
  });

  it('ignores reports of another canary and forgets canaries that are over', () => {
    const peers = new PeerTallies();
    const window = {};
    peers.since('kit', 'v3', window);
    peers.record(11, [report('v2', [5, 0], [5, 5])]);
    assert.equal(peers.since('kit', 'v3', window), undefined);
    peers.record(11, [report('v3', [2, 0], [2, 0])]);
    assert.equal(peers.since('kit', 'v3', window)?.canary.requests, 2);
    peers.keepOnly(new Map());
    assert.equal(peers.since('kit', 'v3', window), undefined);
  });
});
