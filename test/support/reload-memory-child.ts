/**
 * Runs the real host in this process (started with --expose-gc), reloads the
 * example remote N times with a changed build each time, serving a request on
 * every version, and prints heap and RSS after GC at chosen reload counts as
 * one JSON line. Used by the reload memory test and the benchmark.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { readConfig } from '../../src/host/host-config.js';
import { createHost } from '../../src/host/create-host.js';
import { exampleBuild } from './example-builds.js';
import { until } from './until.js';

const reloads = Number(process.argv[2] ?? 200);
const checkpoints = new Set((process.argv[3] ?? '1,50,200').split(',').map(Number));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const workDir = await mkdtemp(path.join(os.tmpdir(), 'microlib-reload-memory-'));
const remoteDir = path.join(workDir, 'remote');

async function writeBuild(n: number): Promise<void> {
  for (const [name, bytes] of Object.entries(await exampleBuild(n, 'remote/'))) await writeFile(path.join(workDir, name), bytes);
}

/** The process's OS threads (Linux), or -1 where /proc is not there: a worker left running keeps its threads. */
async function threadCount(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const match = /^Threads:\s+(\d+)/m.exec(status);
  return match ? Number(match[1]) : -1;
}

try {
  await import('node:fs/promises').then((fs) => fs.mkdir(remoteDir, { recursive: true }));
  await writeBuild(0);
  const entries = path.join(workDir, 'remoteEntries.js');
  await writeFile(entries, `export default [{ name: 'orderService', kind: 'local', path: ${JSON.stringify(remoteDir)} }];\n`);
  const config = readConfig({ PORT: '0', HOST: '127.0.0.1', REMOTE_ENTRIES: entries, DATA_DIR: path.join(workDir, 'data'), REMOTE_CACHE_DIR: path.join(workDir, 'cache'), DATASOURCE_ADAPTER: 'memory', DRAIN_TIMEOUT_MS: '1000' });
  const host = await createHost(config, pino({ level: 'silent' }));
  const port = await host.start();
  let retired = 0;
  host.deployment.on('retired', () => retired++);
  const samples: Array<{ reloads: number; heapMB: number; rssMB: number; threads: number; reloadMs: number }> = [];
  let reloadMs = 0;
  for (let i = 1; i <= reloads; i++) {
    await writeBuild(i);
    const result = await host.deployment.reload('orderService', { reason: 'manual' });
    if (result.outcome !== 'reloaded') throw new Error(`reload ${i}: ${result.outcome} ${result.error ?? ''}`);
    reloadMs += result.ms;
    const res = await fetch(`http://127.0.0.1:${port}/microlib/api/models/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ firstName: 'M', lastName: 'E', email: 'm@e.io' }),
    });
    const body = (await res.json()) as { build?: number };
    if (body.build !== i) throw new Error(`reload ${i} served build ${body.build}`);
    if (checkpoints.has(i)) {
      // Once the replaced version is retired (disposed after its requests drained), collect twice:
      // weak references are cleared by a second pass, after a turn of the event loop.
      await until(() => retired >= i, `the version replaced by reload ${i} to retire`, 10_000);
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      const usage = process.memoryUsage();
      samples.push({ reloads: i, heapMB: usage.heapUsed / 1_048_576, rssMB: usage.rss / 1_048_576, threads: await threadCount(), reloadMs: reloadMs / i });
    }
  }
  await host.stop();
  console.log(JSON.stringify({ samples }));
} finally {
  await rm(workDir, { recursive: true, force: true });
}
