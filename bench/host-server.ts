/**
 * Starts the real microlib host (`dist/src/server.js`) serving the example
 * remote, with its data, cache and remoteEntries.js in a temp dir.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from './cleanup.js';
import { exampleRemoteDist, hostScript } from './paths.js';
import { startServer, type ServerProcess } from './server-process.js';
import { mongoUrlForTests, type MongoForTests } from '../test/support/mongo-server.js';

export interface HostOptions {
  datasource: 'memory' | 'file' | 'mongodb';
  cpu: number;
  nodeFlags?: string[];
  /** Where the remote's code runs (default: the host's default, thread). */
  isolation?: 'thread' | 'process' | 'none';
}

export async function startHost(options: HostOptions): Promise<ServerProcess & { workDir: string }> {
  const workDir = await tempDir(`host-${options.datasource}-${options.isolation ?? 'default'}`);
  const entries = path.join(workDir, 'remoteEntries.js');
  const remotes = [{ name: 'orderService', kind: 'local', path: exampleRemoteDist }];
  await writeFile(entries, `export default ${JSON.stringify(remotes)};\n`);
  // MONGODB_URL names a real server to measure against; else the wire-protocol test server.
  let mongo: MongoForTests | undefined;
  if (options.datasource === 'mongodb') mongo = await mongoUrlForTests();
  const server = await startServer({
    label: `microlib host (${options.datasource})`,
    script: hostScript,
    cpu: options.cpu,
    cwd: workDir,
    nodeFlags: options.nodeFlags ?? [],
    env: {
      REMOTE_ENTRIES: entries,
      DATASOURCE_ADAPTER: options.datasource,
      DATA_DIR: path.join(workDir, 'data'),
      REMOTE_CACHE_DIR: path.join(workDir, 'cache'),
      // `info` is needed for the "listening" line; the host logs nothing per request.
      LOG_LEVEL: 'info',
      ...(options.isolation ? { REMOTE_ISOLATION: options.isolation } : {}),
      ...(mongo ? { MONGODB_URL: mongo.url, MONGODB_DATABASE: `bench_${process.pid}` } : {}),
    },
  });
  if (!mongo) return { ...server, workDir };
  const started = mongo;
  return {
    ...server,
    workDir,
    async stop(graceMs?: number) {
      await server.stop(graceMs);
      await started.stop();
    },
  };
}
