/**
 * What a function instance is deployed with, for tests of microlib/serverless: a
 * folder holding remoteEntries.js (the function's code folder), the variables the
 * handler reads (DATA_DIR and REMOTE_CACHE_DIR inside that folder, not the shared
 * temp dir), and a logger whose lines are kept for assertions.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface FunctionEnv {
  /** The function's code folder: the handler's `cwd`. */
  dir: string;
  env: Record<string, string>;
  logger: Logger;
  /** Every log line so far, parsed. */
  logs: Array<Record<string, unknown>>;
  remove(): Promise<void>;
}

export async function functionEnv(remotes: unknown[], env: Record<string, string> = {}): Promise<FunctionEnv> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-function-'));
  await writeFile(path.join(dir, 'remoteEntries.js'), `export default ${JSON.stringify(remotes)};\n`);
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return {
    dir,
    env: { REMOTE_ENTRIES: 'remoteEntries.js', DATA_DIR: path.join(dir, 'data'), REMOTE_CACHE_DIR: path.join(dir, 'cache'), ...env },
    logger: pino({ level: 'info' }, sink),
    logs,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
