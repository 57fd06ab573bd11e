/**
 * Runs the colleague's datasource-level write bench (dist/bench/file-datasource-writes.js,
 * no HTTP) on the server core and picks its writes/s out of its one-line summary.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { onCleanup } from './cleanup.js';
import { benchDist } from './paths.js';

export interface DatasourceWrites {
  /** The bench's own summary line, or why it did not run. */
  summary: string;
  writesPerSecond: number | undefined;
}

export async function runDatasourceWrites(seconds: number, cpu: number): Promise<DatasourceWrites> {
  const script = path.join(benchDist, 'file-datasource-writes.js');
  if (seconds === 0) return { summary: 'skipped (BENCH_DATASOURCE_SECONDS=0)', writesPerSecond: undefined };
  if (!existsSync(script)) return { summary: `skipped: ${script} is missing`, writesPerSecond: undefined };
  const child = spawn('taskset', ['-c', String(cpu), process.execPath, script, '--writers=50', `--seconds=${seconds}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let done = false;
  onCleanup(() => {
    if (!done) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const limit = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.once('error', () => resolve(-1));
    child.once('close', (exit) => {
      done = true;
      clearTimeout(limit);
      resolve(exit);
    });
  });
  const line = output.split('\n').find((l) => l.includes('writes/s'))?.trim();
  if (code !== 0 || !line) return { summary: `failed (exit ${code}): ${output.trim().slice(-500)}`, writesPerSecond: undefined };
  const match = /=\s*(\d+)\s*writes\/s/.exec(line);
  return { summary: line, writesPerSecond: match ? Number(match[1]) : undefined };
}
