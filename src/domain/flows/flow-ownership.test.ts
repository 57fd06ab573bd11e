import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowState } from '../model-spec.js';
import { drivesFlow } from './flow-ownership.js';

function flow(runner?: string): FlowState {
  return { id: 'f1', status: 'running', steps: [], startedAt: '2024-01-01T00:00:00.000Z', ...(runner === undefined ? {} : { runner }) };
}

describe('flow ownership', () => {
  it('lets a process without a runner id drive every flow', () => {
    assert.equal(drivesFlow(flow('host-a/2'), {}), true);
    assert.equal(drivesFlow(flow(), {}), true);
  });

  it("lets a runner drive its own flows and not another runner's", () => {
    assert.equal(drivesFlow(flow('host-a/2'), { runnerId: 'host-a/2', adoptUnowned: false }), true);
    assert.equal(drivesFlow(flow('host-a/2'), { runnerId: 'host-a/1', adoptUnowned: true }), false);
  });

  it('leaves flows nobody claimed to the runner that adopts them (adoption is the default)', () => {
    assert.equal(drivesFlow(flow(), { runnerId: 'host-a/1', adoptUnowned: true }), true);
    assert.equal(drivesFlow(flow(), { runnerId: 'host-a/1' }), true);
    assert.equal(drivesFlow(flow(), { runnerId: 'host-a/2', adoptUnowned: false }), false);
  });
});
