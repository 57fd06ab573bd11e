import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MicrolibError } from '../errors.js';
import { abandonFlow, beginFlow, completeStep, failStep, recordUndo } from './flow-state.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:00:01.000Z';
const gone = new MicrolibError('MLB_ERR_UNAVAILABLE', 'version v2 was disposed');

describe('flow state', () => {
  it('records the version that started the flow', () => {
    assert.equal(beginFlow(undefined, 'f', 'pay', undefined, T0, 'host/1', 'v2').version, 'v2');
    assert.equal('version' in beginFlow(undefined, 'f', 'pay', undefined, T0), false);
  });

  it('stops a running flow failed: the running step fails, completed steps are marked not undone, with the reason', () => {
    let flow = beginFlow(undefined, 'f', 'pay', undefined, T0, undefined, 'v2');
    flow = completeStep(flow, 0, { result: { ok: true }, attempts: 1 }, 'ship', T0);
    const stopped = abandonFlow(flow, gone, T1);
    assert.equal(stopped.status, 'failed');
    assert.equal(stopped.finishedAt, T1);
    assert.deepEqual(stopped.steps.map((s) => [s.port, s.status, s.undo]), [['pay', 'done', 'failed'], ['ship', 'failed', undefined]]);
    assert.equal(stopped.steps[0]!.undoError?.message, 'version v2 was disposed');
    assert.deepEqual(stopped.error, { port: 'ship', name: 'MicrolibError', message: 'version v2 was disposed', code: 'MLB_ERR_UNAVAILABLE' });
  });

  it('stops a compensating flow failed, keeping the failure that started compensation and the undos already done', () => {
    let flow = beginFlow(undefined, 'f', 'pay', undefined, T0);
    flow = completeStep(flow, 0, { result: 1, attempts: 1 }, 'reserve', T0);
    flow = completeStep(flow, 1, { result: 2, attempts: 1 }, 'ship', T0);
    flow = failStep(flow, 2, new Error('no truck'), 1, T0);
    flow = recordUndo(flow, 1, 'done');
    const stopped = abandonFlow(flow, gone, T1);
    assert.equal(stopped.status, 'failed');
    assert.equal(stopped.error?.message, 'no truck');
    assert.deepEqual(stopped.steps.map((s) => s.undo), ['failed', 'done', undefined]);
  });
});
