// A second host on a port another process holds stops at once, naming the port, before it loads any
// remote (loading can take long; the clash must not wait for it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { exampleRemoteDist, makeWorkDir, removeDir, serverScript } from './support/host-process.js';

describe('a port in use', () => {
  it('fails the start before loading remotes, with a message naming the port', async (t) => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    t.after(() => holder.close());
    const port = (holder.address() as { port: number }).port;
    const workDir = await makeWorkDir();
    t.after(() => removeDir(workDir));
    const entries = path.join(workDir, 'remoteEntries.js');
    await writeFile(entries, `export default ${JSON.stringify([{ name: 'orderService', kind: 'local', path: exampleRemoteDist }])};\n`);
    const child = spawn(process.execPath, [serverScript], {
      cwd: workDir,
      env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', REMOTE_ENTRIES: entries, DATA_DIR: path.join(workDir, 'data'), REMOTE_CACHE_DIR: path.join(workDir, 'cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.equal(stderr.trim(), `microlib: failed to start: port ${port} on 127.0.0.1 is in use by another process: stop it, or give this host another PORT`);
    assert.doesNotMatch(stdout, /remote loaded|serving model/, 'no remote was loaded first');
  });
});
