/**
 * A host in this test's own process: the real `createHost` with the test's
 * remotes and variables, answering through `host.inject` (no socket, no child
 * process). Logs are kept in memory for assertions.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { readConfig } from '../../src/host/host-config.js';
import { createHost, type Host } from '../../src/host/create-host.js';

export interface InProcessHost {
  host: Host;
  inject: Host['inject'];
  /** Every log line so far, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Its DATA_DIR (unless the test's env sets another). */
  dataDir: string;
  /** Stops the host and removes its folder. */
  stop(): Promise<void>;
}

/** `placements`: the `placements` export of remoteEntries.js, when the test needs one. */
export async function startInProcessHost(options: { remotes: unknown[]; env?: Record<string, string>; placements?: Record<string, unknown> }): Promise<InProcessHost> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'microlib-inprocess-'));
  await mkdir(workDir, { recursive: true });
  const entries = path.join(workDir, 'remoteEntries.js');
  const placements = options.placements ? `export const placements = ${JSON.stringify(options.placements)};\n` : '';
  await writeFile(entries, `export default ${JSON.stringify(options.remotes)};\n${placements}`);
  const config = readConfig(
    { PORT: '0', HOST: '127.0.0.1', REMOTE_ENTRIES: entries, DATA_DIR: path.join(workDir, 'data'), REMOTE_CACHE_DIR: path.join(workDir, 'cache'), ...options.env },
    workDir,
  );
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const host = await createHost(config, pino({ level: 'info' }, sink));
  await host.start();
  return {
    host,
    inject: (request) => host.inject(request),
    logs,
    dataDir: path.join(workDir, 'data'),
    async stop() {
      await host.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
