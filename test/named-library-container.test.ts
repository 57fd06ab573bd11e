// Remotes built as the original MicroLib's were, with `library: { type: 'commonjs-module',
// name: '<remote>' }`, export their container as `module.exports.<remote>`; the host loads
// them, and says which exports it found when a remoteEntry.js exports no container at all.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exampleRemoteDist } from './support/host-process.js';
import { writeRemoteEntry } from './support/fixture-remotes.js';
import { startInProcessHost, type InProcessHost } from './support/in-process-host.js';

/** The example build, with its container assigned the way a named commonjs-module library assigns it. */
async function namedLibraryBuild(dir: string, libraryName: string): Promise<string> {
  await cp(exampleRemoteDist, dir, { recursive: true });
  const entry = path.join(dir, 'remoteEntry.js');
  const source = await readFile(entry, 'utf8');
  const unnamed = 'module.exports = __webpack_exports__;';
  assert.ok(source.includes(unnamed), 'the example build assigns its container to module.exports');
  await writeFile(entry, source.replace(unnamed, `module.exports.${libraryName} = __webpack_exports__;`));
  return dir;
}

describe('remoteEntry.js export shapes', () => {
  let fixtures: string;
  let running: InProcessHost;
  before(async () => {
    fixtures = await mkdtemp(path.join(os.tmpdir(), 'microlib-named-container-'));
    running = await startInProcessHost({
      remotes: [
        { name: 'orderService', kind: 'local', path: await namedLibraryBuild(path.join(fixtures, 'named'), 'orderService') },
        { name: 'nocontainer', kind: 'local', path: await writeRemoteEntry(path.join(fixtures, 'nocontainer'), 'module.exports.foo = 1;\nmodule.exports.bar = { get() {} };\n') },
      ],
      env: { DATASOURCE_ADAPTER: 'memory' },
    });
  });
  after(async () => {
    await running?.stop();
    await rm(fixtures, { recursive: true, force: true });
  });

  it('loads a container exported under the library name and serves its models', async () => {
    const created = await running.inject({
      method: 'POST',
      url: '/microlib/api/models/customers',
      body: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' },
    });
    assert.equal(created.status, 201, created.body);
    const record = created.json() as { id: string; firstName: string };
    const read = await running.inject(`/microlib/api/models/customers/${record.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.json(), record);
  });

  it('fails a remoteEntry.js without a container, naming the exports it found', async () => {
    const remotes = (await running.inject('/microlib/api/remotes')).json() as { remotes: Array<{ name: string; status: string; lastError: { message: string } | null }> };
    const named = remotes.remotes.find((r) => r.name === 'orderService')!;
    assert.equal(named.status, 'ready', JSON.stringify(named.lastError));
    const failed = remotes.remotes.find((r) => r.name === 'nocontainer')!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.lastError?.message ?? '', /does not export a federation container/);
    assert.match(failed.lastError?.message ?? '', /exports found: foo, bar/);
  });
});
