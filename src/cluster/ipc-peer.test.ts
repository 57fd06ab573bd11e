// The IPC peer sends what one turn of the event loop queues as one channel message (calls, answers,
// notifications), over an in-memory channel that counts what each end sends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicrolibError } from '../domain/errors.js';
import { memoryChannel } from '../../test/support/memory-channel.js';
import { IpcPeer } from './ipc-peer.js';

describe('IPC peer', () => {
  it('sends the calls and notifications of one turn as one message, and every call gets its own answer', async () => {
    const [workerEnd, primaryEnd] = memoryChannel();
    const notified: unknown[] = [];
    new IpcPeer(primaryEnd, { double: (n) => (n as number) * 2, fail: () => Promise.reject(new MicrolibError('MLB_ERR_CONFLICT', 'no', 'id')) }, (_topic, payload) => notified.push(payload));
    const worker = new IpcPeer(workerEnd, {});
    const calls = Array.from({ length: 20 }, (_, i) => worker.call('double', i));
    for (let i = 0; i < 5; i++) worker.notify('event', i);
    const failed = worker.call('fail', null);
    assert.deepEqual(await Promise.all(calls), Array.from({ length: 20 }, (_, i) => i * 2));
    await assert.rejects(failed, (error: unknown) => error instanceof MicrolibError && error.code === 'MLB_ERR_CONFLICT' && error.field === 'id');
    assert.deepEqual(notified, [0, 1, 2, 3, 4], 'notifications arrive in order');
    assert.equal(workerEnd.sent, 1, '26 messages of one turn leave as one');
    assert.equal(primaryEnd.sent, 1, 'the answers computed in one turn leave as one');
  });

  it('fails every call of a batch the channel could not send with MLB_ERR_UNAVAILABLE', async () => {
    const [workerEnd, primaryEnd] = memoryChannel();
    new IpcPeer(primaryEnd, { echo: (value) => value });
    const worker = new IpcPeer(workerEnd, {});
    workerEnd.failWith = new Error('channel closed');
    const results = await Promise.allSettled([worker.call('echo', 1), worker.call('echo', 2)]);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.equal((result.reason as MicrolibError).code, 'MLB_ERR_UNAVAILABLE');
    }
  });
});
