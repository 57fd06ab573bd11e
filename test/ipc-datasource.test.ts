// The IPC datasource of cluster workers passes the datasource conformance suite for memory and
// file, over a real child_process.fork channel to the primary's datasource side; a worker whose
// primary is gone gets MLB_ERR_UNAVAILABLE, never a hang.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IpcDatasource } from '../src/cluster/ipc-datasource.js';
import { IpcPeer, type IpcEndpoint } from '../src/cluster/ipc-peer.js';
import { datasourceConformance, listQuery, makeRecord, rejectsWithCode } from '../src/testing/index.js';

const childScript = fileURLToPath(new URL('./support/datasource-primary-child.js', import.meta.url));

function startPrimarySide(): { child: ChildProcess; peer: IpcPeer } {
  const child = fork(childScript, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return { child, peer: new IpcPeer(child as unknown as IpcEndpoint, {}) };
}

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.disconnect();
  });

let primary: { child: ChildProcess; peer: IpcPeer };
before(() => {
  primary = startPrimarySide();
});
after(() => stopChild(primary.child));

let collections = 0;
// Each make names a fresh collection: the primary keeps a collection open for every worker.
datasourceConformance('IPC (memory in the primary)', async () => ({
  ds: new IpcDatasource(primary.peer, 'memory', { collection: `conformance${++collections}`, dataDir: '' }),
  cleanup: async () => undefined,
}));

datasourceConformance('IPC (file in the primary)', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'microlib-ipc-ds-'));
  return {
    ds: new IpcDatasource(primary.peer, 'file', { collection: `conformance${++collections}`, dataDir }),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

describe('IPC datasource', () => {
  it('shares one collection between two workers, and fails clearly once the primary is gone', async () => {
    const own = startPrimarySide();
    const a = new IpcDatasource(own.peer, 'memory', { collection: 'shared', dataDir: '' });
    const b = new IpcDatasource(own.peer, 'memory', { collection: 'shared', dataDir: '' });
    await a.open();
    await b.open();
    await a.create(makeRecord('r1', { v: 1 }));
    assert.equal((await b.get('r1'))?.['v'], 1, 'a record written through one handle is read through the other');
    await rejectsWithCode(b.create(makeRecord('r1')), 'MLB_ERR_CONFLICT');
    await b.close();
    assert.equal((await a.list(listQuery({ count: true }))).total, 1, 'closing one handle leaves the collection to the others');
    own.child.kill('SIGKILL');
    await new Promise((resolve) => own.child.once('exit', resolve));
    await rejectsWithCode(a.get('r1'), 'MLB_ERR_UNAVAILABLE');
  });
});
