import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lifecycle, type Feature } from './feature.js';

function recorder() {
  const calls: string[] = [];
  const feature = (name: string, fail?: 'start' | 'stop'): Feature => ({
    name,
    start() {
      calls.push(`start ${name}`);
      if (fail === 'start') throw new Error(`${name} cannot start`);
    },
    stop() {
      calls.push(`stop ${name}`);
      if (fail === 'stop') throw new Error(`${name} cannot stop`);
    },
  });
  return { calls, feature };
}

describe('the lifecycle of the host features', () => {
  it('starts features in order and stops them in reverse order', async () => {
    const { calls, feature } = recorder();
    const lifecycle = new Lifecycle([feature('data'), feature('api'), feature('http')], { onStopError: assert.fail });
    await lifecycle.start();
    await lifecycle.stop();
    assert.deepEqual(calls, ['start data', 'start api', 'start http', 'stop http', 'stop api', 'stop data']);
  });

  it('stops what started when a later feature fails to start, and reports that failure', async () => {
    const { calls, feature } = recorder();
    const lifecycle = new Lifecycle([feature('data'), feature('api', 'start'), feature('http')], { onStopError: assert.fail });
    await assert.rejects(lifecycle.start(), /api cannot start/);
    assert.deepEqual(calls, ['start data', 'start api', 'stop data']);
  });

  it('keeps stopping the others when one fails to stop, and reports which', async () => {
    const { calls, feature } = recorder();
    const failures: string[] = [];
    const lifecycle = new Lifecycle([feature('data'), feature('api', 'stop'), feature('http')], { onStopError: (_error, name) => failures.push(name) });
    await lifecycle.start();
    await lifecycle.stop();
    assert.deepEqual(calls.slice(3), ['stop http', 'stop api', 'stop data']);
    assert.deepEqual(failures, ['api']);
  });

  it('stops nothing twice', async () => {
    const { calls, feature } = recorder();
    const lifecycle = new Lifecycle([feature('data')], { onStopError: assert.fail });
    await lifecycle.start();
    await lifecycle.stop();
    await lifecycle.stop();
    assert.deepEqual(calls, ['start data', 'stop data']);
  });
});
