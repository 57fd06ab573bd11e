// Two hosts on one DATA_DIR would both append to the same logs and corrupt them: the second
// refuses at once, naming the folder and the first one's pid, and the first keeps serving.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { exampleRemoteDist, makeWorkDir, removeDir, request, startHost, type HostProcess } from './support/host-process.js';

const remotes = [{ name: 'orderService', kind: 'local', path: exampleRemoteDist }];

/** Starts a second host in `workDir` (another port: PORT=0) and returns why it did not listen. */
async function secondHostFailure(workDir: string): Promise<{ message: string; elapsedMs: number }> {
  const startedAt = Date.now();
  let second: HostProcess | undefined;
  try {
    second = await startHost({ remotes, workDir, startTimeoutMs: 20_000 });
  } catch (error) {
    return { message: (error as Error).message, elapsedMs: Date.now() - startedAt };
  }
  await second.stop();
  assert.fail(`a second host started on the DATA_DIR of a running host (listening on ${second.url})`);
}

describe('one host per DATA_DIR', () => {
  it('refuses a second host on the same DATA_DIR, and the first keeps serving its records', async (t) => {
    const workDir = await makeWorkDir();
    t.after(() => removeDir(workDir));
    const first = await startHost({ remotes, workDir });
    t.after(() => first.stop());
    const created = await request(`${first.url}/microlib/api/models/customers`, { method: 'POST', body: { firstName: 'L', lastName: 'K', email: 'l@k.io' } });
    assert.equal(created.status, 201);

    const { message, elapsedMs } = await secondHostFailure(workDir);
    assert.match(message, /exited with 1 before listening/);
    assert.ok(message.includes(`DATA_DIR ${path.join(workDir, 'data')} is in use by process ${first.child.pid}`), message);
    assert.doesNotMatch(message, /\n\s+at /, 'a clean startup failure, without a stack');
    // Refused before loading any remote: far below the remote load deadline.
    assert.ok(elapsedMs < 10_000, `the second host took ${elapsedMs} ms to refuse`);

    const read = await request(`${first.url}/microlib/api/models/customers/${created.body.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.email, 'l@k.io');
    const more = await request(`${first.url}/microlib/api/models/customers`, { method: 'POST', body: { firstName: 'M', lastName: 'K', email: 'm@k.io' } });
    assert.equal(more.status, 201, 'the first host still writes');
  });

  it('takes the folder over once its holder has stopped', async (t) => {
    const workDir = await makeWorkDir();
    t.after(() => removeDir(workDir));
    const first = await startHost({ remotes, workDir });
    assert.equal(await first.stop(), 0);
    const second = await startHost({ remotes, workDir });
    t.after(() => second.stop());
    assert.equal((await request(`${second.url}/microlib/ready`)).status, 200);
  });

  it('in cluster mode the primary holds the folder: a single host beside it is refused', async (t) => {
    const workDir = await makeWorkDir();
    t.after(() => removeDir(workDir));
    const clustered = await startHost({ remotes, workDir, env: { CLUSTER_ENABLED: 'true', CLUSTER_WORKERS: '2' } });
    t.after(() => clustered.stop());
    const created = await request(`${clustered.url}/microlib/api/models/customers`, { method: 'POST', body: { firstName: 'C', lastName: 'P', email: 'c@p.io' } });
    assert.equal(created.status, 201);

    const { message } = await secondHostFailure(workDir);
    assert.ok(message.includes(`is in use by process ${clustered.child.pid}`), message);
    assert.equal((await request(`${clustered.url}/microlib/api/models/customers/${created.body.id}`)).status, 200);
  });
});
